/**
 * Debian ifupdown stanzas (/etc/network/interfaces or a file of interfaces.d) read into the StaticInterface
 * fields: what interfaces.ts renders (one `iface` stanza per address, routes as `post-up ip route replace`)
 * and what operators write (`address` with `netmask` or `/prefix`, `gateway`, `dns-nameservers`,
 * `up ip route add`). The first interface named in an `iface` stanza (other than lo) is the one imported;
 * any other interface is reported. Pure.
 */
import { parseIp } from "../model/address";
import { MAX_MTU } from "../model/mtu";
import {
    type Collected, type HostFile, type IpRoute, type Report, type Source, cidr, collectIpRoute, netmaskPrefix, numberedLines, readIpRouteArgs, wholeNumber,
} from "./staticInterfaceRead";

/** Words that start a stanza or a top-level statement (interfaces(5)). */
const TOP_LEVEL = /^(iface|mapping|auto|allow-[\w-]+|source|source-directory|source-dir|no-auto-down|no-scripts|rename)$/;
/** `ip` as a hook command writes it: the binary (any of its usual paths), an optional family, `route`. */
const IP_ROUTE = /^(?:(?:\/usr)?\/s?bin\/)?ip(?:\s+(-4|-6))?\s+(?:route|ro|r)\s+(add|replace|del|delete)\s+(.*)$/;
/** The check interfaces.ts writes for `macAddress`: ifupdown cannot match a NIC by its address. */
const MAC_CHECK = /^test "\$\(cat \/sys\/class\/net\/([^/]+)\/address\)" = ([0-9a-f]{2}(?::[0-9a-f]{2}){5})$/;

interface Statement {
    words: string[];
    /** What follows the first word, as written (hooks keep their spacing). */
    rest: string;
    at: Source;
}

interface Stanza {
    head: Statement;
    device: string;
    family: string;
    method: string;
    options: Statement[];
}

/** Reads the stanzas of the file's first interface into `c`. */
export function readInterfaces(file: HostFile, c: Collected, report: Report): void {
    const { top, stanzas } = statements(file, report);
    const device = stanzas.find((s) => s.device !== "lo")?.device;
    if (device === undefined) {
        for (const s of stanzas) report(s.head.at, "the loopback interface is not expressed by StaticInterface");
        return;
    }
    c.device = { value: device, at: stanzas.find((s) => s.device === device)!.head.at };
    c.onBoot = false;
    for (const st of top) {
        const names = st.words.slice(1);
        const kind = st.words[0];
        if ((kind === "auto" || kind === "allow-auto" || kind === "allow-hotplug") && names.includes(device)) {
            c.onBoot = true;
            if (kind === "allow-hotplug") report(st.at, "`allow-hotplug` brings the interface up when the NIC appears; StaticInterface writes `auto` (up at boot)");
            const others = names.filter((n) => n !== device);
            if (others.length > 0) report(st.at, `also names ${others.join(", ")}: only ${device} is imported`);
        } else {
            report(st.at, kind === "auto" || kind.startsWith("allow-") ? `names other interfaces: only ${device} is imported` : `\`${kind}\` is not expressed by StaticInterface`);
        }
    }
    const deletes: { route: IpRoute; at: Source }[] = [];
    for (const s of stanzas) {
        if (s.device !== device) {
            for (const st of [s.head, ...s.options]) report(st.at, `a second interface (${s.device}): only ${device} is imported`);
        } else if (s.method !== "static" || (s.family !== "inet" && s.family !== "inet6")) {
            const why = s.method === "dhcp" || s.method === "auto" ? "DHCP and autoconfiguration are not expressed: StaticInterface sets static addresses only" : `\`${s.family} ${s.method}\` is not expressed: StaticInterface writes static stanzas`;
            for (const st of [s.head, ...s.options]) report(st.at, st === s.head ? why : "in a stanza that is not imported");
        } else {
            readStanza(s, c, report, deletes);
        }
    }
    // Deleting an imported route on the way down is what StaticInterface does itself.
    const imported = new Set(c.routes.map((r) => JSON.stringify(r.value)));
    for (const d of deletes) {
        if (!(d.route.ok && d.route.kind === "route" && imported.has(JSON.stringify(d.route.route)))) report(d.at, "deletes a route this file does not add: not expressed");
    }
}

