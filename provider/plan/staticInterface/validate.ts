/**
 * Parses a static interface's input before anything connects: the one list of issues, or, when there
 * are none, the resolved interface the renderers and the host's work take (addresses parsed here once,
 * defaults applied here once). Each issue names its field; the message starts with that field in
 * backticks, so it can be shown as is. Addresses go through the one address model (provider/model/address.ts).
 */
import type { IPv4, IPv6 } from "ip-num";
import { isDnsName } from "../../contract/inputRules";
import { type Issue, type Parsed, quoted as q } from "../../contract/issue";
import { IpFamily, ParsedCidr, isIpv6LinkLocal, notUnicast, parseCidrDetailed, parseIp, reservedInSubnet, subnetContains } from "../../model/address";
import { DEVICE_NAME_RULE, isValidDeviceName } from "../../model/interfaceName";
import { MAX_MTU, minMtu } from "../../model/mtu";
import type { StaticInterfaceFormat, StaticInterfaceInput } from "./args";
import { isMacAddress } from "../../model/macAddress";
import {
    AUTO_FORMAT, DEFAULT_APPLY, DEFAULT_CONFIRM_TIMEOUT_SECONDS, DEFAULT_NM_CONTROLLED, DEFAULT_ON_BOOT, MIN_CONFIRM_TIMEOUT_SECONDS, ResolvedRoute,
    ResolvedStaticInterface, STATIC_INTERFACE_FORMATS, routeKey,
} from "./model";

// ---------------------------------------------------------------------------------------------
// Token rules

/** resolv.conf: glibc reads at most 3 nameservers (MAXNS). */
const MAX_DNS_SERVERS = 3;
/** glibc before 2.26 (CentOS 7 has 2.17) keeps at most 6 search domains in 256 characters. */
const MAX_SEARCH_DOMAINS = 6;
const MAX_SEARCH_CHARS = 256;
const MAX_UINT32 = 4294967295;

const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);

// ---------------------------------------------------------------------------------------------

type Add = (field: string, rule: string) => void;

/**
 * Every problem with the input; with none, the resolved interface. With format "auto" (the default),
 * the rules that depend on the format wait for the host's facts, and there is no value yet: parse again
 * with the format decided.
 */
export function parseStaticInterface(input: StaticInterfaceInput & { format: StaticInterfaceFormat }): Parsed<ResolvedStaticInterface>;
export function parseStaticInterface(input: StaticInterfaceInput): Parsed<ResolvedStaticInterface | undefined>;
export function parseStaticInterface(input: StaticInterfaceInput): Parsed<ResolvedStaticInterface | undefined> {
    const issues: Issue[] = [];
    const add: Add = (field, rule) => issues.push({ field, message: `\`${field}\`: ${rule}` });
    const format = input.format ?? AUTO_FORMAT;

    if (!isValidDeviceName(input.device)) {
        add("device", `${q(String(input.device))} is not a valid interface name (${DEVICE_NAME_RULE})`);
    }
    if (format !== AUTO_FORMAT && !STATIC_INTERFACE_FORMATS.includes(format)) {
        add("format", `${q(String(format))} is not one of ${[...STATIC_INTERFACE_FORMATS, AUTO_FORMAT].join(", ")}`);
    }
    if (input.onBoot !== undefined && typeof input.onBoot !== "boolean") add("onBoot", `${String(input.onBoot)} is not true or false`);
    if (input.nmControlled !== undefined) {
        if (typeof input.nmControlled !== "boolean") add("nmControlled", `${String(input.nmControlled)} is not true or false`);
        // false is the default on every format; only asking for NetworkManager on another format is wrong.
        else if (input.nmControlled && format !== "ifcfg" && format !== AUTO_FORMAT) add("nmControlled", `applies to format "ifcfg" only (format is ${q(String(format))})`);
    }
    if (input.macAddress !== undefined) validateMac(input.macAddress, add);

    const addresses = validateAddresses(input, add);
    const gateways = [validateGateway(input.gateway, "gateway", 4, addresses, add), validateGateway(input.gateway6, "gateway6", 6, addresses, add)];
    const dns = validateDns(input, format, addresses, add);
    validateSearchDomains(input.searchDomains, add);
    const routes = validateRoutes(input.routes, addresses, add);
    validateMtu(input.mtu, addresses, add);
    validateConfirm(input, add);
    if (issues.length > 0) return { ok: false, issues };
    if (format === AUTO_FORMAT) return { ok: true, value: undefined };
    return {
        ok: true,
        value: {
            device: input.device,
            format: format as StaticInterfaceFormat,
            ipv4: addresses.filter((a) => a.family === 4),
            ipv6: addresses.filter((a) => a.family === 6),
            routes: [...gateways.filter((g) => g !== undefined), ...routes],
            dns,
            searchDomains: [...(input.searchDomains ?? [])],
            mtu: input.mtu,
            onBoot: input.onBoot ?? DEFAULT_ON_BOOT,
            nmControlled: input.nmControlled ?? DEFAULT_NM_CONTROLLED,
            macAddress: input.macAddress?.toLowerCase(),
            apply: input.apply ?? DEFAULT_APPLY,
            confirmTimeoutSeconds: input.confirmTimeoutSeconds ?? DEFAULT_CONFIRM_TIMEOUT_SECONDS,
            confirmAddress: input.confirmAddress,
        },
    };
}

