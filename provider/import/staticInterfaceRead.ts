/**
 * What the four StaticInterface readers share: the report of lines not carried over, the fields read so
 * far with the line each came from, and the `ip route` arguments that ifcfg route files and ifupdown hooks
 * both hold. Pure. Addresses go through the one address model (provider/model/address.ts).
 */
import { IPv4Mask } from "ip-num";
import { type ParsedCidr, parseCidrDetailed, parseIp } from "../model/address";
import type { StaticRouteSpec } from "../plan/staticInterface/args";
import type { Unwrap } from "@pulumi/pulumi/output";

/** A line of the host's files that the args do not carry over as written, and why. */
export interface Unexpressed {
    /** The file it is in. */
    path: string;
    /** 1-based; 0 when the problem is the file as a whole. */
    line: number;
    text: string;
    why: string;
}

/** A file as read from the host. */
export interface HostFile {
    path: string;
    text: string;
}

/** Where a value was read: the file and line a report about it quotes. */
export interface Source {
    path: string;
    line: number;
    text: string;
}

type Route = Unwrap<StaticRouteSpec>;
interface Sourced<T> {
    value: T;
    at: Source;
}

/** The fields as read from one interface's files, each with its line (so the validator's issues can quote it). */
export interface Collected {
    device?: Sourced<string>;
    addresses: Sourced<string>[];
    gateway?: Sourced<string>;
    gateway6?: Sourced<string>;
    dns: Sourced<string>[];
    searchDomains: Sourced<string>[];
    routes: Sourced<Route>[];
    mtu?: Sourced<number>;
    onBoot?: boolean;
    macAddress?: Sourced<string>;
    nmControlled?: boolean;
}

/** Nothing read yet. */
export function emptyCollected(): Collected {
    return { addresses: [], dns: [], searchDomains: [], routes: [] };
}

/** Adds a report line. */
export type Report = (at: Source, why: string) => void;

/** The lines of a file with their 1-based numbers, `\r\n` and trailing blanks removed. */
export function numberedLines(text: string): { line: number; text: string }[] {
    return text.split(/\r?\n/).map((t, i) => ({ line: i + 1, text: t.trimEnd() }));
}

/** An address with its prefix as the args take it, or why it is not one. */
export function cidr(address: string, prefix: number | string): { ok: true; value: ParsedCidr } | { ok: false; reason: string } {
    return parseCidrDetailed(`${address}/${prefix}`);
}

/** The prefix length of a dotted IPv4 netmask ("255.255.255.0" → 24); undefined when it is not a contiguous mask. */
export function netmaskPrefix(mask: string): number | undefined {
    if (parseIp(mask)?.family !== 4) return undefined;
    try {
        return IPv4Mask.fromDecimalDottedString(mask).prefix;
    } catch {
        return undefined;
    }
}

/** A number written in decimal, in range; undefined otherwise. */
export function wholeNumber(text: string | undefined, min: number, max: number): number | undefined {
    if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
    const n = Number(text);
    return n >= min && n <= max ? n : undefined;
}

const MAX_UINT32 = 4294967295;
const DEFAULT_DESTINATIONS = ["default", "0.0.0.0/0", "::/0"];

/** A route read from `ip route` arguments: a default route is a gateway, anything else a route. */
export type IpRoute =
    | { ok: true; kind: "gateway"; family: 4 | 6; via: string }
    | { ok: true; kind: "route"; route: Route }
    | { ok: false; why: string };

/**
 * `ip route` arguments after the verb (`DEST [via V] [dev D] [metric M] [table T] [scope link]`), as
 * ifcfg route files, ifupdown hooks and the renderers write them. Anything else (`src`, `onlink`, `proto`,
 * another device, a named table but `main`, ...) changes what the route means, so it is refused, not dropped.
 */
export function readIpRouteArgs(words: readonly string[], device: string, family?: 4 | 6): IpRoute {
    const [destText, ...rest] = words;
    if (destText === undefined) return { ok: false, why: "a route without a destination" };
    let via: string | undefined;
    let metric: number | undefined;
    let table: number | undefined;
    let linkScope = false;
    for (let i = 0; i < rest.length; i += 2) {
        const [key, value] = [rest[i], rest[i + 1]];
        if (value === undefined) return { ok: false, why: `\`${key}\` without a value, or an option StaticInterface cannot express` };
        if (key === "via") via = value;
        else if (key === "dev") {
            if (value !== device) return { ok: false, why: `the route is on ${value}, not ${device}` };
        } else if (key === "metric" || key === "preference" || key === "priority") {
            metric = wholeNumber(value, 0, MAX_UINT32);
            if (metric === undefined) return { ok: false, why: `metric ${value} is not a number 0-${MAX_UINT32}` };
        } else if (key === "table") {
            // `main` is where a route without a table goes; other names need /etc/iproute2/rt_tables, which is not read.
            if (value === "main") continue;
            table = wholeNumber(value, 1, MAX_UINT32);
            if (table === undefined) return { ok: false, why: `table ${value} is not a number 1-${MAX_UINT32} (named tables are not read)` };
        } else if (key === "scope" && value === "link") linkScope = true;
        else return { ok: false, why: `\`${key} ${value}\` is not expressed by a StaticInterface route` };
    }
    const viaIp = via === undefined ? undefined : parseIp(via);
    if (via !== undefined && !viaIp) return { ok: false, why: `via ${via} is not an IP address` };
    if (viaIp && linkScope) return { ok: false, why: "a route through a next hop with `scope link` is not expressed" };
    if (DEFAULT_DESTINATIONS.includes(destText)) {
        if (!viaIp) return { ok: false, why: "a default route without a next hop is not expressed (a gateway has one)" };
        if (metric !== undefined || table !== undefined) return { ok: false, why: "a default route with a metric or table is not expressed (`gateway` has neither)" };
        if (family !== undefined && viaIp.family !== family) return { ok: false, why: `the gateway ${viaIp.address} is not IPv${family}` };
        return { ok: true, kind: "gateway", family: viaIp.family, via: viaIp.address };
    }
    // `ip route` reads an address without a prefix as a host route.
    const bare = destText.includes("/") ? undefined : parseIp(destText);
    const dest = parseCidrDetailed(bare ? `${bare.address}/${bare.family === 4 ? 32 : 128}` : destText);
    if (!dest.ok) return { ok: false, why: dest.reason };
    if (dest.value.cidr !== dest.value.network) return { ok: false, why: `${dest.value.cidr} has host bits set; the kernel routes ${dest.value.network}` };
    if (family !== undefined && dest.value.family !== family) return { ok: false, why: `${dest.value.network} is not IPv${family}` };
    return {
        ok: true,
        kind: "route",
        route: {
            destination: dest.value.network,
            ...(viaIp ? { via: viaIp.address } : {}),
            ...(metric !== undefined ? { metric } : {}),
            ...(table !== undefined ? { table } : {}),
        },
    };
}

/** Puts a route read from `ip route` arguments into the collected fields; false (reported) when it cannot. */
export function collectIpRoute(c: Collected, r: IpRoute, at: Source, report: Report): boolean {
    if (!r.ok) {
        report(at, r.why);
        return false;
    }
    if (r.kind === "route") {
        c.routes.push({ value: r.route, at });
        return true;
    }
    const key = r.family === 4 ? "gateway" : "gateway6";
    const had = c[key];
    if (had && had.value !== r.via) {
        report(at, `a second IPv${r.family} default route; the gateway is ${had.value} (line ${had.at.line})`);
        return false;
    }
    c[key] = { value: r.via, at };
    return true;
}
