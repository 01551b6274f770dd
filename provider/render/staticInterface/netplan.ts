/**
 * netplan YAML (Ubuntu 18.04 and later). Default routes are `to: 0.0.0.0/0` and `to: "::/0"`: the
 * `default` keyword needs a newer netplan than Ubuntu 18.04 and 20.04 shipped.
 */
import type { ResolvedStaticInterface } from "../../plan/staticInterface/model";
import { MANAGED_HEADER } from "../managedHeader";

const NETPLAN_DIR = "/etc/netplan";

export function netplanPath(device: string): string {
    return `${NETPLAN_DIR}/60-pulumi-onprem-${device}.yaml`;
}

export function renderNetplan(r: ResolvedStaticInterface): string {
    const out = [MANAGED_HEADER, "network:", "  version: 2", "  ethernets:", `    ${yamlScalar(r.device)}:`];
    const put = (depth: number, text: string) => out.push(`${"  ".repeat(depth)}${text}`);
    if (r.macAddress !== undefined) {
        put(3, "match:");
        put(4, `name: ${yamlScalar(r.device)}`);
        put(4, `macaddress: ${yamlScalar(r.macAddress)}`);
    }
    put(3, "addresses:");
    for (const a of [...r.ipv4, ...r.ipv6]) put(4, `- ${yamlScalar(a.cidr)}`);
    if (r.ipv6.length > 0) put(3, "accept-ra: false");
    if (r.mtu !== undefined) put(3, `mtu: ${r.mtu}`);
    if (r.dns.length > 0 || r.searchDomains.length > 0) {
        put(3, "nameservers:");
        if (r.dns.length > 0) {
            put(4, "addresses:");
            for (const d of r.dns) put(5, `- ${yamlScalar(d)}`);
        }
        if (r.searchDomains.length > 0) {
            put(4, "search:");
            for (const d of r.searchDomains) put(5, `- ${yamlScalar(d)}`);
        }
    }
    if (r.routes.length > 0) {
        put(3, "routes:");
        for (const route of r.routes) {
            const to = route.destination === "default" ? (route.family === 4 ? "0.0.0.0/0" : "::/0") : route.destination;
            put(4, `- to: ${yamlScalar(to)}`);
            if (route.via !== undefined) put(5, `via: ${yamlScalar(route.via)}`);
            // netplan wants a next hop unless the route is declared on-link.
            else put(5, "scope: link");
            if (route.metric !== undefined) put(5, `metric: ${route.metric}`);
            if (route.table !== undefined) put(5, `table: ${route.table}`);
        }
    }
    // `activation-mode` needs netplan 0.103 or later; it is written only when asked for.
    if (!r.onBoot) put(3, "activation-mode: manual");
    return `${out.join("\n")}\n`;
}

const YAML_KEYWORDS = /^(y|yes|n|no|true|false|on|off|null|~)$/i;
const YAML_NUMBER = /^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$/;

/** A string as YAML reads it back unchanged: plain when safe, else double-quoted (JSON strings are valid YAML). */
function yamlScalar(value: string): string {
    if (/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/.test(value) && !YAML_KEYWORDS.test(value) && !YAML_NUMBER.test(value)) return value;
    return JSON.stringify(value);
}
