import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange, Validator, collapseIPv6Number } from "ip-num";
import { STATIC_INTERFACE_FORMATS, StaticInterfaceSpec, StaticRouteSpec } from "./staticInterfaceModel";
import type { Issue } from "../contract/issue";

/**
 * Checks a resolved static interface spec before anything connects. Each issue names its field; the
 * message starts with that field in backticks, so it can be shown as is. All address parsing and
 * subnet math goes through ip-num.
 */
export type StaticInterfaceIssue = Issue;

// ---------------------------------------------------------------------------------------------
// Addresses (shared with the renderers, so that every file shows the same canonical text)

export type IpFamily = 4 | 6;

/** A bare address. */
export interface ParsedIp {
    family: IpFamily;
    ip: IPv4 | IPv6;
    /** Canonical text: IPv6 lower case and compressed, as `ip addr` prints it. */
    address: string;
}

/** An address with its prefix length, as an interface carries it. */
export interface ParsedCidr extends ParsedIp {
    prefix: number;
    /** `address/prefix`, canonical. */
    cidr: string;
    /** The subnet the address lies in. */
    subnet: IPv4CidrRange | IPv6CidrRange;
    /** The subnet's network address and prefix, e.g. "192.168.0.0/24". */
    network: string;
}

/** "10.0.0.1" or "fd00::1" (no zone id, no surrounding spaces); undefined otherwise. */
export function parseIp(text: unknown): ParsedIp | undefined {
    if (typeof text !== "string" || text === "" || text !== text.trim()) return undefined;
    try {
        if (Validator.isValidIPv4String(text)[0]) {
            const ip = IPv4.fromString(text);
            return { family: 4, ip, address: ip.toString() };
        }
        if (!text.includes("%") && Validator.isValidIPv6String(text)[0]) {
            const ip = IPv6.fromString(text);
            return { family: 6, ip, address: collapseIPv6Number(ip.toString()) };
        }
    } catch {
        return undefined;
    }
    return undefined;
}

/** Why a CIDR text does not parse, or the parsed value. Prefix 0 is refused: no interface address or route here spans everything. */
export function parseCidrDetailed(text: unknown): { ok: true; value: ParsedCidr } | { ok: false; reason: string } {
    if (typeof text !== "string") return { ok: false, reason: `${String(text)} is not a string` };
    const slash = text.indexOf("/");
    const bare = slash < 0 ? text : text.slice(0, slash);
    const parsed = parseIp(bare);
    if (!parsed) return { ok: false, reason: `${q(text)} is not an IPv4 or IPv6 address with a prefix length, like 192.168.0.10/24 or 2001:db8::10/64` };
    if (slash < 0) return { ok: false, reason: `${q(text)} has no prefix length (write it as ${bare}/${parsed.family === 4 ? 24 : 64}, with the real prefix)` };
    const prefixText = text.slice(slash + 1);
    const max = parsed.family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) < 1 || Number(prefixText) > max) {
        return { ok: false, reason: `${q(text)}: prefix length ${q(prefixText)} is outside 1-${max}` };
    }
    const prefix = Number(prefixText);
    const cidr = `${parsed.address}/${prefix}`;
    const subnet = parsed.family === 4 ? IPv4CidrRange.fromCidr(cidr) : IPv6CidrRange.fromCidr(`${parsed.ip.toString()}/${prefix}`);
    const first = subnet.getFirst();
    const network = `${first instanceof IPv6 ? collapseIPv6Number(first.toString()) : first.toString()}/${prefix}`;
    return { ok: true, value: { ...parsed, prefix, cidr, subnet, network } };
}

export function parseCidr(text: unknown): ParsedCidr | undefined {
    const r = parseCidrDetailed(text);
    return r.ok ? r.value : undefined;
}

export function subnetContains(subnet: IPv4CidrRange | IPv6CidrRange, ip: IPv4 | IPv6): boolean {
    if (subnet instanceof IPv4CidrRange) return ip instanceof IPv4 && subnet.contains(ip);
    return ip instanceof IPv6 && subnet.contains(ip);
}

/** fe80::/10: on-link by definition, so a next hop there needs no subnet of ours. */
const IPV6_LINK_LOCAL = IPv6CidrRange.fromCidr("fe80::/10");
/** 0.0.0.0/8 ("this network") and 240.0.0.0/4 (reserved) cannot be assigned to an interface. */
const IPV4_UNASSIGNABLE = [IPv4CidrRange.fromCidr("0.0.0.0/8"), IPv4CidrRange.fromCidr("240.0.0.0/4")];

export function isIpv6LinkLocal(ip: IPv4 | IPv6): boolean {
    return ip instanceof IPv6 && IPV6_LINK_LOCAL.contains(ip);
}

