/**
 * What keepalived's rules need to know about a cluster's addresses, read through the one address
 * model (provider/model/address.ts): a node's subnet, an instance's family, where its adverts go.
 */
import { IpFamily, ParsedCidr, hasPrefix, parseAddress } from "../../model/address";
import { DEFAULT_MCAST_GROUP4, DEFAULT_MCAST_GROUP6, KeepalivedClusterSpec, KeepalivedNodeSpec, VrrpInstanceSpec, vipOf } from "./model";

/** The node's VRRP interface address with its prefix: `interfaceCidr`, else `address` when it is a CIDR. */
export function nodeCidr(node: KeepalivedNodeSpec): ParsedCidr | undefined {
    const parsed = parseAddress(node.interfaceCidr ?? node.address);
    return parsed && hasPrefix(parsed) ? parsed : undefined;
}

/** The address family of an instance: that of its first VIP that parses. */
export function instanceFamily(instance: VrrpInstanceSpec): IpFamily | undefined {
    for (const vip of instance.vips ?? []) {
        const parsed = parseAddress(vipOf(vip).address);
        if (parsed) return parsed.family;
    }
    return undefined;
}

/** "IPv4" or "IPv6", for messages. */
export function familyName(family: IpFamily): string {
    return `IPv${family}`;
}

/** Where an instance's adverts go: "unicast" or its multicast group, which decides whether VRIDs collide. */
export function advertChannel(instance: VrrpInstanceSpec, spec: KeepalivedClusterSpec, family: IpFamily | undefined): string {
    return instance.unicast ? "unicast" : advertGroup(instance, spec, family);
}

/** The multicast group an instance's adverts go to when it is not unicast. */
export function advertGroup(instance: VrrpInstanceSpec, spec: KeepalivedClusterSpec, family: IpFamily | undefined): string {
    if (instance.mcastGroup) return instance.mcastGroup;
    return family === 6 ? DEFAULT_MCAST_GROUP6 : (spec.globalDefs?.vrrpMcastGroup4 ?? DEFAULT_MCAST_GROUP4);
}
