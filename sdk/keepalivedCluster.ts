import * as pulumi from "./pulumi";
import type { CommandSpec } from "../provider/contract/desired";
import type { Issue, Parsed } from "../provider/contract/issue";
import type { KeepalivedClusterArgs } from "../provider/plan/keepalived/args";
import type { KeepalivedClusterSpec } from "../provider/plan/keepalived/model";
import { KeepalivedPlan, planKeepalived } from "../provider/plan/keepalived/plan";
import { parseKeepalived } from "../provider/plan/keepalived/validate";
import { vridConflicts } from "../provider/plan/keepalived/vridConflicts";
import { foreignRouterProbes } from "../provider/render/keepalived/foreignRouters";
import { KeepalivedWork, keepalivedSecrets, keepalivedWork } from "../provider/work/keepalived";
import { ClusterCheck, HostConfig, HostConfigArgs } from "./hostConfig";
import { checkInputs } from "./issues";
import { intendedMasters, resolveSpec } from "./keepalivedInputs";
import { perRun } from "./perRun";

export type {
    ConnectCheckArgs, GlobalDefsArgs, HealthCheckArgs, HttpCheckUrlArgs, HttpGetCheckArgs, KeepalivedClusterArgs, KeepalivedNodeArgs, KeepalivedScriptFileArgs,
    LvsScheduler, MiscCheckArgs, NotifyArgs, RealServerArgs, SmtpCheckArgs, SorryServerArgs, TcpCheckArgs, TrackInterfaceArgs, TrackScriptRefArgs, VipArgs,
    VipScope, VirtualServerArgs, VrrpAuthArgs, VrrpInstanceArgs, VrrpScriptArgs,
} from "../provider/plan/keepalived/args";

/**
 * A keepalived VRRP cluster: one rendered keepalived.conf per node, config-tested on every node before
 * any node changes, then applied to the backups and last to the masters, reloaded (not restarted).
 * Where keepalived runs on no node yet (a first deploy), every node is applied at once, masters first.
 * The masters are read from `instances[].master`/`priorities` when the program runs; where those are
 * Outputs, the first node counts as the master for this order (the result is the same config, only
 * the order of the reloads may move a VIP once more).
 */
export class KeepalivedCluster extends pulumi.ComponentResource {
    /** Node name -> path -> text of every file it writes (passwords as placeholders): what preview diffs show. */
    readonly files: pulumi.Output<Record<string, Record<string, string>>>;
    /** Which node holds each instance's VIPs when every node is up, leaving out the nodes in `maintenance`. */
    readonly expectedHolders: pulumi.Output<Record<string, string>>;
    /** Per instance, the longest a backup waits before it takes over from a crashed master, in seconds. */
    readonly failoverBoundSeconds: pulumi.Output<Record<string, number>>;
    /** What the planner decided on the user's behalf (e.g. state BACKUP for nopreempt). */
    readonly notes: pulumi.Output<string[]>;