/** Why an address cannot be a unicast address of a host, or undefined when it can. */
function notUnicast(p: ParsedIp): string | undefined {
    if (p.ip instanceof IPv4) {
        if (p.ip.isMulticast()) return "is a multicast address";
        if (p.ip.isLoopback()) return "is a loopback address";
        if (IPV4_UNASSIGNABLE.some((r) => r.contains(p.ip))) return "is in a range that cannot be assigned (0.0.0.0/8 or 240.0.0.0/4)";
        return undefined;
    }
    if (p.ip.isMulticast()) return "is a multicast address";
    if (p.ip.isLoopback()) return "is the loopback address";
    if (p.ip.isUnspecified()) return "is the unspecified address";
    return undefined;
}

/** Why a host address is not usable in its subnet (IPv4 network or broadcast, IPv6 subnet-router anycast), or undefined. */
function reservedInSubnet(p: ParsedCidr, ip: IPv4 | IPv6 = p.ip): string | undefined {
    if (p.family === 4) {
        if (p.prefix >= 31) return undefined; // RFC 3021 point-to-point and /32 host routes use every address
        if (ip.isEquals(p.subnet.getFirst())) return `is the network address of ${p.network}`;
        if (ip.isEquals(p.subnet.getLast())) return `is the broadcast address of ${p.network}`;
        return undefined;
    }
    if (p.prefix >= 127) return undefined; // RFC 6164 point-to-point links use both addresses
    if (ip.isEquals(p.subnet.getFirst())) return `is the subnet-router anycast address of ${p.network}`;
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// Token rules

/** Kernel names are 1-15 bytes without "/", ":" or whitespace; the name also lands in file names, shell-sourced ifcfg files, YAML and keyfiles, so only these characters are taken. */
const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const MAC_ADDRESS = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** resolv.conf: glibc reads at most 3 nameservers (MAXNS). */
export const MAX_DNS_SERVERS = 3;
/** glibc before 2.26 (CentOS 7 has 2.17) keeps at most 6 search domains in 256 characters. */
export const MAX_SEARCH_DOMAINS = 6;
export const MAX_SEARCH_CHARS = 256;
export const MIN_MTU = 68;
export const MIN_MTU_IPV6 = 1280;
export const MAX_MTU = 65535;
export const MAX_UINT32 = 4294967295;

const q = (s: string) => JSON.stringify(s);
const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);

export function isValidDeviceName(name: unknown): name is string {
    return typeof name === "string" && DEVICE_NAME.test(name) && name !== "." && name !== "..";
}

export function isValidDnsName(name: unknown): boolean {
    if (typeof name !== "string" || name.length === 0 || name.length > 253) return false;
    return name.split(".").every((label) => DNS_LABEL.test(label));
}

// ---------------------------------------------------------------------------------------------

type Add = (field: string, rule: string) => void;

/** Every problem with the spec; empty when it can be rendered and applied. */
export function validateStaticInterface(spec: StaticInterfaceSpec): StaticInterfaceIssue[] {
    const issues: StaticInterfaceIssue[] = [];
    const add: Add = (field, rule) => issues.push({ field, message: `\`${field}\`: ${rule}` });

    if (!isValidDeviceName(spec.device)) {
        add("device", `${q(String(spec.device))} is not a valid interface name (1-15 characters: letters, digits, _ . -, starting with a letter or digit; no / : or spaces)`);
    }
    if (!STATIC_INTERFACE_FORMATS.includes(spec.format)) {
        add("format", `${q(String(spec.format))} is not one of ${STATIC_INTERFACE_FORMATS.join(", ")}`);
    }
    if (spec.onBoot !== undefined && typeof spec.onBoot !== "boolean") add("onBoot", `${String(spec.onBoot)} is not true or false`);
    if (spec.nmControlled !== undefined) {
        if (typeof spec.nmControlled !== "boolean") add("nmControlled", `${String(spec.nmControlled)} is not true or false`);
        else if (spec.format !== "ifcfg") add("nmControlled", `applies to format "ifcfg" only (format is ${q(String(spec.format))})`);
    }
    if (spec.macAddress !== undefined) validateMac(spec.macAddress, add);

    const addresses = validateAddresses(spec, add);
    validateGateway(spec.gateway, "gateway", 4, addresses, add);
    validateGateway(spec.gateway6, "gateway6", 6, addresses, add);
    validateDns(spec, addresses, add);
    validateSearchDomains(spec.searchDomains, add);
    validateRoutes(spec.routes, addresses, add);
    validateMtu(spec.mtu, addresses, add);
    return issues;
}

