import * as pulumi from "@pulumi/pulumi";
import { planKeepalived, KeepalivedPlan } from "../provider/plan/keepalived/plan";
import {
    GlobalDefsSpec,
    KEEPALIVED_CONF_MODE,
    KEEPALIVED_CONF_PATH,
    KeepalivedClusterSpec,
    KeepalivedScriptFile,
    VirtualServerSpec,
    VrrpInstanceSpec,
    VrrpScriptSpec,
    vipOf,
} from "../provider/plan/keepalived/model";
import { validateKeepalived, vridConflicts } from "../provider/plan/keepalived/validate";
import { keepalivedScriptFiles, renderKeepalivedConf, secretsForKeepalived } from "../provider/render/keepalived/keepalivedConf";
import { ConnectionArgs } from "./connection";
import { HostCheck, HostConfig } from "./hostConfig";
import { issueLines } from "./issues";

/** One keepalived host. */
export interface KeepalivedNodeArgs {
    /** The node's name: names its child resources and is what `instances[].master` refers to. */
    name: string;
    /** How to reach the host. */
    connection: pulumi.Input<ConnectionArgs>;
    /** The node's own address on the VRRP interface (unicast source, peers' target). */
    address: pulumi.Input<string>;
    /** The VRRP interface, e.g. "eth0". */
    interface: pulumi.Input<string>;
    /** The interface's address with its prefix, e.g. "10.0.0.11/24": VIPs must lie inside it. Defaults to `address` when it has a prefix. */
    interfaceCidr?: pulumi.Input<string>;
    /** `router_id` for this node. Defaults to the node's name. */
    routerId?: pulumi.Input<string>;
}

/** VRRP authentication; the password is a secret and never appears in a rendered file. */
export interface VrrpAuthArgs {
    /** PASS (plain text on the wire) or AH. */
    type: "PASS" | "AH";
    /** At most 8 characters: keepalived uses only the first 8. */
    password: pulumi.Input<string>;
}

/** A VRRP instance: see the fields of `VrrpInstanceSpec`; only the password may be an Output. */
export type VrrpInstanceArgs = Omit<VrrpInstanceSpec, "auth"> & {
    /** Authentication of the instance's adverts. Defaults to none. */
    auth?: VrrpAuthArgs;
};

/** Inputs of `KeepalivedCluster`. */
export interface KeepalivedClusterArgs {
    /** The hosts, in order: the order breaks ties in derived priorities. */
    nodes: KeepalivedNodeArgs[];
    /** The VRRP instances (two with different `master`s make a dual-master pair). */
    instances: VrrpInstanceArgs[];
    /** LVS virtual servers, the same on every node. Defaults to none. */
    virtualServers?: VirtualServerSpec[];
    /** keepalived's `global_defs`. Defaults to `router_id` only. */
    globalDefs?: GlobalDefsSpec;
    /** `vrrp_script` checks by name, used through `instances[].trackScripts`. Defaults to none. */
    scripts?: Record<string, VrrpScriptSpec>;
    /** Files shipped to every node with the config (notify or check scripts). Defaults to none. */
    scriptFiles?: KeepalivedScriptFile[];
    /** Install keepalived where it is missing. Defaults to true. */
    ensurePackages?: pulumi.Input<boolean>;
    /** After apply, check that each preempting instance's VIPs are on the node that should hold them. Defaults to true. */
    verifyVips?: boolean;
}

const IPVS_CHECK = {
    description: "IPVS in the kernel (virtual_server needs it)",
    command: "test -e /proc/net/ip_vs || { modprobe ip_vs 2>/dev/null && test -e /proc/net/ip_vs; }",
};

/** Clusters declared in this program, for the VRID-per-segment rule across clusters. */
const declared: pulumi.Output<{ name: string; spec: KeepalivedClusterSpec }>[] = [];

/**
 * A keepalived VRRP cluster: one rendered keepalived.conf per node, config-tested on every node before
 * any node changes, then applied to the backups and last to the masters, reloaded (not restarted).
 */
export class KeepalivedCluster extends pulumi.ComponentResource {
    /** Each node's keepalived.conf as rendered (passwords as placeholders): what preview diffs show. */
    readonly configs: pulumi.Output<Record<string, string>>;
    /** Which node holds each instance's VIPs when every node is up. */
    readonly expectedHolders: pulumi.Output<Record<string, string>>;
    /** Per instance, the longest a backup waits before it takes over from a crashed master, in seconds. */
    readonly failoverBoundSeconds: pulumi.Output<Record<string, number>>;
    /** What the planner decided on the user's behalf (e.g. state BACKUP for nopreempt). */
    readonly notes: pulumi.Output<string[]>;

