/**
 * netplan YAML read into the StaticInterface fields: one entry of `network.ethernets`, as netplan.ts renders
 * it or as written by hand (`gateway4`/`gateway6`, `dhcp4: no`, `nameservers`, `routes`). Another
 * ethernet, bonds, bridges, VLANs, DHCP and keys the args have no field for are reported. Pure.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, type YAMLMap } from "yaml";
import { parseCidrDetailed, parseIp } from "../model/address";
import { MAX_MTU } from "../model/mtu";
import { type Collected, type HostFile, type Report, type Source, collectIpRoute, readIpRouteArgs } from "./staticInterfaceRead";
import { isMacAddress } from "../model/macAddress";

/** netplan reads YAML 1.1 booleans (libyaml): `no` is false. */
const FALSE = /^(false|no|n|off)$/i;

/** Reads the file's one ethernet into `c`. */
export function readNetplan(file: HostFile, c: Collected, report: Report): void {
    const lines = new LineCounter();
    const doc: Document = parseDocument(file.text, { lineCounter: lines });
    const sourceLines = file.text.split(/\r?\n/);
    const at = (node: Node | Pair | null | undefined): Source => {
        const range = node && "range" in node ? node.range : node && "key" in node && isScalar(node.key) ? node.key.range : undefined;
        const line = range ? lines.linePos(range[0]).line : 0;
        return { path: file.path, line, text: (sourceLines[line - 1] ?? "").trim() };
    };
    for (const e of doc.errors) report({ path: file.path, line: e.linePos?.[0].line ?? 0, text: (sourceLines[(e.linePos?.[0].line ?? 1) - 1] ?? "").trim() }, `not valid YAML: ${e.message.split("\n")[0]}`);
    if (doc.errors.length > 0) return;
    const network = isMap(doc.contents) ? doc.contents.get("network", true) : undefined;
    if (!isMap(network)) {
        report(at(doc.contents), "no `network` map");
        return;
    }
    for (const pair of network.items) {
        const key = scalarText(pair.key);
        if (key === "version" && scalarText(pair.value) === "2") continue;
        if (key === "renderer" && scalarText(pair.value) === "networkd") continue; // what netplan.ts leaves as the default
        if (key === "ethernets" && isMap(pair.value)) {
            readEthernets(pair.value, c, report, at);
            continue;
        }
        report(at(pair), key === "renderer" ? "the NetworkManager renderer is not expressed: write format \"networkmanager\" instead" : `\`${key}\` is not expressed by StaticInterface`);
    }
}

type At = (node: Node | Pair | null | undefined) => Source;

function readEthernets(ethernets: YAMLMap, c: Collected, report: Report, at: At): void {
    const [first, ...others] = ethernets.items;
    for (const o of others) report(at(o), `a second interface (${scalarText(o.key)}): only ${scalarText(first.key)} is imported`);
    if (!first) return;
    const id = scalarText(first.key) ?? "";
    c.device = { value: id, at: at(first) };
    c.onBoot = true;
    if (!isMap(first.value)) {
        report(at(first), "the interface has no settings");
        return;
    }
    for (const pair of first.value.items) {
        const key = scalarText(pair.key) ?? "";
        const value = pair.value as Node | null;
        const here = at(pair);
        switch (key) {
            case "match":
                readMatch(value, id, c, report, at);
                break;
            case "addresses":
                for (const item of isSeq(value) ? value.items : []) {
                    const r = parseCidrDetailed(scalarText(item));
                    if (r.ok) c.addresses.push({ value: r.value.cidr, at: at(item as Node) });
                    else report(at(item as Node), isScalar(item) ? r.reason : "an address with options (label, lifetime) is not expressed");
                }
                if (!isSeq(value)) report(here, "`addresses` is not a list");
                break;
            case "dhcp4":
            case "dhcp6":
                if (!FALSE.test(scalarText(value) ?? "")) report(here, "DHCP is not expressed: StaticInterface sets static addresses only");
                break;
            case "accept-ra":
                if (!FALSE.test(scalarText(value) ?? "")) report(here, "router advertisements are not expressed: StaticInterface turns them off");
                break;
            case "gateway4":
            case "gateway6": {
                const ip = parseIp(scalarText(value));
                const family = key === "gateway4" ? 4 : 6;
                if (ip?.family !== family) report(here, `${scalarText(value) ?? ""} is not an IPv${family} address`);
                else collectIpRoute(c, { ok: true, kind: "gateway", family, via: ip.address }, here, report);
                break;
            }
            case "mtu": {
                const n = Number(scalarText(value));
                if (Number.isInteger(n) && n >= 1 && n <= MAX_MTU) c.mtu = { value: n, at: here };
                else report(here, `MTU ${scalarText(value) ?? ""} is not a number 1-${MAX_MTU}`);
                break;
            }
            case "nameservers":
                readNameservers(value, c, report, at);
                break;
            case "routes":
                for (const item of isSeq(value) ? value.items : []) readRoute(item as Node, id, c, report, at);
                if (!isSeq(value)) report(here, "`routes` is not a list");
                break;
            case "activation-mode":
                // netplan.ts writes `manual` for onBoot false; `off` keeps the link down, which the args cannot say.
                if (scalarText(value) === "manual") c.onBoot = false;
                else report(here, "activation-mode other than manual is not expressed");
                break;
            default:
                report(here, key === "macaddress" ? "setting the NIC's address is not expressed (`macAddress` matches it, as `match` does)" : `\`${key}\` is not expressed by StaticInterface`);
        }
    }
}

