/**
 * The one place that turns a keepalived plan into what each host's transaction does: the files it
 * writes, the package and service, the checks on the staged files (`keepalived -t`, IPVS) and the VIP
 * checks after the reload.
 */
import type { CommandSpec, FileSpec, PackageSpec, ServiceSpec } from "../contract/desired";
import { KEEPALIVED_CONF_PATH, KeepalivedClusterSpec, MAINTENANCE_FLAG_PATH, ParsedKeepalived, ParsedVrrpInstance } from "../plan/keepalived/model";
import type { KeepalivedPlan } from "../plan/keepalived/plan";
import { masterDownIntervalSeconds } from "../plan/keepalived/priorities";
import { authSecretName, renderKeepalivedConf } from "../render/keepalived/keepalivedConf";
import { renderMaintenanceFlag } from "../render/keepalived/maintenanceFlag";
import { renderRestartDropIn, restartDropInPath } from "../render/systemd/restartDropIn";
import { IPVSADM_PACKAGE, KEEPALIVED_PACKAGE } from "./packages";

/** The config holds the auth password once filled in, so only root may read it. */
const KEEPALIVED_CONF_MODE = "0600";
const MAINTENANCE_FLAG_MODE = "0644";
const RESTART_DROPIN_MODE = "0644";
/** keepalived.service's restart-after-a-crash drop-in (see `renderRestartDropIn`). */
export const KEEPALIVED_RESTART_DROPIN_PATH = restartDropInPath("keepalived.service");
/** A preempting master takes its VIPs within a few adverts of the reload: 40 × 500 ms covers it. */
const VIP_CHECK_ATTEMPTS = 40;
const VIP_CHECK_INTERVAL_MS = 500;

const IPVS_CHECK: CommandSpec = {
    description: "IPVS in the kernel (virtual_server needs it)",
    command: "test -e /proc/net/ip_vs || { modprobe ip_vs 2>/dev/null && test -e /proc/net/ip_vs; }",
};

/** One node's share of the cluster: the keepalived.conf transaction and its checks. */
interface KeepalivedHostWork {
    files: FileSpec[];
    packages: PackageSpec[];
    services: ServiceSpec[];
    validators: CommandSpec[];
    verifiers: CommandSpec[];
}

export interface KeepalivedWork {
    /** Per node name. */
    hosts: Record<string, KeepalivedHostWork>;
    /**
     * The script files, the same on every node, applied before any config: `keepalived -t` refuses a
     * config whose track script does not exist yet, and nothing runs them until a config names them.
     */
    scriptFiles: FileSpec[];
    /** Node name -> path -> text, secrets as placeholders: what lands where. */
    files: Record<string, Record<string, string>>;
}

export interface KeepalivedWorkOptions {
    /** Check after apply that each preempting instance's VIPs are on the node that should hold them. */
    verifyVips: boolean;
}

export function keepalivedWork(spec: ParsedKeepalived, plan: KeepalivedPlan, options: KeepalivedWorkOptions): KeepalivedWork {
    const scriptFiles = spec.scriptFiles
        .map((file) => ({ path: file.path, content: file.content, mode: file.mode }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const validators: CommandSpec[] = [
        { description: "keepalived config test (keepalived -t)", command: `keepalived -t -f {{staged:${KEEPALIVED_CONF_PATH}}}` },
        // keepalived exits at start when a virtual_server needs IPVS and the kernel has none.
        ...(spec.virtualServers.length > 0 ? [IPVS_CHECK] : []),
    ];
    const hosts: Record<string, KeepalivedHostWork> = {};
    const files: Record<string, Record<string, string>> = {};
    for (const node of spec.nodes) {
        const conf: FileSpec = { path: KEEPALIVED_CONF_PATH, content: renderKeepalivedConf(spec, plan, node.name), mode: KEEPALIVED_CONF_MODE };
        const inMaintenance = spec.maintenance.includes(node.name);
        const flag: FileSpec = { path: MAINTENANCE_FLAG_PATH, content: renderMaintenanceFlag(inMaintenance), mode: MAINTENANCE_FLAG_MODE };
        const restart: FileSpec = { path: KEEPALIVED_RESTART_DROPIN_PATH, content: renderRestartDropIn(), mode: RESTART_DROPIN_MODE };
        hosts[node.name] = {
            files: [conf, flag, restart],
            packages: spec.virtualServers.length > 0 ? [KEEPALIVED_PACKAGE, IPVSADM_PACKAGE] : [KEEPALIVED_PACKAGE],
            // keepalived rereads the flag by itself: a move into or out of maintenance reloads nothing. A
            // changed drop-in needs only the daemon-reload that follows any unit file's swap, no reload.
            services: [{ name: "keepalived", onChange: "reload", watch: [KEEPALIVED_CONF_PATH], state: "running", enabled: true }],
            validators,
            verifiers: !options.verifyVips ? [] : inMaintenance ? releasedVipChecks(spec) : vipChecks(spec, plan, node.name),
        };
        files[node.name] = Object.fromEntries([conf, flag, restart, ...scriptFiles].map((f) => [f.path, f.content]));
    }
    return { hosts, scriptFiles, files };
}

/**
 * On a node in maintenance, no VIP of any instance is left: the next node has taken each over within
 * its master-down interval (the longest, at priority 1, bounds them all), plus a second to add them.
 */
function releasedVipChecks(spec: ParsedKeepalived): CommandSpec[] {
    return spec.instances.flatMap((i) => {
        const seconds = masterDownIntervalSeconds(i.advertInt, 1, 3) + 1;
        const attempts = Math.ceil((seconds * 1000) / VIP_CHECK_INTERVAL_MS);
        return vipAddresses(i).map((address) => ({
            description: `${i.name} gave up VIP ${address} (maintenance)`,
            command: `[ -z "$(ip -o addr show to ${address})" ]`,
            attempts,
            intervalMs: VIP_CHECK_INTERVAL_MS,
        }));
    });
}

/** An instance's VIPs as bare canonical addresses. */
function vipAddresses(instance: ParsedVrrpInstance): string[] {
    return instance.vips.map((v) => v.parsed.address);
}

/** Placeholder name -> password, for every instance with authentication. */
export function keepalivedSecrets(spec: Pick<KeepalivedClusterSpec, "instances">): Record<string, string> {
    const secrets: Record<string, string> = {};
    for (const instance of spec.instances) {
        if (instance.auth) secrets[authSecretName(instance.name)] = instance.auth.password;
    }
    return secrets;
}

/**
 * On the node that should hold them, each preempting instance's VIPs are present. Without preemption
 * (nopreempt, preempt_delay) the VIPs may rightly stay elsewhere, so those are not checked.
 */
function vipChecks(spec: ParsedKeepalived, plan: KeepalivedPlan, node: string): CommandSpec[] {
    return spec.instances
        .filter((i) => i.preempt && i.preemptDelay === undefined && plan.expectedHolder[i.name] === node)
        .flatMap((i) =>
            vipAddresses(i).map((address) => ({
                description: `${i.name} holds VIP ${address}`,
                command: `[ -n "$(ip -o addr show to ${address})" ]`,
                attempts: VIP_CHECK_ATTEMPTS,
                intervalMs: VIP_CHECK_INTERVAL_MS,
            })),
        );
}
