/**
 * MTU limits: one floor per address family and one ceiling for every resource that sets an MTU (a
 * link's, a mesh's overlay, its underlay).
 */
import type { IpFamily } from "./address";

/**
 * IPv4's floor: every IPv4 module forwards a 68-byte datagram unfragmented (RFC 791), and it is the
 * lowest MTU Linux accepts on a link that carries IPv4.
 */
const MIN_MTU_IPV4 = 68;
/** IPv6 links must carry 1280 bytes (RFC 8200); below it the kernel disables IPv6 on the link. */
const MIN_MTU_IPV6 = 1280;
/** The largest IP datagram. */
export const MAX_MTU = 65535;

/** The lowest MTU a link that carries `family` may have. */
export function minMtu(family: IpFamily): number {
    return family === 6 ? MIN_MTU_IPV6 : MIN_MTU_IPV4;
}
