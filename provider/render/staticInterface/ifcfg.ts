/**
 * RHEL network-scripts ifcfg files (also read by NetworkManager's ifcfg-rh plugin with NM_CONTROLLED=yes).
 * - `PREFIX` is what both network-scripts and ifcfg-rh prefer when both are present; `NETMASK` is also
 *   written, as seed 000 and tools that read only NETMASK expect. More IPv4 addresses are
 *   IPADDR1/PREFIX1/NETMASK1, ...; IPv6 is IPV6ADDR plus IPV6ADDR_SECONDARIES.
 * - Route files use `ip route` argument lines, not ADDRESSn/NETMASKn/GATEWAYn: ifup-routes ignores
 *   METRICn in that form and has no table key, and the line form carries both and is the only form
 *   route6- files have.
 */
import type { IPv4CidrRange } from "ip-num";
import type { IpFamily, ParsedCidr } from "../../model/address";
import { shellQuote } from "../../contract/shell";
import type { ResolvedStaticInterface } from "../../plan/staticInterface/model";
import { MANAGED_HEADER } from "../managedHeader";
import { routeArgs } from "./ipRoute";

const NETWORK_SCRIPTS_DIR = "/etc/sysconfig/network-scripts";

export function ifcfgPath(device: string): string {
    return `${NETWORK_SCRIPTS_DIR}/ifcfg-${device}`;
}

export function ifcfgRoutePath(device: string, family: IpFamily): string {
    return `${NETWORK_SCRIPTS_DIR}/${family === 4 ? "route" : "route6"}-${device}`;
}

type Vars = [string, string | number][];

/** ifcfg-<device>. */
export function renderIfcfg(r: ResolvedStaticInterface): string {
    const vars: Vars = [["DEVICE", r.device], ["TYPE", "Ethernet"]];
    if (r.macAddress !== undefined) vars.push(["HWADDR", r.macAddress]);
    // Seed 000 writes "static"; network-scripts treat "none" the same, which reads better without IPv4.
    vars.push(["BOOTPROTO", r.ipv4.length > 0 ? "static" : "none"], ["ONBOOT", r.onBoot ? "yes" : "no"]);
    r.ipv4.forEach((a, i) => {
        const n = i === 0 ? "" : String(i);
        vars.push([`IPADDR${n}`, a.address], [`PREFIX${n}`, a.prefix], [`NETMASK${n}`, ipv4Netmask(a)]);
    });
    const gateway4 = r.routes.find((x) => x.destination === "default" && x.family === 4);
    if (gateway4?.via !== undefined) vars.push(["GATEWAY", gateway4.via]);
    if (r.ipv6.length > 0) {
        vars.push(["IPV6INIT", "yes"], ["IPV6_AUTOCONF", "no"], ["IPV6ADDR", r.ipv6[0].cidr]);
        if (r.ipv6.length > 1) vars.push(["IPV6ADDR_SECONDARIES", r.ipv6.slice(1).map((a) => a.cidr).join(" ")]);
        const gateway6 = r.routes.find((x) => x.destination === "default" && x.family === 6);
        if (gateway6?.via !== undefined) vars.push(["IPV6_DEFAULTGW", gateway6.via]);
    }
    r.dns.forEach((server, i) => vars.push([`DNS${i + 1}`, server]));
    if (r.searchDomains.length > 0) vars.push(["DOMAIN", r.searchDomains.join(" ")]);
    if (r.mtu !== undefined) vars.push(["MTU", r.mtu]);
    vars.push(["NM_CONTROLLED", r.nmControlled ? "yes" : "no"]);
    return `${[MANAGED_HEADER, ...vars.map(([k, v]) => `${k}=${shellQuote(String(v))}`)].join("\n")}\n`;
}

/** route-<device> or route6-<device>; undefined when the family has no routes (no file). */
export function renderIfcfgRoutes(r: ResolvedStaticInterface, family: IpFamily): string | undefined {
    const routes = r.routes.filter((x) => x.family === family && x.destination !== "default");
    if (routes.length === 0) return undefined;
    return `${[MANAGED_HEADER, ...routes.map((x) => routeArgs(x, r.device).join(" "))].join("\n")}\n`;
}

function ipv4Netmask(a: ParsedCidr): string {
    return (a.subnet as IPv4CidrRange).getPrefix().toMask().toString();
}