function validateMac(mac: unknown, add: Add): void {
    if (typeof mac !== "string" || !MAC_ADDRESS.test(mac)) {
        add("macAddress", `${q(String(mac))} is not a MAC address like 52:54:00:12:34:56`);
        return;
    }
    const first = parseInt(mac.slice(0, 2), 16);
    if ((first & 1) === 1) add("macAddress", `${mac} is a multicast address; a NIC's own address is unicast`);
    else if (/^(00:){5}00$/.test(mac)) add("macAddress", `${mac} is all zeros`);
}

function validateAddresses(spec: StaticInterfaceSpec, add: Add): ParsedCidr[] {
    if (!Array.isArray(spec.addresses)) {
        add("addresses", "must be a list of addresses with prefix lengths");
        return [];
    }
    if (spec.addresses.length === 0) add("addresses", "needs at least one address with its prefix length");
    const parsed: ParsedCidr[] = [];
    const seen = new Map<string, number>();
    spec.addresses.forEach((text, i) => {
        const field = `addresses[${i}]`;
        const r = parseCidrDetailed(text);
        if (!r.ok) {
            add(field, r.reason);
            return;
        }
        const a = r.value;
        const bad = notUnicast(a) ?? reservedInSubnet(a);
        if (bad) {
            add(field, `${a.cidr} ${bad}; use another host address`);
            return;
        }
        if (seen.has(a.address)) {
            add(field, `${a.address} is already addresses[${seen.get(a.address)}]`);
            return;
        }
        seen.set(a.address, i);
        parsed.push(a);
    });
    return parsed;
}

/** The address of `family` whose subnet holds `ip`, if any. */
function holdingSubnet(ip: IPv4 | IPv6, addresses: ParsedCidr[]): ParsedCidr | undefined {
    return addresses.find((a) => subnetContains(a.subnet, ip));
}

const familyName = (f: IpFamily) => (f === 4 ? "IPv4" : "IPv6");

/** A next hop (gateway or route via): parses, has the family, is reachable on the link, is not ours. */
function checkNextHop(text: unknown, field: string, family: IpFamily, addresses: ParsedCidr[], add: Add, otherFamilyHint: string): void {
    const p = parseIp(text);
    if (!p) {
        add(field, `${q(String(text))} is not an ${familyName(family)} address`);
        return;
    }
    if (p.family !== family) {
        add(field, `${p.address} is ${familyName(p.family)}; ${otherFamilyHint}`);
        return;
    }
    const bad = notUnicast(p);
    if (bad) {
        add(field, `${p.address} ${bad}`);
        return;
    }
    const own = addresses.find((a) => a.ip.isEquals(p.ip));
    if (own) {
        add(field, `${p.address} is an address of this interface (${own.cidr}), not a next hop`);
        return;
    }
    if (isIpv6LinkLocal(p.ip)) return;
    const sameFamily = addresses.filter((a) => a.family === family);
    const holder = holdingSubnet(p.ip, sameFamily);
    if (!holder) {
        const subnets = sameFamily.map((a) => a.network);
        add(field, subnets.length === 0
            ? `${p.address} cannot be reached: the interface has no ${familyName(family)} address`
            : `${p.address} is outside the interface's ${familyName(family)} subnets (${subnets.join(", ")})`);
        return;
    }
    const reserved = reservedInSubnet(holder, p.ip);
    if (reserved) add(field, `${p.address} ${reserved}`);
}

function validateGateway(value: unknown, field: "gateway" | "gateway6", family: IpFamily, addresses: ParsedCidr[], add: Add): void {
    if (value === undefined) return;
    checkNextHop(value, field, family, addresses, add, family === 4 ? "use `gateway6` for the IPv6 gateway" : "use `gateway` for the IPv4 gateway");
}

function validateDns(spec: StaticInterfaceSpec, addresses: ParsedCidr[], add: Add): void {
    if (spec.dns === undefined) return;
    if (!Array.isArray(spec.dns)) {
        add("dns", "must be a list of addresses");
        return;
    }
    if (spec.dns.length > MAX_DNS_SERVERS) add("dns", `has ${spec.dns.length} servers; the resolver uses at most ${MAX_DNS_SERVERS}`);
    const seen = new Map<string, number>();
    spec.dns.forEach((text, i) => {
        const field = `dns[${i}]`;
        const p = parseIp(text);
        if (!p) {
            add(field, `${q(String(text))} is not an IP address`);
            return;
        }
        const bad = p.ip.isMulticast() || p.ip.isUnspecified() ? "is not a unicast address" : undefined;
        if (bad) {
            add(field, `${p.address} ${bad}`);
        } else if (seen.has(p.address)) {
            add(field, `${p.address} is already dns[${seen.get(p.address)}]`);
        } else {
            seen.set(p.address, i);
            if (spec.format === "networkmanager" && !addresses.some((a) => a.family === p.family)) {
                // NetworkManager keeps servers per address family and refuses them where that family is disabled.
                add(field, `${p.address} is ${familyName(p.family)}, but the interface has no ${familyName(p.family)} address (NetworkManager keeps DNS servers per family)`);
            }
        }
    });
}

