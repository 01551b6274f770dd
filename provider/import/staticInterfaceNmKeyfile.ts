/**
 * A NetworkManager keyfile (.nmconnection) read into the StaticInterface fields: what nmKeyfile.ts renders
 * and what nmcli writes for a manual connection (`addressN=CIDR[,GATEWAY]`, `dns=a;b;`, `routeN=DEST[,VIA[,METRIC]]`,
 * `routeN_options=table=N`). DHCP, other connection types, and keys the args have no field for are reported. Pure.
 */
import { parseCidrDetailed, parseIp } from "../model/address";
import { MAX_MTU } from "../model/mtu";
import { nmConnectionId, nmConnectionUuid } from "../render/staticInterface/nmKeyfile";
import { type Collected, type HostFile, type Report, type Source, collectIpRoute, numberedLines, readIpRouteArgs, wholeNumber } from "./staticInterfaceRead";
import { isMacAddress } from "../model/macAddress";

interface Entry {
    key: string;
    value: string;
    at: Source;
}

/** Reads the keyfile into `c`. */
export function readNmKeyfile(file: HostFile, c: Collected, report: Report): void {
    const sections = readSections(file, report);
    for (const [name, { head, entries }] of sections) {
        switch (name) {
            case "connection":
                readConnection(entries, c, report);
                break;
            case "ethernet":
            case "802-3-ethernet":
                readEthernet(entries, c, report);
                break;
            case "ipv4":
            case "ipv6":
                readIp(name === "ipv4" ? 4 : 6, entries, c, report);
                break;
            default:
                // nmcli writes an empty [proxy] into every connection.
                if (!(name === "proxy" && entries.length === 0)) for (const e of [{ at: head }, ...entries]) report(e.at, `[${name}] is not expressed by StaticInterface`);
        }
    }
    if (c.onBoot === undefined) c.onBoot = true; // autoconnect defaults to true
}

function readConnection(entries: Entry[], c: Collected, report: Report): void {
    const device = entries.find((e) => e.key === "interface-name");
    if (device) c.device = { value: device.value, at: device.at };
    for (const e of entries) {
        switch (e.key) {
            case "interface-name":
            case "timestamp": // NetworkManager's own bookkeeping
                break;
            case "permissions": // empty: any user may use it, the default
                if (e.value !== "") report(e.at, "connection permissions are not expressed by StaticInterface");
                break;
            case "type":
                if (e.value !== "ethernet" && e.value !== "802-3-ethernet") report(e.at, "StaticInterface writes Ethernet connections only");
                break;
            case "autoconnect":
                if (/^(true|false)$/.test(e.value)) c.onBoot = e.value === "true";
                else report(e.at, `${e.value} is not true or false`);
                break;
            case "id":
                if (!device || e.value !== nmConnectionId(device.value)) report(e.at, "StaticInterface names the connection itself; the id is not carried over");
                break;
            case "uuid":
                if (!device || e.value !== nmConnectionUuid(device.value)) report(e.at, "StaticInterface's connection has a UUID of its own; this one is not carried over");
                break;
            default:
                report(e.at, `\`connection.${e.key}\` is not expressed by StaticInterface`);
        }
    }
}

function readEthernet(entries: Entry[], c: Collected, report: Report): void {
    for (const e of entries) {
        if (e.key === "mac-address" && isMacAddress(e.value)) {
            c.macAddress = { value: e.value.toLowerCase(), at: e.at };
        } else if (e.key === "mtu" && wholeNumber(e.value, 0, MAX_MTU) !== undefined) {
            // 0 is NetworkManager's "leave it as it is", the args' absent MTU.
            if (e.value !== "0") c.mtu = { value: Number(e.value), at: e.at };
        } else {
            report(e.at, e.key === "cloned-mac-address" ? "setting the NIC's address is not expressed (`macAddress` matches it)" : `\`ethernet.${e.key}=${e.value}\` is not expressed by StaticInterface`);
        }
    }
}

