/**
 * The VRID rule across clusters the program declares: two clusters whose nodes share an interface
 * subnet (one segment) and use one VRID for the same address family and advert channel would take each
 * other's adverts. Unicast instances collide only when their peers overlap. Nodes without a known
 * subnet are skipped.
 */
import type { Issue } from "../../contract/issue";
import { IpFamily, parseAddress } from "../../model/address";
import { advertChannel, instanceFamily, nodeCidr } from "./addresses";
import { KeepalivedClusterSpec, VrrpInstanceSpec } from "./model";

/** Another cluster using one VRID on the same segment. */
export interface VridConflict extends Issue {
    /** The cluster the field belongs to. */
    cluster: string;
    /** The cluster it conflicts with. */
    otherCluster: string;
}

interface Use {
    cluster: string;
    index: number;
    instance: VrrpInstanceSpec;
    segment: string;
    family: IpFamily | undefined;
    channel: string;
    addresses: Set<string>;
}

/** Every conflict, reported on the later of the two clusters in `clusters`. */
export function vridConflicts(clusters: { name: string; spec: KeepalivedClusterSpec }[]): VridConflict[] {
    const uses = clusters.flatMap(({ name, spec }) => usesOf(name, spec));
    const conflicts: VridConflict[] = [];
    const reported = new Set<string>();
    for (let j = 0; j < uses.length; j++) {
        for (let i = 0; i < j; i++) {
            const a = uses[i];
            const b = uses[j];
            if (a.cluster === b.cluster || a.segment !== b.segment) continue;
            if (a.instance.virtualRouterId !== b.instance.virtualRouterId || a.family !== b.family || a.channel !== b.channel) continue;
            if (a.channel === "unicast" && ![...a.addresses].some((x) => b.addresses.has(x))) continue;
            const key = `${b.cluster}|${b.index}|${a.cluster}|${a.index}`;
            if (reported.has(key)) continue;
            reported.add(key);
            const field = `instances[${b.index}].virtualRouterId`;
            conflicts.push({
                cluster: b.cluster,
                otherCluster: a.cluster,
                field,
                message: `\`${field}\`: ${b.instance.virtualRouterId} on segment ${b.segment} is also used by cluster ${JSON.stringify(a.cluster)} (instances[${a.index}], ${a.instance.name})`,
            });
        }
    }
    return conflicts;
}

/** Each instance of a cluster once per segment its nodes' VRRP interfaces are on. */
function usesOf(cluster: string, spec: KeepalivedClusterSpec): Use[] {
    const nodes = spec.nodes ?? [];
    const addresses = new Set(nodes.map((n) => parseAddress(n.address)?.address ?? n.address));
    return (spec.instances ?? []).flatMap((instance, index) => {
        const family = instanceFamily(instance);
        const channel = advertChannel(instance, spec, family);
        const segments = new Set<string>();
        for (const node of nodes) {
            const cidr = nodeCidr(node);
            // A node's subnet describes its own VRRP interface only.
            if (cidr && (instance.interface ?? node.interface) === node.interface) segments.add(cidr.network);
        }
        return [...segments].map((segment) => ({ cluster, index, instance, segment, family, channel, addresses }));
    });
}