function validateMac(mac: unknown, add: Add): void {
    if (!isMacAddress(mac)) {
        add("macAddress", `${q(String(mac))} is not a MAC address like 52:54:00:12:34:56`);
        return;
    }
    const first = parseInt(mac.slice(0, 2), 16);
    if ((first & 1) === 1) add("macAddress", `${mac} is a multicast address; a NIC's own address is unicast`);
    else if (/^(00:){5}00$/.test(mac)) add("macAddress", `${mac} is all zeros`);
}

function validateAddresses(spec: StaticInterfaceInput, add: Add): ParsedCidr[] {
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
function checkNextHop(text: unknown, field: string, family: IpFamily, addresses: ParsedCidr[], add: Add, otherFamilyHint: string): string | undefined {
    const p = parseIp(text);
    if (!p) {
        add(field, `${q(String(text))} is not an ${familyName(family)} address`);
        return undefined;
    }
    if (p.family !== family) {
        add(field, `${p.address} is ${familyName(p.family)}; ${otherFamilyHint}`);
        return undefined;
    }
    const bad = notUnicast(p);
    if (bad) {
        add(field, `${p.address} ${bad}`);
        return undefined;
    }
    const own = addresses.find((a) => a.ip.isEquals(p.ip));
    if (own) {
        add(field, `${p.address} is an address of this interface (${own.cidr}), not a next hop`);
        return undefined;
    }
    if (isIpv6LinkLocal(p.ip)) return p.address;
    const sameFamily = addresses.filter((a) => a.family === family);
    const holder = holdingSubnet(p.ip, sameFamily);
    if (!holder) {
        const subnets = sameFamily.map((a) => a.network);
        add(field, subnets.length === 0
            ? `${p.address} cannot be reached: the interface has no ${familyName(family)} address`
            : `${p.address} is outside the interface's ${familyName(family)} subnets (${subnets.join(", ")})`);
        return undefined;
    }
    const reserved = reservedInSubnet(holder, p.ip);
    if (reserved) add(field, `${p.address} ${reserved}`);
    return p.address;
}

/** The gateway as a default route. */
function validateGateway(value: unknown, field: "gateway" | "gateway6", family: IpFamily, addresses: ParsedCidr[], add: Add): ResolvedRoute | undefined {
    if (value === undefined) return undefined;
    const via = checkNextHop(value, field, family, addresses, add, family === 4 ? "use `gateway6` for the IPv6 gateway" : "use `gateway` for the IPv4 gateway");
    return via === undefined ? undefined : { family, destination: "default", via, key: `${family}|default||` };
}

function validateDns(spec: StaticInterfaceInput, format: string, addresses: ParsedCidr[], add: Add): string[] {
    const servers: string[] = [];
    if (spec.dns === undefined) return servers;
    if (!Array.isArray(spec.dns)) {
        add("dns", "must be a list of addresses");
        return servers;
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
            servers.push(p.address);
            if (format === "networkmanager" && !addresses.some((a) => a.family === p.family)) {
                // NetworkManager keeps servers per address family and refuses them where that family is disabled.
                add(field, `${p.address} is ${familyName(p.family)}, but the interface has no ${familyName(p.family)} address (NetworkManager keeps DNS servers per family)`);
            }
        }
    });
    return servers;
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
        if (!isDnsName(d)) {
            add(field, `${q(String(d))} is not a domain name (labels of letters, digits and inner hyphens, 1-63 characters each, no trailing dot)`);
            return;
        }
        const key = (d as string).toLowerCase();
        if (seen.has(key)) add(field, `${d as string} is already searchDomains[${seen.get(key)}]`);
        else seen.set(key, i);
    });
}

const DEFAULT_ROUTES = ["default", "0.0.0.0/0", "::/0"];

function validateRoutes(routes: StaticInterfaceInput["routes"], addresses: ParsedCidr[], add: Add): ResolvedRoute[] {
    const resolved: ResolvedRoute[] = [];
    if (routes === undefined) return resolved;
    if (!Array.isArray(routes)) {
        add("routes", "must be a list of routes");
        return resolved;
    }
    const seen = new Map<string, number>();
    routes.forEach((route, i) => {
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
        let via: string | undefined;
        if (route.via !== undefined && destination) {
            via = checkNextHop(route.via, `${at}.via`, destination.family, addresses, add, `the destination ${destination.network} is ${familyName(destination.family)}`);
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
            resolved.push({ family: destination.family, destination: destination.network, via, metric: route.metric, table: route.table, key });
        }
    });
    return resolved;
}

function validateMtu(mtu: unknown, addresses: ParsedCidr[], add: Add): void {
    if (mtu === undefined) return;
    if (!(isInt(mtu) && mtu >= minMtu(4) && mtu <= MAX_MTU)) {
        add("mtu", `${String(mtu)} is outside ${minMtu(4)}-${MAX_MTU}`);
        return;
    }
    if (mtu < minMtu(6) && addresses.some((a) => a.family === 6)) {
        add("mtu", `${mtu} is below ${minMtu(6)}, the IPv6 minimum; the kernel disables IPv6 on the link and drops its IPv6 addresses`);
    }
}

function validateConfirm({ confirmTimeoutSeconds: timeoutSeconds, confirmAddress: address }: StaticInterfaceInput, add: Add): void {
    if (timeoutSeconds !== undefined && !(isInt(timeoutSeconds) && timeoutSeconds >= MIN_CONFIRM_TIMEOUT_SECONDS)) {
        add("confirmTimeoutSeconds", `${String(timeoutSeconds)} is not a whole number of seconds of at least ${MIN_CONFIRM_TIMEOUT_SECONDS}`);
    }
    if (address !== undefined && !parseIp(address)) add("confirmAddress", `${q(String(address))} is not an IP address`);
}