function readStanza(s: Stanza, c: Collected, report: Report, deletes: { route: IpRoute; at: Source }[]): void {
    const family = s.family === "inet" ? 4 : 6;
    const addresses = s.options.filter((o) => o.words[0] === "address");
    const netmasks = s.options.filter((o) => o.words[0] === "netmask");
    if (addresses.length === 0) report(s.head.at, "a static stanza without an address");
    addresses.slice(1).forEach((a) => report(a.at, "ifupdown applies only the first `address` of a stanza; give each address its own stanza"));
    netmasks.slice(1).forEach((a) => report(a.at, "a second `netmask` in the stanza"));
    const first = addresses[0];
    if (first) {
        const [address, prefixText] = (first.words[1] ?? "").split("/", 2);
        const mask = netmasks[0]?.words[1];
        // inet netmasks are dotted or a length; inet6 ones a length.
        const fromMask = mask === undefined ? undefined : family === 4 && mask.includes(".") ? netmaskPrefix(mask) : wholeNumber(mask, 0, family === 4 ? 32 : 128);
        if (mask !== undefined && fromMask === undefined) report(netmasks[0].at, `${mask} is not a netmask`);
        if (prefixText !== undefined && fromMask !== undefined && String(fromMask) !== prefixText) report(netmasks[0].at, `disagrees with the prefix of ${first.words[1]}`);
        const prefix = prefixText ?? fromMask;
        const parsed = prefix === undefined ? undefined : cidr(address, prefix);
        if (prefix === undefined) report(first.at, "an address without a prefix length or netmask");
        else if (!parsed!.ok || parsed!.value.family !== family) report(first.at, parsed!.ok ? `${first.words[1]} is not an ${s.family} address` : parsed!.reason);
        else c.addresses.push({ value: parsed!.value.cidr, at: first.at });
    }
    for (const o of s.options) {
        const [key, ...args] = o.words;
        const one = args.length === 1 ? args[0] : undefined;
        switch (key) {
            case "address":
            case "netmask":
                break;
            case "gateway": {
                const ip = one === undefined ? undefined : parseIp(one);
                const field = family === 4 ? "gateway" : "gateway6";
                if (ip?.family !== family) report(o.at, `${o.rest} is not an IPv${family} address`);
                else if (c[field]) report(o.at, `a second IPv${family} gateway; it is ${c[field]!.value} (line ${c[field]!.at.line})`);
                else c[field] = { value: ip.address, at: o.at };
                break;
            }
            case "dns-nameservers":
            case "dns-nameserver":
                for (const a of args) {
                    const ip = parseIp(a);
                    if (ip) c.dns.push({ value: ip.address, at: o.at });
                    else report(o.at, `${a} is not an IP address`);
                }
                break;
            case "dns-search":
                for (const d of args) c.searchDomains.push({ value: d, at: o.at });
                break;
            case "mtu": {
                const n = wholeNumber(one, 1, MAX_MTU);
                if (n === undefined) report(o.at, `MTU ${o.rest} is not a number 1-${MAX_MTU}`);
                else if (c.mtu && c.mtu.value !== n) report(o.at, `a second MTU; it is ${c.mtu.value} (line ${c.mtu.at.line})`);
                else c.mtu = { value: n, at: o.at };
                break;
            }
            case "accept_ra":
                if (!(family === 6 && one === "0")) report(o.at, "router advertisements are not expressed: StaticInterface turns them off (accept_ra 0)");
                break;
            case "pre-up": {
                const mac = MAC_CHECK.exec(o.rest);
                if (mac && mac[1] === s.device) c.macAddress = { value: mac[2], at: o.at };
                else report(o.at, "hooks are not expressed by StaticInterface");
                break;
            }
            case "up":
            case "post-up":
            case "down":
            case "pre-down":
            case "post-down":
                readRouteHook(o, key, family, s.device, c, report, deletes);
                break;
            default:
                report(o.at, key === "hwaddress" ? "setting the NIC's address is not expressed (`macAddress` matches it)" : `\`${key}\` is not expressed by StaticInterface`);
        }
    }
}

/** `up ip route add ...` is a route when it is a plain `ip route` command; any other hook is reported. */
function readRouteHook(o: Statement, key: string, stanzaFamily: 4 | 6, device: string, c: Collected, report: Report, deletes: { route: IpRoute; at: Source }[]): void {
    const m = IP_ROUTE.exec(o.rest);
    // Shell syntax (`|| true`, `;`, `$VAR`) makes it more than a route.
    if (!m || /[;&|$`<>()\\'"]/.test(o.rest)) {
        report(o.at, "hooks are not expressed by StaticInterface (only a plain `ip route add` is read as a route)");
        return;
    }
    const family = m[1] === "-6" ? 6 : m[1] === "-4" ? 4 : undefined;
    const route = readIpRouteArgs(m[3].trim().split(/\s+/), device, family);
    const adds = m[2] === "add" || m[2] === "replace";
    const upHook = key === "up" || key === "post-up";
    if (adds && upHook) {
        // A route's family is its own: a stanza of the other family only brings it up at another moment.
        if (route.ok && route.kind === "gateway") report(o.at, `a default route in a hook: write it as \`gateway\` (the ${stanzaFamily === 4 ? "inet" : "inet6"} stanza's)`);
        else collectIpRoute(c, route, o.at, report);
    } else if (!adds && !upHook) {
        deletes.push({ route, at: o.at });
    } else {
        report(o.at, `\`${key}\` with \`ip route ${m[2]}\` is not expressed`);
    }
}

/** The file's statements: top-level ones (auto, allow-*, source, ...) and `iface` stanzas with their options. */
function statements(file: HostFile, report: Report): { top: Statement[]; stanzas: Stanza[] } {
    const top: Statement[] = [];
    const stanzas: Stanza[] = [];
    let current: Stanza | undefined;
    let pending: { line: number; text: string } | undefined;
    for (const l of numberedLines(file.text)) {
        // A line ending in `\` continues on the next (interfaces(5)); it is quoted from its first line.
        const joined = pending ? { line: pending.line, text: `${pending.text} ${l.text.trim()}` } : l;
        if (joined.text.endsWith("\\")) {
            pending = { line: joined.line, text: joined.text.slice(0, -1) };
            continue;
        }
        pending = undefined;
        const text = joined.text.trim();
        if (text === "" || text.startsWith("#")) continue;
        const words = text.split(/\s+/);
        const st: Statement = { words, rest: text.slice(words[0].length).trim(), at: { path: file.path, line: joined.line, text } };
        if (words[0] === "iface") {
            current = { head: st, device: words[1] ?? "", family: words[2] ?? "", method: words[3] ?? "", options: [] };
            stanzas.push(current);
        } else if (TOP_LEVEL.test(words[0])) {
            current = undefined;
            top.push(st);
        } else if (current) {
            current.options.push(st);
        } else {
            report(st.at, "an option outside any `iface` stanza");
        }
    }
    return { top, stanzas };
}
