import { ParsedKeepalived, ParsedVrrpInstance, hasScripts, leavesThroughFault } from "./model";
import { masterDownIntervalSeconds, rankNodes } from "./priorities";

/**
 * Pure planner for a keepalived cluster: who starts as MASTER, each node's priority, unicast peers,
 * who should hold each instance's VIPs, and how long a crash takes to fail over. It takes the cluster
 * `parseKeepalived` returned, its defaults applied. Rules it applies on the user's behalf are reported in `notes`, to be
 * shown once at preview.
 */

type VrrpState = "MASTER" | "BACKUP";

/** One instance as one node runs it. */
export interface InstancePlan {
    /** The instance name. */
    name: string;
    /** The initial `state`. */
    state: VrrpState;
    /** This node's `priority`, 1-254. */
    priority: number;
    /** The interface VRRP runs on, on this node. */
    interface: string;
    /** `advert_int` in seconds. */
    advertInt: number;
    /** Unicast instances only: this node's own address. */
    unicastSrcIp?: string;
    /** Unicast instances only: the other nodes' addresses, in node order. */
    unicastPeers?: string[];
}

interface NodePlan {
    name: string;
    /** The resolved `router_id`. */
    routerId: string;
    /** In the order of `spec.instances`. */
    instances: InstancePlan[];
}

export interface KeepalivedPlan {
    /** Per node name. */
    nodes: Record<string, NodePlan>;
    /** Per instance: the node holding its VIPs when every node is up (the highest priority outside `maintenance`). */
    expectedHolder: Record<string, string>;
    /**
     * Per instance with at least two nodes outside maintenance: seconds from a crash of the holder until
     * the next node takes the VIPs, i.e. keepalived's master-down interval for that node (see
     * `masterDownIntervalSeconds`). It also bounds a move into or out of maintenance.
     */
    failoverBoundSeconds: Record<string, number>;
    /** Rules applied and things worth knowing, each said once. */
    notes: string[];
}

/** Plans a parsed cluster. */
export function planKeepalived(spec: ParsedKeepalived): KeepalivedPlan {
    const notes: string[] = [];
    const strict = spec.globalDefs.vrrpStrict === true;
    const nodes: Record<string, NodePlan> = {};
    for (const node of spec.nodes) {
        nodes[node.name] = { name: node.name, routerId: node.routerId, instances: [] };
    }
    const expectedHolder: Record<string, string> = {};
    const failoverBoundSeconds: Record<string, number> = {};
    const maintenance = new Set(spec.maintenance);

    spec.instances.forEach((instance, i) => {
        const label = `\`instances[${i}]\` (${instance.name})`;
        const advertInt = instance.advertInt;
        const names = spec.nodes.map((n) => n.name);
        const priorities = instance.priorities;
        // States and priorities come from every node (a node's config does not change with maintenance);
        // who holds the VIPs, and who takes them next, from the nodes outside it.
        const all = rankNodes(names, priorities);
        const ranked = all.filter((n) => !maintenance.has(n));
        const holder = ranked[0];
        expectedHolder[instance.name] = holder;
        notes.push(...maintenanceNotes(instance, label, all[0], holder, advertInt, priorities[holder]));

        const allBackup = !instance.preempt || instance.preemptDelay !== undefined || strict;
        if (!instance.preempt || instance.preemptDelay !== undefined) {
            const what = !instance.preempt ? "`nopreempt`" : "`preempt_delay`";
            notes.push(`${label}: every node starts in state BACKUP, since ${what} works only when no node starts as MASTER; ${all[0]} (priority ${priorities[all[0]]}) still takes the VIPs first.`);
        } else if (strict) {
            notes.push(`${label}: every node starts in state BACKUP, since \`vrrp_strict\` allows state MASTER only at priority 255; ${all[0]} (priority ${priorities[all[0]]}) still takes the VIPs first.`);
        }
        if (!instance.preempt) {
            notes.push(`${label}: with \`nopreempt\` the VIPs stay where a failover put them; \`expectedHolder\` is the holder after a start of all nodes.`);
        }

        if (ranked.length >= 2) {
            failoverBoundSeconds[instance.name] = masterDownIntervalSeconds(advertInt, priorities[ranked[1]], vrrpVersionOf(instance));
            notes.push(...weakWeightNotes(spec, instance, label, holder, priorities[holder], ranked[1], priorities[ranked[1]]));
        } else if (all.length >= 2) {
            notes.push(`${label}: only ${holder} is outside maintenance, so there is no failover until a node comes back.`);
        } else {
            notes.push(`${label}: only one node, so there is no failover.`);
        }

        spec.nodes.forEach((node) => {
            const plan: InstancePlan = {
                name: instance.name,
                state: !allBackup && node.name === all[0] ? "MASTER" : "BACKUP",
                priority: priorities[node.name],
                interface: instance.interfaces[node.name],
                advertInt,
            };
            if (instance.unicast) {
                plan.unicastSrcIp = node.address.address;
                plan.unicastPeers = spec.nodes.filter((other) => other.name !== node.name).map((other) => other.address.address);
            }
            nodes[node.name].instances.push(plan);
        });
    });

    if (hasScripts(spec)) {
        if (spec.globalDefs.scriptUser === undefined) {
            notes.push("Scripts run as root (`script_user root`): keepalived 2.2.7 drops every script when its default user keepalived_script does not exist, instead of falling back to root as documented.");
        } else if (spec.scriptUser !== "root") {
            notes.push(`Scripts run as ${spec.scriptUser}: keepalived 2.2.7's config test (\`keepalived -t\`) is killed ("Terminated", exit 143) when scripts run as a non-root user (upstream issue 2587, fixed in 2.2.8); the daemon itself is not affected.`);
        }
    }
    const tracked = new Set(spec.instances.flatMap((inst) => inst.trackScripts.map((ref) => ref.name)));
    for (const name of Object.keys(spec.scripts).sort()) {
        if (!tracked.has(name)) notes.push(`\`scripts.${name}\` is tracked by no instance, so keepalived never runs it.`);
    }

    return { nodes, expectedHolder, failoverBoundSeconds, notes };
}

