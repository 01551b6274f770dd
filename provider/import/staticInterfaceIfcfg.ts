/**
 * ifcfg-<dev> (network-scripts shell variables) and its route-<dev>/route6-<dev> files, read into the
 * StaticInterface fields: both what ifcfg.ts renders (PREFIX and NETMASK, IPADDRn, IPV6ADDR_SECONDARIES)
 * and what operators write by hand (seed 000: IPADDR, NETMASK, GATEWAY, DNS1, quoted or not, comments).
 * Values are read as the shell would, without running it: anything that needs the shell (`$VAR`,
 * command substitution, two words) is reported. Pure.
 */
import { parseIp } from "../model/address";
import { MAX_MTU } from "../model/mtu";
import {
    type Collected, type HostFile, type Report, type Source, cidr, collectIpRoute, netmaskPrefix, numberedLines, readIpRouteArgs, wholeNumber,
} from "./staticInterfaceRead";
import { isMacAddress } from "../model/macAddress";

/** Keys whose value here is what StaticInterface renders or leaves as the default: nothing to carry over. */
const DEFAULT_VALUES: Record<string, string[]> = {
    TYPE: ["ethernet"],
    BOOTPROTO: ["static", "none"],
    DEFROUTE: ["yes"],
    PEERDNS: ["yes"],
    USERCTL: ["no"],
    IPV4_FAILURE_FATAL: ["no"],
    IPV6_DEFROUTE: ["yes"],
    IPV6_PEERDNS: ["yes"],
    IPV6_AUTOCONF: ["no"],
    PROXY_METHOD: ["none"],
    BROWSER_ONLY: ["no"],
};

/** Why a key is not carried over, where a general "not expressed" would not say enough. */
const KEY_WHY: Record<string, string> = {
    BOOTPROTO: "DHCP and BOOTP are not expressed: StaticInterface sets static addresses only",
    MASTER: "bonding is not expressed by StaticInterface",
    SLAVE: "bonding is not expressed by StaticInterface",
    BONDING_OPTS: "bonding is not expressed by StaticInterface",
    BRIDGE: "bridge ports are not expressed by StaticInterface",
    TYPE: "StaticInterface writes Ethernet interfaces only",
    MACADDR: "setting the NIC's address is not expressed (`macAddress` matches it, as HWADDR does)",
    NAME: "StaticInterface names the connection itself; the name is not carried over",
    UUID: "StaticInterface's connection has a UUID of its own; this one is not carried over",
    PEERDNS: "PEERDNS=no keeps DNS servers out of resolv.conf; StaticInterface leaves the default (yes)",
    DEFROUTE: "DEFROUTE=no is not expressed: a `gateway` is always the default route",
    IPV6_AUTOCONF: "router advertisements are not expressed: StaticInterface writes IPV6_AUTOCONF=no",
};

interface Assignment {
    key: string;
    value: string;
    at: Source;
}

/** Reads ifcfg-<dev> and its route files into `c`. */
export function readIfcfg(file: HostFile, routeFiles: readonly HostFile[], c: Collected, report: Report): void {
    const vars = readAssignments(file, report);
    const get = (key: string) => vars.get(key);
    const take = (key: string) => {
        const a = vars.get(key);
        vars.delete(key);
        return a;
    };
    const bad = (a: Assignment, why: string) => report(a.at, why);

    const deviceVar = take("DEVICE");
    const fromName = /(?:^|\/)ifcfg-([^/]+)$/.exec(file.path)?.[1];
    if (deviceVar) c.device = { value: deviceVar.value, at: deviceVar.at };
    // network-scripts take the device from the file name when DEVICE is missing.
    else if (fromName) c.device = { value: fromName, at: { path: file.path, line: 0, text: "" } };
    const device = c.device?.value ?? "";

    const hw = take("HWADDR");
    if (hw) {
        if (isMacAddress(hw.value)) c.macAddress = { value: hw.value.toLowerCase(), at: hw.at };
        else bad(hw, `${hw.value} is not a MAC address like 52:54:00:12:34:56`);
    }
    const onBoot = take("ONBOOT");
    if (onBoot) c.onBoot = yesNo(onBoot, report);
    const nm = take("NM_CONTROLLED");
    if (nm) c.nmControlled = yesNo(nm, report);

    readIpv4(vars, take, c, report);
    readIpv6(take, get, c, report);

    // DNS1, DNS2, ... in number order, as network-scripts write them to resolv.conf.
    const dnsKeys = [...vars.keys()].filter((k) => /^DNS\d+$/.test(k)).sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
    for (const k of dnsKeys) {
        const a = take(k)!;
        const ip = parseIp(a.value);
        if (ip) c.dns.push({ value: ip.address, at: a.at });
        else bad(a, `${a.value} is not an IP address`);
    }
    const domain = take("DOMAIN");
    if (domain) for (const d of domain.value.split(/\s+/).filter(Boolean)) c.searchDomains.push({ value: d, at: domain.at });
    const mtu = take("MTU");
    if (mtu) {
        const n = wholeNumber(mtu.value, 1, MAX_MTU);
        if (n === undefined) bad(mtu, `MTU ${mtu.value} is not a number 1-${MAX_MTU}`);
        else c.mtu = { value: n, at: mtu.at };
    }
    for (const a of vars.values()) {
        if (DEFAULT_VALUES[a.key]?.includes(a.value.toLowerCase())) continue;
        if (a.key === "IPV6INIT" && /^(yes|no)$/i.test(a.value)) continue; // read with the IPv6 addresses
        bad(a, KEY_WHY[a.key] ?? (/^(GATEWAY|METRIC)\d+$/.test(a.key) ? `\`${a.key}\` (a per-address gateway or metric) is not expressed; \`gateway\` is the one default route` : `\`${a.key}\` is not expressed by StaticInterface`));
    }
    for (const f of routeFiles) readRouteFile(f, device, c, report);
}