/** `match: {name, macaddress}` as netplan.ts writes it; a match without the name would take any NIC with the address. */
function readMatch(value: Node | null, id: string, c: Collected, report: Report, at: At): void {
    if (!isMap(value)) {
        report(at(value), "`match` is not a map");
        return;
    }
    let named = false;
    for (const pair of value.items) {
        const key = scalarText(pair.key);
        const text = scalarText(pair.value) ?? "";
        if (key === "name" && text === id) named = true;
        else if (key === "macaddress" && isMacAddress(text)) c.macAddress = { value: text.toLowerCase(), at: at(pair) };
        else report(at(pair), key === "name" ? "a match by a name other than the entry's (or a pattern) is not expressed" : `match by \`${key ?? ""}\` is not expressed`);
    }
    if (!named) report(at(value), `the match does not name ${id}: StaticInterface matches the device by name (and address)`);
}

function readNameservers(value: Node | null, c: Collected, report: Report, at: At): void {
    if (!isMap(value)) {
        report(at(value), "`nameservers` is not a map");
        return;
    }
    for (const pair of value.items) {
        const key = scalarText(pair.key);
        const items = isSeq(pair.value) ? (pair.value.items as Node[]) : [];
        if (key === "addresses") {
            for (const item of items) {
                const ip = parseIp(scalarText(item));
                if (ip) c.dns.push({ value: ip.address, at: at(item) });
                else report(at(item), `${scalarText(item) ?? ""} is not an IP address`);
            }
        } else if (key === "search") {
            for (const item of items) c.searchDomains.push({ value: scalarText(item) ?? "", at: at(item) });
        } else {
            report(at(pair), `\`nameservers.${key ?? ""}\` is not expressed`);
        }
    }
}

/** A route map; its keys become `ip route` words, so every format reads routes by one set of rules. */
function readRoute(item: Node, device: string, c: Collected, report: Report, at: At): void {
    if (!isMap(item)) {
        report(at(item), "a route is not a map");
        return;
    }
    const words: string[] = [];
    const to = scalarText(item.get("to", true));
    for (const pair of item.items) {
        const key = scalarText(pair.key) ?? "";
        const text = scalarText(pair.value) ?? "";
        if (key === "to") continue;
        if (["via", "metric", "table"].includes(key)) words.push(key, text);
        else if (key === "scope" && text === "link") words.push("scope", "link");
        else {
            report(at(pair), `\`${key}\` of a route is not expressed: the route is left out`);
            return;
        }
    }
    collectIpRoute(c, readIpRouteArgs([to ?? "", ...words], device), at(item), report);
}

/** A scalar's value as text; undefined for maps, lists and nulls. */
function scalarText(node: unknown): string | undefined {
    return isScalar(node) && node.value !== null ? String(node.value) : undefined;
}