function readIp(family: 4 | 6, entries: Entry[], c: Collected, report: Report): void {
    const method = entries.find((e) => e.key === "method");
    const routes = new Map<string, { route?: Entry; options?: Entry }>();
    const numbered = (e: Entry, base: string) => Number(e.key.slice(base.length) || "0");
    // addressN/addressesN in number order: the first is the primary, as NetworkManager reads them.
    const addresses = entries.filter((e) => /^address(es)?\d*$/.test(e.key)).sort((a, b) => numbered(a, a.key.replace(/\d+$/, "")) - numbered(b, b.key.replace(/\d+$/, "")));
    for (const e of entries) {
        if (e.key === "method" || /^address(es)?\d*$/.test(e.key)) continue;
        const m = /^route(\d+)(_options)?$/.exec(e.key);
        if (m) {
            const r = routes.get(m[1]) ?? {};
            r[m[2] ? "options" : "route"] = e;
            routes.set(m[1], r);
        } else if (e.key === "gateway") {
            const ip = parseIp(e.value);
            if (ip?.family === family) collectIpRoute(c, { ok: true, kind: "gateway", family, via: ip.address }, e.at, report);
            else report(e.at, `${e.value} is not an IPv${family} address`);
        } else if (e.key === "dns") {
            for (const d of list(e.value)) {
                const ip = parseIp(d);
                if (ip) c.dns.push({ value: ip.address, at: e.at });
                else report(e.at, `${d} is not an IP address`);
            }
        } else if (e.key === "dns-search") {
            // The same domains may be kept in both families; the args hold one list.
            for (const d of list(e.value)) if (!c.searchDomains.some((s) => s.value === d)) c.searchDomains.push({ value: d, at: e.at });
        } else {
            report(e.at, `\`ipv${family}.${e.key}\` is not expressed by StaticInterface`);
        }
    }
    const noAddress = family === 4 ? "disabled" : "ignore";
    if (method && method.value !== "manual" && !(method.value === noAddress && addresses.length === 0)) {
        report(method.at, method.value === "auto" || method.value === "dhcp" ? "DHCP and autoconfiguration are not expressed: StaticInterface sets static addresses only" : `method ${method.value} is not expressed`);
    }
    for (const e of addresses) {
        // nmcli's older form carries the gateway after a comma.
        const [address, gateway, ...more] = e.value.split(",");
        const r = parseCidrDetailed(address);
        if (!r.ok || r.value.family !== family || more.length > 0) {
            report(e.at, r.ok ? `${e.value} is not one IPv${family} address` : r.reason);
            continue;
        }
        c.addresses.push({ value: r.value.cidr, at: e.at });
        const ip = gateway === undefined ? undefined : parseIp(gateway);
        if (gateway !== undefined && ip?.family !== family) report(e.at, `${gateway} is not an IPv${family} gateway`);
        else if (ip) collectIpRoute(c, { ok: true, kind: "gateway", family, via: ip.address }, e.at, report);
    }
    for (const [n, { route, options }] of [...routes].sort(([a], [b]) => Number(a) - Number(b))) {
        if (!route) {
            report(options!.at, `route${n}_options belongs to no route${n}`);
            continue;
        }
        const [dest, via, metric, ...more] = route.value.split(",");
        // NetworkManager writes the unspecified address for "no next hop".
        const words = [dest, ...(via && via !== "0.0.0.0" && via !== "::" ? ["via", via] : []), ...(metric ? ["metric", metric] : [])];
        const opts = options ? list(options.value, ",") : [];
        const other = opts.filter((o) => !/^table=\d+$/.test(o));
        if (more.length > 0 || other.length > 0) {
            report(other.length > 0 ? options!.at : route.at, `route options ${other.join(", ") || more.join(",")} are not expressed`);
            continue;
        }
        for (const o of opts) words.push("table", o.slice("table=".length));
        collectIpRoute(c, readIpRouteArgs(words, "", family), route.at, report);
    }
}

/** `a;b;` (or `a,b`): the list with empty items dropped. */
function list(value: string, separator = ";"): string[] {
    return value.split(separator).map((x) => x.trim()).filter(Boolean);
}

/** The keyfile's sections by name, with their `key=value` entries; a repeated section or key is reported. */
function readSections(file: HostFile, report: Report): Map<string, { head: Source; entries: Entry[] }> {
    const sections = new Map<string, { head: Source; entries: Entry[] }>();
    let current: Entry[] | undefined;
    for (const { line, text } of numberedLines(file.text)) {
        const trimmed = text.trim();
        if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
        const at = { path: file.path, line, text: trimmed };
        const section = /^\[(.+)\]$/.exec(trimmed);
        if (section) {
            if (sections.has(section[1])) report(at, `[${section[1]}] again: its keys are not read`);
            current = sections.has(section[1]) ? undefined : [];
            if (current) sections.set(section[1], { head: at, entries: current });
            continue;
        }
        const eq = trimmed.indexOf("=");
        if (!current || eq < 0) {
            if (current) report(at, "not a key=value line");
            else if (sections.size === 0) report(at, "a key outside any section");
            continue;
        }
        const key = trimmed.slice(0, eq).trim();
        if (current.some((e) => e.key === key)) report(at, `\`${key}\` again in the section: not read`);
        else current.push({ key, value: trimmed.slice(eq + 1).trim(), at });
    }
    return sections;
}