function readIpv4(vars: Map<string, Assignment>, take: (k: string) => Assignment | undefined, c: Collected, report: Report): void {
    // IPADDR, then IPADDR0, IPADDR1, ...: network-scripts and ifcfg-rh read them in that order.
    const suffixes = [...vars.keys()].flatMap((k) => /^IPADDR(\d*)$/.exec(k)?.[1] ?? []).sort((a, b) => (a === "" ? -1 : b === "" ? 1 : Number(a) - Number(b)));
    for (const n of suffixes) {
        const ip = take(`IPADDR${n}`)!;
        const prefix = take(`PREFIX${n}`);
        const mask = take(`NETMASK${n}`);
        const fromMask = mask ? netmaskPrefix(mask.value) : undefined;
        if (mask && fromMask === undefined) report(mask.at, `${mask.value} is not a netmask`);
        // PREFIX wins over NETMASK in both network-scripts and ifcfg-rh; a NETMASK that disagrees is lost.
        if (prefix && mask && fromMask !== undefined && String(fromMask) !== prefix.value) report(mask.at, `NETMASK${n} disagrees with PREFIX${n}=${prefix.value}, which wins`);
        const length = prefix?.value ?? fromMask;
        if (length === undefined) {
            report(ip.at, `IPADDR${n} has no PREFIX${n} or NETMASK${n}: the prefix would be guessed from the address class`);
            continue;
        }
        const parsed = cidr(ip.value, length);
        if (!parsed.ok || parsed.value.family !== 4) report(ip.at, parsed.ok ? `${ip.value} is not an IPv4 address` : parsed.reason);
        else c.addresses.push({ value: parsed.value.cidr, at: ip.at });
    }
    for (const k of [...vars.keys()].filter((k) => /^(PREFIX|NETMASK)\d*$/.test(k))) report(take(k)!.at, `\`${k}\` belongs to no IPADDR`);
    const gw = take("GATEWAY");
    if (gw) {
        const ip = parseIp(gw.value);
        if (ip?.family === 4) c.gateway = { value: ip.address, at: gw.at };
        else report(gw.at, `${gw.value} is not an IPv4 address`);
    }
}

function readIpv6(take: (k: string) => Assignment | undefined, get: (k: string) => Assignment | undefined, c: Collected, report: Report): void {
    const first = take("IPV6ADDR");
    const more = take("IPV6ADDR_SECONDARIES");
    const gw = take("IPV6_DEFAULTGW");
    if (!first && !more && !gw) return;
    const init = get("IPV6INIT");
    if (init?.value.toLowerCase() !== "yes") {
        // network-scripts apply IPv6 settings only with IPV6INIT=yes.
        for (const a of [first, more, gw]) if (a) report(a.at, "IPV6INIT is not yes: the host does not apply this");
        return;
    }
    if (!get("IPV6_AUTOCONF")) report(init.at, "IPV6_AUTOCONF is not set, so the host also takes router advertisements; StaticInterface turns them off");
    const words = [...(first ? [{ text: first.value, at: first.at }] : []), ...(more ? more.value.split(/\s+/).filter(Boolean).map((text) => ({ text, at: more.at })) : [])];
    for (const w of words) {
        // The documented default prefix of IPV6ADDR is 64.
        const [address, prefix = "64"] = w.text.split("/", 2);
        const parsed = cidr(address, prefix);
        if (!parsed.ok || parsed.value.family !== 6) report(w.at, parsed.ok ? `${w.text} is not an IPv6 address` : parsed.reason);
        else c.addresses.push({ value: parsed.value.cidr, at: w.at });
    }
    if (gw) {
        // IPV6_DEFAULTGW may name the device after `%`: only this device is expressed.
        const [address, zone] = gw.value.split("%", 2);
        const ip = parseIp(address);
        if (ip?.family !== 6) report(gw.at, `${gw.value} is not an IPv6 address`);
        else if (zone !== undefined && zone !== c.device?.value) report(gw.at, `the gateway is on ${zone}, not this device`);
        else c.gateway6 = { value: ip.address, at: gw.at };
    }
}

function yesNo(a: Assignment, report: Report): boolean | undefined {
    // ifcfg-rh reads these booleans; network-scripts compare with "yes"/"no".
    if (/^(yes|true|y|t|1)$/i.test(a.value)) return true;
    if (/^(no|false|n|f|0)$/i.test(a.value)) return false;
    report(a.at, `${a.value} is not yes or no`);
    return undefined;
}