    constructor(name: string, args: KeepalivedClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-onprem:index:KeepalivedCluster", name, {}, opts);
        const nodes = args.nodes ?? [];

        const { spec, publicSpec } = resolveSpec({ ...args, nodes });
        // Issue messages name fields and rules, never a password: safe to unsecret.
        const own = pulumi.unsecret(spec.apply((s) => issuesOf(parseKeepalived(s))));
        const cross = declareCluster(name, publicSpec);
        const listen = pulumi.output(args.foreignRouterCheck ?? "firstUp");
        const listenIssues = listen.apply((w): Issue[] =>
            FOREIGN_ROUTER_CHECKS.includes(w) ? [] : [{ field: "foreignRouterCheck", message: `\`foreignRouterCheck\`: ${JSON.stringify(w)} is not ${FOREIGN_ROUTER_CHECKS.map((c) => `"${c}"`).join(", ")}` }],
        );
        const issues = pulumi.all([own, cross, listenIssues]).apply(([a, b, c]): Issue[] => [...a, ...b, ...c]);
        const inputs = checkInputs(this, name, `KeepalivedCluster ${name}`, issues);

        // Planned and rendered from the copy with the passwords masked, parsed on its own: a secret password does not make it secret.
        const work = pulumi.all([issues, publicSpec, args.verifyVips]).apply(([found, s, verifyVips]): PlannedCluster | undefined => {
            const parsed = parseKeepalived(s);
            if (found.length > 0 || !parsed.ok) return undefined;
            const plan = planKeepalived(parsed.value);
            return { plan, work: keepalivedWork(parsed.value, plan, { verifyVips: verifyVips !== false }), probes: foreignRouterProbes(parsed.value) };
        });
        const secrets = pulumi.secret(spec.apply(keepalivedSecrets));

        // No host children for a node list they cannot be named from (the issues say why).
        const names = nodes.map((n) => n.name);
        if (names.length > 0 && new Set(names).size === names.length) {
            const children = nodes.map((node) => {
                const host = work.apply((r) => r?.work.hosts[node.name]);
                const hostArgs: HostConfigArgs = {
                    connection: node.connection,
                    kind: "keepalived",
                    files: host.apply((h) => h?.files ?? []),
                    secrets,
                    packages: host.apply((h) => h?.packages ?? []),
                    ensurePackages: args.ensurePackages,
                    validators: host.apply((h) => h?.validators ?? []),
                    services: host.apply((h) => h?.services ?? []),
                    verifiers: host.apply((h) => h?.verifiers ?? []),
                };
                return { node, hostArgs };
            });
            // Phase 0: script files first (see `KeepalivedWork.scriptFiles`).
            const scripts = args.scriptFiles?.length
                ? nodes.map((node) =>
                      new HostConfig(`${name}-${node.name}-scripts`, {
                          connection: node.connection,
                          kind: "keepalived-scripts",
                          files: work.apply((r) => r?.work.scriptFiles ?? []),
                      }, { parent: this, dependsOn: [inputs] }),
                  )
                : [];
            // Phase 1: every node's config passes `keepalived -t` before any node changes.
            const hosts = Object.fromEntries(children.map(({ node, hostArgs }) => [node.name, hostArgs]));
            // A foreign router on a VRID of the cluster is heard at the check's preview, before any node changes.
            const probes = pulumi.all([work, listen]).apply(([r, when]) => (r && when !== "never" ? r.probes : {}));
            const check = new ClusterCheck(`${name}-check`, { kind: "keepalived", hosts, probes, probeAlways: listen.apply((w) => w === "always") }, { parent: this, dependsOn: [inputs, ...scripts] });
            // Phase 2: nodes that master no instance; phase 3: the masters, so VIPs move once at most. Where
            // keepalived ran on no node when the check was created (a first deploy), there is no VIP to move:
            // every node starts at once, masters first, and a master's wait for its VIP (keepalived's
            // master-down interval) passes while the backups are applied.
            const masters = intendedMasters({ ...args, nodes });
            const apply = (group: typeof children, dependsOn: pulumi.Input<pulumi.Resource[]>) =>
                group.map(({ node, hostArgs }) => new HostConfig(`${name}-${node.name}`, hostArgs, { parent: this, dependsOn }));
            const fresh = check.freshStart;
            // The engine takes registrations that arrive together in no set order and starts at most
            // 4 x cores steps at a time: on a fresh start the backups register a moment after the
            // masters, so the masters' waits begin first. (A no-op of a cluster that started fresh pays
            // the moment too: the check's answer stays in state until its next update.)
            const afterMasters = fresh.apply(async (f) => {
                if (f) await new Promise((resolve) => setTimeout(resolve, FRESH_BACKUPS_DELAY_MS));
                return [inputs, check];
            });
            const backups = apply(children.filter((c) => !masters.has(c.node.name)), afterMasters);
            apply(children.filter((c) => masters.has(c.node.name)), fresh.apply((f) => (f ? [inputs, check] : [inputs, check, ...backups])));
        }

        this.files = work.apply((r) => r?.work.files ?? {});
        this.expectedHolders = work.apply((r) => r?.plan.expectedHolder ?? {});
        this.failoverBoundSeconds = work.apply((r) => r?.plan.failoverBoundSeconds ?? {});
        this.notes = work.apply((r) => r?.plan.notes ?? []);
        this.registerOutputs({ files: this.files, expectedHolders: this.expectedHolders, failoverBoundSeconds: this.failoverBoundSeconds, notes: this.notes });
    }
}

const FOREIGN_ROUTER_CHECKS: readonly string[] = ["firstUp", "always", "never"];

const issuesOf = (parsed: Parsed<unknown>): Issue[] => (parsed.ok ? [] : parsed.issues);

/** What a cluster without issues comes to: its plan, each host's work and the foreign-router listeners. */
interface PlannedCluster {
    plan: KeepalivedPlan;
    work: KeepalivedWork;
    probes: Record<string, CommandSpec[]>;
}

/** How long after the masters the backups of a fresh cluster register: a few engine round trips. */
const FRESH_BACKUPS_DELAY_MS = 100;

type Declared = pulumi.Output<{ name: string; spec: KeepalivedClusterSpec }>;

/** Adds this cluster to the run's list; its VRID conflicts with the clusters declared before it. */
function declareCluster(name: string, spec: pulumi.Output<KeepalivedClusterSpec>): pulumi.Output<Issue[]> {
    const declared = perRun<Declared>("keepalived-clusters");
    const mine = spec.apply((s) => ({ name, spec: s }));
    const others = declared.slice();
    declared.push(mine);
    // This cluster last: a conflict is reported on the later of two clusters.
    return pulumi.all([...others, mine]).apply((all) => vridConflicts(all).filter((c) => c.cluster === name).map(({ field, message }) => ({ field, message })));
}