function validateSearchDomains(domains: unknown, add: Add): void {
    if (domains === undefined) return;
    if (!Array.isArray(domains)) {
        add("searchDomains", "must be a list of domain names");
        return;
    }
    if (domains.length > MAX_SEARCH_DOMAINS) add("searchDomains", `has ${domains.length} domains; older resolvers (glibc < 2.26) keep only ${MAX_SEARCH_DOMAINS}`);
    const total = domains.filter((d) => typeof d === "string").join(" ").length;
    if (total > MAX_SEARCH_CHARS) add("searchDomains", `takes ${total} characters; older resolvers (glibc < 2.26) keep only ${MAX_SEARCH_CHARS}`);
    const seen = new Map<string, number>();
    domains.forEach((d: unknown, i) => {
        const field = `searchDomains[${i}]`;
        if (!isValidDnsName(d)) {
            add(field, `${q(String(d))} is not a domain name (labels of letters, digits and inner hyphens, 1-63 characters each, no trailing dot)`);
            return;
        }
        const key = (d as string).toLowerCase();
        if (seen.has(key)) add(field, `${d as string} is already searchDomains[${seen.get(key)}]`);
        else seen.set(key, i);
    });
}

/** What makes two routes the same kernel route: family, destination, metric and table. */
export function routeKey(destination: ParsedCidr, route: Pick<StaticRouteSpec, "metric" | "table">): string {
    return `${destination.family}|${destination.network}|${route.metric ?? ""}|${route.table ?? ""}`;
}

const DEFAULT_ROUTES = ["default", "0.0.0.0/0", "::/0"];

function validateRoutes(routes: unknown, addresses: ParsedCidr[], add: Add): void {
    if (routes === undefined) return;
    if (!Array.isArray(routes)) {
        add("routes", "must be a list of routes");
        return;
    }
    const seen = new Map<string, number>();
    (routes as StaticRouteSpec[]).forEach((route, i) => {
        const at = `routes[${i}]`;
        if (typeof route !== "object" || route === null) {
            add(at, "must be an object with a `destination`");
            return;
        }
        const r = parseCidrDetailed(route.destination);
        let destination: ParsedCidr | undefined;
        if (DEFAULT_ROUTES.includes(String(route.destination))) {
            add(`${at}.destination`, `${String(route.destination)} is the default route; set \`gateway\` or \`gateway6\` instead`);
        } else if (!r.ok) {
            add(`${at}.destination`, r.reason);
        } else if (r.value.cidr !== r.value.network) {
            add(`${at}.destination`, `${r.value.cidr} has host bits set; the network is ${r.value.network}`);
        } else {
            destination = r.value;
        }
        if (route.via !== undefined && destination) {
            checkNextHop(route.via, `${at}.via`, destination.family, addresses, add, `the destination ${destination.network} is ${familyName(destination.family)}`);
        } else if (route.via !== undefined && !parseIp(route.via)) {
            add(`${at}.via`, `${q(String(route.via))} is not an IP address`);
        }
        if (route.metric !== undefined && !(isInt(route.metric) && route.metric >= 0 && route.metric <= MAX_UINT32)) {
            add(`${at}.metric`, `${String(route.metric)} is outside 0-${MAX_UINT32}`);
        }
        if (route.table !== undefined && !(isInt(route.table) && route.table >= 1 && route.table <= MAX_UINT32)) {
            add(`${at}.table`, `${String(route.table)} is outside 1-${MAX_UINT32}`);
        }
        if (destination) {
            const key = routeKey(destination, route);
            if (seen.has(key)) add(`${at}.destination`, `${destination.network} with this metric and table is already routes[${seen.get(key)}]`);
            else seen.set(key, i);
        }
    });
}

function validateMtu(mtu: unknown, addresses: ParsedCidr[], add: Add): void {
    if (mtu === undefined) return;
    if (!(isInt(mtu) && mtu >= MIN_MTU && mtu <= MAX_MTU)) {
        add("mtu", `${String(mtu)} is outside ${MIN_MTU}-${MAX_MTU}`);
        return;
    }
    if (mtu < MIN_MTU_IPV6 && addresses.some((a) => a.family === 6)) {
        add("mtu", `${mtu} is below ${MIN_MTU_IPV6}, the IPv6 minimum; the kernel disables IPv6 on the link and drops its IPv6 addresses`);
    }
}