/**
 * What maintenance does to an instance whose first choice is in it: how its VIPs leave (see the
 * renderer's `track_file`) and who takes them.
 */
function maintenanceNotes(instance: ParsedVrrpInstance, label: string, first: string, holder: string, advertInt: number, holderPriority: number): string[] {
    if (first === holder) return [];
    if (leavesThroughFault(instance)) {
        const what = !instance.preempt ? "`nopreempt` keeps a lowered master in charge" : "`preempt_delay` delays a move by priority";
        return [`${label}: ${first} is in maintenance and goes to FAULT (${what}); its priority-0 advert hands the VIPs to ${holder} after about ${skewSeconds(holderPriority).toFixed(2)} s, with no holder in between.`];
    }
    return [
        `${label}: ${first} is in maintenance (priority lowered to 1); ${holder} takes the VIPs within ${masterDownIntervalSeconds(advertInt, holderPriority, vrrpVersionOf(instance)).toFixed(2)} s while ${first} keeps them until then, and ${first} stays a last-resort backup.`,
    ];
}

const skewSeconds = (priority: number) => (256 - priority) / 256;
const vrrpVersionOf = (instance: ParsedVrrpInstance): 2 | 3 => (instance.family === 6 ? 3 : 2);

/** Negative track weights too small to move the VIPs: a failure lowers the holder but not below the next node. */
function weakWeightNotes(
    spec: ParsedKeepalived,
    instance: ParsedVrrpInstance,
    label: string,
    holder: string,
    holderPriority: number,
    next: string,
    nextPriority: number,
): string[] {
    const trackers: { what: string; weight: number }[] = [
        ...instance.trackScripts.map(({ name, weight }) => ({ what: `script ${name}`, weight: weight ?? spec.scripts[name]?.weight ?? 0 })),
        ...instance.trackInterfaces.map((t) => ({ what: `interface ${t.name}`, weight: t.weight ?? 0 })),
    ];
    return trackers
        .filter((t) => t.weight < 0 && holderPriority + t.weight >= nextPriority)
        .map(
            (t) =>
                `${label}: a failing ${t.what} lowers ${holder} from ${holderPriority} to ${holderPriority + t.weight}, not below ${next}'s ${nextPriority}, so the VIPs stay; use a weight below ${nextPriority - holderPriority} to move them.`,
        );
}
