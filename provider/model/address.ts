/**
 * The one address model: every IP address, prefix and subnet the package reads goes through here, and
 * every computation on them through ip-num. Canonical text is what `ip addr` prints (IPv6 lower case,
 * compressed), so rendered files and live read-backs agree.
 */
import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange, Validator, collapseIPv6Number } from "ip-num";

export type IpFamily = 4 | 6;
export type Subnet = IPv4CidrRange | IPv6CidrRange;

/** A bare address: "10.0.0.1" or "fd00::1". */
export interface ParsedIp {
    family: IpFamily;
    ip: IPv4 | IPv6;
    /** Canonical text. */
    address: string;
}

/** An address with its prefix length, as an interface carries it. */
export interface ParsedCidr extends ParsedIp {
    prefix: number;
    /** `address/prefix`, canonical. */
    cidr: string;
    /** The subnet the address lies in. */
    subnet: Subnet;
    /** The subnet's network address and prefix, e.g. "192.168.0.0/24". */
    network: string;
}

/** An address whose prefix length is optional ("10.0.0.1" or "10.0.0.1/24"). */
export type ParsedAddress = ParsedIp | ParsedCidr;

export function hasPrefix(parsed: ParsedAddress): parsed is ParsedCidr {
    return "prefix" in parsed;
}

/** "10.0.0.1" or "fd00::1" (no zone id, no prefix, no surrounding spaces); undefined otherwise. */
export function parseIp(text: unknown): ParsedIp | undefined {
    if (typeof text !== "string" || text === "" || text !== text.trim()) return undefined;
    try {
        if (Validator.isValidIPv4String(text)[0]) {
            const ip = IPv4.fromString(text);
            return { family: 4, ip, address: ip.toString() };
        }
        // A zone id ("fe80::1%eth0") names a local link: never an address we configure or reach.
        if (!text.includes("%") && Validator.isValidIPv6String(text)[0]) {
            const ip = IPv6.fromString(text);
            return { family: 6, ip, address: collapseIPv6Number(ip.toString()) };
        }
    } catch {
        return undefined;
    }
    return undefined;
}

/**
 * "ADDRESS/PREFIX" with a prefix of `minPrefix` (default 1: no interface address or route here spans
 * everything) up to 32 or 128; the parsed value, or why the text is not one.
 */
export function parseCidrDetailed(text: unknown, minPrefix = 1): { ok: true; value: ParsedCidr } | { ok: false; reason: string } {
    if (typeof text !== "string") return { ok: false, reason: `${String(text)} is not a string` };
    const slash = text.indexOf("/");
    const bare = slash < 0 ? text : text.slice(0, slash);
    const parsed = parseIp(bare);
    if (!parsed) return { ok: false, reason: `${quote(text)} is not an IPv4 or IPv6 address with a prefix length, like 192.168.0.10/24 or 2001:db8::10/64` };
    if (slash < 0) return { ok: false, reason: `${quote(text)} has no prefix length (write it as ${bare}/${parsed.family === 4 ? 24 : 64}, with the real prefix)` };
    const prefixText = text.slice(slash + 1);
    const max = parsed.family === 4 ? 32 : 128;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) < minPrefix || Number(prefixText) > max) {
        return { ok: false, reason: `${quote(text)}: prefix length ${quote(prefixText)} is outside ${minPrefix}-${max}` };
    }
    const prefix = Number(prefixText);
    const subnet = parsed.family === 4 ? IPv4CidrRange.fromCidr(`${parsed.address}/${prefix}`) : IPv6CidrRange.fromCidr(`${parsed.ip.toString()}/${prefix}`);
    return { ok: true, value: { ...parsed, prefix, cidr: `${parsed.address}/${prefix}`, subnet, network: subnetText(subnet) } };
}

export function parseCidr(text: unknown, minPrefix = 1): ParsedCidr | undefined {
    const r = parseCidrDetailed(text, minPrefix);
    return r.ok ? r.value : undefined;
}

/** An address with or without a prefix length (prefix 0 allowed); undefined when it is neither. */
export function parseAddress(text: unknown): ParsedAddress | undefined {
    if (typeof text !== "string") return undefined;
    return text.includes("/") ? parseCidr(text, 0) : parseIp(text);
}

export function subnetContains(subnet: Subnet, ip: IPv4 | IPv6): boolean {
    if (subnet instanceof IPv4CidrRange) return ip instanceof IPv4 && subnet.contains(ip);
    return ip instanceof IPv6 && subnet.contains(ip);
}

/** "10.77.0.0/24": the subnet's network address and prefix, canonical. */
export function subnetText(subnet: Subnet): string {
    const first = subnet.getFirst();
    return `${first instanceof IPv6 ? collapseIPv6Number(first.toString()) : first.toString()}/${subnet.getPrefix().getValue()}`;
}

/** fe80::/10: on-link by definition, so a next hop there needs no subnet of ours. */
const IPV6_LINK_LOCAL = IPv6CidrRange.fromCidr("fe80::/10");
export function isIpv6LinkLocal(ip: IPv4 | IPv6): boolean {
    return ip instanceof IPv6 && IPV6_LINK_LOCAL.contains(ip);
}

/** Why an address cannot be a unicast address of a host, or undefined when it can. */
export function notUnicast(p: ParsedIp): string | undefined {
    if (p.ip instanceof IPv4) {
        // By the first octet: ip-num's range tests parse their ranges from text on every call. 0.0.0.0/8
        // ("this network") and 240.0.0.0/4 (reserved) cannot be assigned to an interface.
        const first = Number(p.ip.getValue() >> 24n);
        if (first >= 224 && first <= 239) return "is a multicast address";
        if (first === 127) return "is a loopback address";
        if (first === 0 || first >= 240) return "is in a range that cannot be assigned (0.0.0.0/8 or 240.0.0.0/4)";
        return undefined;
    }
    if (p.ip.isMulticast()) return "is a multicast address";
    if (p.ip.isLoopback()) return "is the loopback address";
    if (p.ip.isUnspecified()) return "is the unspecified address";
    return undefined;
}

/** Why a host address is not usable in its subnet (IPv4 network or broadcast, IPv6 subnet-router anycast), or undefined. */
export function reservedInSubnet(p: ParsedCidr, ip: IPv4 | IPv6 = p.ip): string | undefined {
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

/** The address in a URL or `host:port`: IPv6 in brackets. */
export function hostPort(address: string, port: number): string {
    return `${address.includes(":") ? `[${address}]` : address}:${port}`;
}

function quote(text: string): string {
    return `"${text}"`;
}
