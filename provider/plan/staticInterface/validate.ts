/**
 * Checks a resolved static interface spec before anything connects: the one list of issues. Each issue
 * names its field; the message starts with that field in backticks, so it can be shown as is. Addresses
 * go through the one address model (provider/model/address.ts).
 */
import type { IPv4, IPv6 } from "ip-num";
import { isDnsName } from "../../contract/inputRules";
import type { Issue } from "../../contract/issue";
import { IpFamily, ParsedCidr, isIpv6LinkLocal, notUnicast, parseCidrDetailed, parseIp, reservedInSubnet, subnetContains } from "../../model/address";
import { DEVICE_NAME_RULE, isValidDeviceName } from "../../model/interfaceName";
import { AUTO_FORMAT, ConfirmSettings, MIN_CONFIRM_TIMEOUT_SECONDS, STATIC_INTERFACE_FORMATS, StaticInterfaceFormat, StaticInterfaceSpec, StaticRoute, routeKey } from "./model";

// ---------------------------------------------------------------------------------------------
// Token rules

const MAC_ADDRESS = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
/** resolv.conf: glibc reads at most 3 nameservers (MAXNS). */
const MAX_DNS_SERVERS = 3;
/** glibc before 2.26 (CentOS 7 has 2.17) keeps at most 6 search domains in 256 characters. */
const MAX_SEARCH_DOMAINS = 6;
const MAX_SEARCH_CHARS = 256;
const MIN_MTU = 68;
const MIN_MTU_IPV6 = 1280;
const MAX_MTU = 65535;
const MAX_UINT32 = 4294967295;

const q = (s: string) => JSON.stringify(s);
const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);

// ---------------------------------------------------------------------------------------------

type Add = (field: string, rule: string) => void;

/** The spec as given, before `auto` is decided: what can be checked without reading the host. */
export type UndecidedStaticInterfaceSpec = Omit<StaticInterfaceSpec, "format"> & { format: StaticInterfaceFormat | typeof AUTO_FORMAT };

/**
 * Every problem with the spec and its commit-confirm settings; empty when it can be rendered and applied.
 * With format `auto`, the rules that depend on the format wait for the host's facts (checked again then).
 */
export function validateStaticInterface(spec: UndecidedStaticInterfaceSpec, confirm: ConfirmSettings = {}): Issue[] {
    const issues: Issue[] = [];
    const add: Add = (field, rule) => issues.push({ field, message: `\`${field}\`: ${rule}` });

    if (!isValidDeviceName(spec.device)) {
        add("device", `${q(String(spec.device))} is not a valid interface name (${DEVICE_NAME_RULE})`);
    }
    if (spec.format !== AUTO_FORMAT && !STATIC_INTERFACE_FORMATS.includes(spec.format)) {
        add("format", `${q(String(spec.format))} is not one of ${[...STATIC_INTERFACE_FORMATS, AUTO_FORMAT].join(", ")}`);
    }
    if (spec.onBoot !== undefined && typeof spec.onBoot !== "boolean") add("onBoot", `${String(spec.onBoot)} is not true or false`);
    if (spec.nmControlled !== undefined) {
        if (typeof spec.nmControlled !== "boolean") add("nmControlled", `${String(spec.nmControlled)} is not true or false`);
        else if (spec.format !== "ifcfg" && spec.format !== AUTO_FORMAT) add("nmControlled", `applies to format "ifcfg" only (format is ${q(String(spec.format))})`);
    }
    if (spec.macAddress !== undefined) validateMac(spec.macAddress, add);

    const addresses = validateAddresses(spec, add);
    validateGateway(spec.gateway, "gateway", 4, addresses, add);
    validateGateway(spec.gateway6, "gateway6", 6, addresses, add);
    validateDns(spec, addresses, add);
    validateSearchDomains(spec.searchDomains, add);
    validateRoutes(spec.routes, addresses, add);
    validateMtu(spec.mtu, addresses, add);
    validateConfirm(confirm, add);
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

function validateAddresses(spec: UndecidedStaticInterfaceSpec, add: Add): ParsedCidr[] {
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

function validateDns(spec: UndecidedStaticInterfaceSpec, addresses: ParsedCidr[], add: Add): void {
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

function validateRoutes(routes: unknown, addresses: ParsedCidr[], add: Add): void {
    if (routes === undefined) return;
    if (!Array.isArray(routes)) {
        add("routes", "must be a list of routes");
        return;
    }
    const seen = new Map<string, number>();
    (routes as StaticRoute[]).forEach((route, i) => {
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

function validateConfirm({ timeoutSeconds, address }: ConfirmSettings, add: Add): void {
    if (timeoutSeconds !== undefined && !(isInt(timeoutSeconds) && timeoutSeconds >= MIN_CONFIRM_TIMEOUT_SECONDS)) {
        add("confirmTimeoutSeconds", `${String(timeoutSeconds)} is not a whole number of seconds of at least ${MIN_CONFIRM_TIMEOUT_SECONDS}`);
    }
    if (address !== undefined && !parseIp(address)) add("confirmAddress", `${q(String(address))} is not an IP address`);
}