/** The file's assignments by key; a later one wins, as in the shell, and the earlier is reported. */
function readAssignments(file: HostFile, report: Report): Map<string, Assignment> {
    const vars = new Map<string, Assignment>();
    for (const { line, text } of numberedLines(file.text)) {
        const trimmed = text.trim();
        if (trimmed === "" || trimmed.startsWith("#")) continue;
        const at = { path: file.path, line, text: trimmed };
        const a = shellAssignment(trimmed);
        if (!a.ok) {
            report(at, a.why);
            continue;
        }
        const earlier = vars.get(a.key);
        if (earlier) report(earlier.at, `${a.key} is set again on line ${line}, which wins`);
        vars.set(a.key, { key: a.key, value: a.value, at });
    }
    return vars;
}

/** `KEY=word [# comment]`, the word unquoted as sh would; refused when sh would expand or split it. */
function shellAssignment(text: string): { ok: true; key: string; value: string } | { ok: false; why: string } {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(text);
    if (!m) return { ok: false, why: "not a plain KEY=value assignment" };
    let value = "";
    let i = m[0].length;
    const needsShell = { ok: false as const, why: "the value needs the shell to expand it ($, `, \\ or an unclosed quote): not read" };
    while (i < text.length && text[i] !== " " && text[i] !== "\t") {
        const ch = text[i];
        if (ch === "'") {
            const end = text.indexOf("'", i + 1);
            if (end < 0) return needsShell;
            value += text.slice(i + 1, end);
            i = end + 1;
        } else if (ch === '"') {
            const end = text.indexOf('"', i + 1);
            if (end < 0 || /[$`\\]/.test(text.slice(i + 1, end))) return needsShell;
            value += text.slice(i + 1, end);
            i = end + 1;
        } else if (ch === "\\") {
            // `'\''` is how a single quote is written inside single quotes (shellQuote writes it).
            if (i + 1 >= text.length) return needsShell;
            value += text[i + 1];
            i += 2;
        } else if ("$`;&|<>()".includes(ch)) {
            return needsShell;
        } else {
            value += ch;
            i++;
        }
    }
    const rest = text.slice(i).trim();
    if (rest !== "" && !rest.startsWith("#")) return { ok: false, why: "more than one word after `=`: the shell would run the rest as a command" };
    return { ok: true, key: m[1], value };
}

/** route-<dev> / route6-<dev>: `ip route` argument lines, or the ADDRESSn/NETMASKn/GATEWAYn form (IPv4 only). */
function readRouteFile(file: HostFile, device: string, c: Collected, report: Report): void {
    const family = /(?:^|\/)route6-[^/]+$/.test(file.path) ? 6 : 4;
    const lines = numberedLines(file.text).filter((l) => l.text.trim() !== "" && !l.text.trim().startsWith("#"));
    if (family === 4 && lines.some((l) => /^\s*ADDRESS\d+=/.test(l.text))) {
        readKeyRoutes(file, lines, c, report);
        return;
    }
    for (const l of lines) {
        const at = { path: file.path, line: l.line, text: l.text.trim() };
        collectIpRoute(c, readIpRouteArgs(l.text.trim().split(/\s+/), device, family), at, report);
    }
}

/** ADDRESSn, NETMASKn, GATEWAYn: the older route file form (METRICn is ignored by ifup-routes, so reported). */
function readKeyRoutes(file: HostFile, lines: { line: number; text: string }[], c: Collected, report: Report): void {
    const vars = new Map<string, Assignment>();
    for (const l of lines) {
        const at = { path: file.path, line: l.line, text: l.text.trim() };
        const a = shellAssignment(at.text);
        if (a.ok) vars.set(a.key, { key: a.key, value: a.value, at });
        else report(at, a.why);
    }
    for (const [key, a] of [...vars].filter(([k]) => /^ADDRESS\d+$/.test(k))) {
        const n = key.slice("ADDRESS".length);
        const mask = vars.get(`NETMASK${n}`);
        const gw = vars.get(`GATEWAY${n}`);
        for (const k of [key, `NETMASK${n}`, `GATEWAY${n}`]) vars.delete(k);
        const prefix = mask ? netmaskPrefix(mask.value) : 32; // ifup-routes: no NETMASKn is a host route
        if (prefix === undefined) {
            report(mask!.at, `${mask!.value} is not a netmask`);
            continue;
        }
        const dest = cidr(a.value, prefix);
        const words = [dest.ok ? dest.value.network : `${a.value}/${prefix}`, ...(gw ? ["via", gw.value] : [])];
        if (dest.ok && dest.value.cidr !== dest.value.network) report(a.at, `${dest.value.cidr} has host bits set; the kernel routes ${dest.value.network}`);
        else collectIpRoute(c, readIpRouteArgs(words, "", 4), a.at, report);
    }
    for (const a of vars.values()) report(a.at, /^METRIC\d+$/.test(a.key) ? "ifup-routes ignores METRICn in this form: write the route as an `ip route` line" : `\`${a.key}\` belongs to no ADDRESSn`);
}
