/**
 * Debian ifupdown stanzas in /etc/network/interfaces.d. ifupdown 0.8 applies only the first `address`
 * of a stanza, so every further address gets its own `iface` stanza (interfaces(5): several stanzas of
 * one interface are all applied). Routes are added in the last stanza of their family (all addresses are
 * up by then) and removed in the first (before anything goes down).
 */
import type { ResolvedStaticInterface } from "../../plan/staticInterface/model";
import { MANAGED_HEADER } from "../managedHeader";
import { routeArgs } from "./ipRoute";

const INTERFACES_DIR = "/etc/network/interfaces.d";

/** ifupdown's `source-directory` skips names with characters other than letters, digits, _ and -. */
export function interfacesPath(device: string): string {
    return `${INTERFACES_DIR}/${device.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export function renderInterfaces(r: ResolvedStaticInterface): string {
    const blocks: string[][] = [];
    let firstStanza = true;
    for (const family of [4, 6] as const) {
        const addresses = family === 4 ? r.ipv4 : r.ipv6;
        const routes = r.routes.filter((x) => x.family === family && x.destination !== "default");
        const gateway = r.routes.find((x) => x.family === family && x.destination === "default");
        const ipFamily = family === 4 ? "-4" : "-6";
        addresses.forEach((a, i) => {
            const stanza = [`iface ${r.device} ${family === 4 ? "inet" : "inet6"} static`, `    address ${a.cidr}`];
            if (i === 0 && gateway?.via !== undefined) stanza.push(`    gateway ${gateway.via}`);
            // A static IPv6 address means no router advertisements, as the other formats do.
            if (i === 0 && family === 6) stanza.push("    accept_ra 0");
            if (firstStanza) {
                firstStanza = false;
                if (r.mtu !== undefined) stanza.push(`    mtu ${r.mtu}`);
                if (r.macAddress !== undefined) {
                    // ifupdown cannot match a NIC by its address: refuse to configure another NIC instead.
                    stanza.push(`    pre-up test "$(cat /sys/class/net/${r.device}/address)" = ${r.macAddress}`);
                }
                if (r.dns.length > 0) stanza.push(`    dns-nameservers ${r.dns.join(" ")}`);
                if (r.searchDomains.length > 0) stanza.push(`    dns-search ${r.searchDomains.join(" ")}`);
            }
            if (i === addresses.length - 1) {
                for (const route of routes) stanza.push(`    post-up ip ${ipFamily} route replace ${routeArgs(route, r.device).join(" ")}`);
            }
            if (i === 0) {
                for (const route of routes) stanza.push(`    pre-down ip ${ipFamily} route del ${routeArgs(route, r.device).join(" ")}`);
            }
            blocks.push(stanza);
        });
    }
    const head = [MANAGED_HEADER];
    if (r.onBoot) head.push(`auto ${r.device}`);
    return `${[[...head, ...blocks[0]].join("\n"), ...blocks.slice(1).map((b) => b.join("\n"))].join("\n\n")}\n`;
}
