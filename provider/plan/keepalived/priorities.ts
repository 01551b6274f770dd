/**
 * Who holds an instance's VIPs: each node's priority (explicit or derived from the master), the
 * ranking that follows, and how long a crashed holder takes to be replaced.
 */
import type { VrrpInstanceSpec } from "./model";

/** The priority of an instance's master when priorities are derived. */
const MASTER_PRIORITY = 100;
/** The gap between derived priorities: wider than nothing, narrow enough for a -15 track weight to move the VIPs. */
const PRIORITY_STEP = 10;

/**
 * Derived priorities: the master gets 100; the other nodes follow in node order starting after the
 * master and wrapping around, each 10 lower (90, 80, ...). With more than 10 nodes the step shrinks to
 * fit 1-100. Two instances with different masters on two nodes thus get mirrored priorities (100/90 and
 * 90/100, the dual-master pair of the seeds); with more nodes each master's fallback is the next node,
 * which spreads the fallbacks instead of piling them on one node.
 */
export function derivePriorities(nodeNames: string[], master: string): Record<string, number> {
    const count = nodeNames.length;
    const step = count <= 1 ? PRIORITY_STEP : Math.max(1, Math.min(PRIORITY_STEP, Math.floor((MASTER_PRIORITY - 1) / (count - 1))));
    const start = Math.max(0, nodeNames.indexOf(master));
    const priorities: Record<string, number> = {};
    for (let k = 0; k < count; k++) priorities[nodeNames[(start + k) % count]] = MASTER_PRIORITY - k * step;
    return priorities;
}

/** Each node's priority for one instance: explicit, or derived from its master (default: the first node). */
export function instancePriorities(nodeNames: string[], instance: Pick<VrrpInstanceSpec, "master" | "priorities">): Record<string, number> {
    if (instance.priorities) return Object.fromEntries(nodeNames.map((name) => [name, instance.priorities![name]]));
    return derivePriorities(nodeNames, instance.master ?? nodeNames[0]);
}

/** The nodes from the highest priority down: the first holds the VIPs when every node is up. */
export function rankNodes(nodeNames: string[], priorities: Record<string, number>): string[] {
    return [...nodeNames].sort((a, b) => priorities[b] - priorities[a]);
}

/**
 * keepalived's master-down interval for a backup: 3 × advert_int + skew. The skew is the RFC's:
 * VRRPv2 (RFC 3768, keepalived's default for IPv4): skew = (256 − priority) / 256 seconds;
 * VRRPv3 (RFC 5798, always used for IPv6):            skew = (256 − priority) × advert_int / 256.
 * Both agree at advert_int 1. A backup that hears no advert for this long takes over, so a crashed
 * master's VIPs move after at most this many seconds (plus adding the addresses and sending gratuitous
 * ARPs). A graceful stop sends priority 0 and moves them after the skew alone. keepalived computes
 * the skew from the effective priority, so a track weight applied to the backup shifts it slightly.
 */
export function masterDownIntervalSeconds(advertInt: number, backupPriority: number, vrrpVersion: 2 | 3 = 2): number {
    const skew = vrrpVersion === 3 ? ((256 - backupPriority) * advertInt) / 256 : (256 - backupPriority) / 256;
    return 3 * advertInt + skew;
}