    constructor(name: string, args: KeepalivedClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-onprem:index:KeepalivedCluster", name, {}, opts);
        if (args.nodes.length === 0) throw new pulumi.ResourceError(`KeepalivedCluster ${name}: \`nodes\` must name at least one host`, this);

        const nodes = pulumi.all(
            args.nodes.map((n) =>
                pulumi.all([n.address, n.interface, n.interfaceCidr, n.routerId]).apply(([address, iface, interfaceCidr, routerId]) =>
                    strip({ name: n.name, address, interface: iface, interfaceCidr, routerId }),
                ),
            ),
        );
        const passwords = pulumi.all(args.instances.map((i) => i.auth?.password ?? ""));
        const specWith = (pw: string[] | undefined) =>
            nodes.apply((ns) =>
                strip({
                    nodes: ns,
                    instances: args.instances.map((i, k) => strip({ ...i, auth: i.auth && { type: i.auth.type, password: pw ? pw[k] : "********" } })),
                    virtualServers: args.virtualServers,
                    globalDefs: args.globalDefs,
                    scripts: args.scripts,
                    scriptFiles: args.scriptFiles,
                }) as KeepalivedClusterSpec,
            );
        // Passwords are checked in a secret output; the rest renders from a copy without them, so
        // the rendered configs stay readable in previews.
        const secretSpec = passwords.apply((pw) => specWith(pw));
        // Issue messages name fields and rules, never values of secrets: safe to unsecret.
        const issues = pulumi.unsecret(secretSpec.apply((spec) => validateKeepalived(spec)));
        const publicSpec = specWith(undefined);

        const mine = publicSpec.apply((spec) => ({ name, spec }));
        const others = declared.slice();
        declared.push(mine);
        // This cluster last: conflicts are reported on the later of two clusters.
        const crossIssues = pulumi.all([...others, mine]).apply((all) => vridConflicts(all).filter((c) => c.cluster === name));

        const outcome = pulumi.all([issues, crossIssues, publicSpec]).apply(([own, cross, spec]) =>
            own.length + cross.length > 0
                ? { inputErrors: issueLines(`KeepalivedCluster ${name}`, [...own, ...cross]) }
                : { inputErrors: [] as string[], spec, plan: planKeepalived(spec) },
        );
        const plan = outcome.apply((o) => (o.plan ? { spec: o.spec!, plan: o.plan } : undefined));
        const secrets = secretSpec.apply(secretsForKeepalived);

        const children = args.nodes.map((node) => {
            const files = plan.apply((r) => (r ? [{ path: KEEPALIVED_CONF_PATH, content: renderKeepalivedConf(r.spec, r.plan, node.name), mode: KEEPALIVED_CONF_MODE }] : []));
            const hostArgs = {
                connection: node.connection,
                inputErrors: outcome.apply((o) => (o.inputErrors.length > 0 ? o.inputErrors : undefined)) as pulumi.Output<string[]>,
                kind: "keepalived",
                files,
                secrets,
                packages: [{ name: "keepalived" }],
                ensurePackages: args.ensurePackages,
                validators: [
                    { description: "keepalived config test (keepalived -t)", command: `keepalived -t -f {{staged:${KEEPALIVED_CONF_PATH}}}` },
                    // keepalived exits at start when a virtual_server needs IPVS and the kernel has none.
                    ...(args.virtualServers?.length ? [IPVS_CHECK] : []),
                ],
                services: [{ name: "keepalived", onChange: "reload" as const, state: "running" as const, enabled: true }],
                verifiers: args.verifyVips === false ? [] : plan.apply((r) => (r ? vipChecks(r.spec, r.plan, node.name) : [])),
            };
            return { node, hostArgs };
        });

        // Phase 0: script files first. `keepalived -t` refuses a config whose track script does not exist
        // yet, and nothing runs these files until a config that names them is in place.
        const scripts = args.scriptFiles?.length
            ? children.map(({ node, hostArgs }) =>
                  new HostConfig(`${name}-${node.name}-scripts`, {
                      connection: node.connection,
                      kind: "keepalived-scripts",
                      files: plan.apply((r) => (r ? keepalivedScriptFiles(r.spec) : [])),
                      inputErrors: hostArgs.inputErrors,
                  }, { parent: this }),
              )
            : [];
        // Phase 1: every node's config passes `keepalived -t` before any node changes.
        const checks = children.map(({ node, hostArgs }) => new HostCheck(`${name}-${node.name}-check`, hostArgs, { parent: this, dependsOn: scripts }));
        // Phase 2: nodes that master no instance; phase 3: the masters, so VIPs move once at most.
        const masters = new Set(args.instances.map((i) => intendedMaster(i, args.nodes.map((n) => n.name))));
        const apply = (group: typeof children, dependsOn: pulumi.Resource[]) =>
            group.map(({ node, hostArgs }) => new HostConfig(`${name}-${node.name}`, hostArgs, { parent: this, dependsOn }));
        const backups = apply(children.filter((c) => !masters.has(c.node.name)), checks);
        apply(children.filter((c) => masters.has(c.node.name)), [...checks, ...backups]);

        this.configs = plan.apply((r) => (r ? Object.fromEntries(r.spec.nodes.map((n) => [n.name, renderKeepalivedConf(r.spec, r.plan, n.name)])) : {}));
        this.expectedHolders = plan.apply((r) => r?.plan.expectedHolder ?? {});
        this.failoverBoundSeconds = plan.apply((r) => r?.plan.failoverBoundSeconds ?? {});
        this.notes = plan.apply((r) => r?.plan.notes ?? []);
        this.registerOutputs({ configs: this.configs, expectedHolders: this.expectedHolders, failoverBoundSeconds: this.failoverBoundSeconds, notes: this.notes });
    }
}

/** The node an instance's config makes master, known at program time (child order depends on it). */
function intendedMaster(instance: VrrpInstanceArgs, nodeNames: string[]): string {
    if (instance.master) return instance.master;
    if (instance.priorities) return Object.entries(instance.priorities).sort(([, a], [, b]) => b - a)[0]?.[0] ?? nodeNames[0];
    return nodeNames[0];
}

/** On the node that should hold them, each preempting instance's VIPs are present. */
function vipChecks(spec: KeepalivedClusterSpec, plan: KeepalivedPlan, node: string) {
    return spec.instances
        .filter((i) => i.preempt !== false && i.preemptDelay === undefined && plan.expectedHolder[i.name] === node)
        .flatMap((i) =>
            i.vips.map((v) => {
                const address = vipOf(v).address.split("/")[0];
                return { description: `${i.name} holds VIP ${address}`, command: `[ -n "$(ip -o addr show to ${address})" ]`, attempts: 40, intervalMs: 500 };
            }),
        );
}

function strip<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

