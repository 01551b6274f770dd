import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange } from "ip-num";
import {
    DEFAULT_MCAST_GROUP4,
    HealthCheckSpec,
    KEEPALIVED_CONF_PATH,
    KeepalivedClusterSpec,
    KeepalivedNodeSpec,
    VirtualServerSpec,
    VrrpInstanceSpec,
    trackScriptOf,
    vipOf,
} from "./model";
import type { Issue } from "../../contract/issue";

/**
 * Checks a resolved cluster spec before anything connects. Each issue names its field; the message
 * starts with that field in backticks, so it can be shown as is. Rules follow keepalived 2.2.7: where
 * its config test rejects or silently drops something, the rule says so.
 */
export type KeepalivedIssue = Issue;

/** Another cluster using one VRID on the same segment. */
export interface VridConflict extends KeepalivedIssue {
    /** The cluster the field belongs to. */
    cluster: string;
    /** The cluster it conflicts with. */
    otherCluster: string;
}

// ---------------------------------------------------------------------------------------------
// Addresses (all parsing and subnet math through ip-num)

export type IpFamily = "IPv4" | "IPv6";

export interface ParsedAddress {
    family: IpFamily;
    ip: IPv4 | IPv6;
    /** The address without its prefix, as written. */
    bare: string;
    /** The subnet when the text was a CIDR. */
    subnet?: IPv4CidrRange | IPv6CidrRange;
}

/** Parses "10.0.0.1", "10.0.0.1/24", "fd00::1" or "fd00::1/64"; undefined when it is none of these. */
export function parseAddress(text: string): ParsedAddress | undefined {
    if (typeof text !== "string" || text !== text.trim() || text === "") return undefined;
    const slash = text.indexOf("/");
    const bare = slash < 0 ? text : text.slice(0, slash);
    const prefix = slash < 0 ? undefined : text.slice(slash + 1);
    if (prefix !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(prefix)) return undefined;
    try {
        if (/^[0-9.]+$/.test(bare)) {
            const ip = new IPv4(bare);
            return { family: "IPv4", ip, bare, subnet: prefix === undefined ? undefined : IPv4CidrRange.fromCidr(text) };
        }
        if (bare.includes(":") && !bare.includes("%")) {
            const ip = new IPv6(bare);
            return { family: "IPv6", ip, bare, subnet: prefix === undefined ? undefined : IPv6CidrRange.fromCidr(text) };
        }
    } catch {
        return undefined;
    }
    return undefined;
}

/** A bare address (no prefix). */
export function parseBareAddress(text: string): ParsedAddress | undefined {
    const parsed = parseAddress(text);
    return parsed && !parsed.subnet ? parsed : undefined;
}

/** The subnet of a node's VRRP interface: `interfaceCidr`, else `address` when it is a CIDR. */
export function nodeSubnet(node: KeepalivedNodeSpec): IPv4CidrRange | IPv6CidrRange | undefined {
    const source = node.interfaceCidr ?? node.address;
    return parseAddress(source)?.subnet;
}

/** "10.77.0.0/24": the subnet's network address and prefix. */
export function subnetText(subnet: IPv4CidrRange | IPv6CidrRange): string {
    return `${subnet.getFirst().toString()}/${subnet.getPrefix().getValue()}`;
}

export function subnetContains(subnet: IPv4CidrRange | IPv6CidrRange, address: ParsedAddress): boolean {
    if (subnet instanceof IPv4CidrRange) return address.ip instanceof IPv4 && subnet.contains(address.ip);
    return address.ip instanceof IPv6 && subnet.contains(address.ip);
}

/** The address family of an instance: that of its first VIP that parses. */
export function instanceFamily(instance: VrrpInstanceSpec): IpFamily | undefined {
    for (const vip of instance.vips ?? []) {
        const parsed = parseAddress(vipOf(vip).address);
        if (parsed) return parsed.family;
    }
    return undefined;
}

/** Where an instance's adverts go: "unicast" or its multicast group, which decides whether VRIDs collide. */
export function advertChannel(instance: VrrpInstanceSpec, spec: KeepalivedClusterSpec, family: IpFamily | undefined): string {
    if (instance.unicast) return "unicast";
    if (instance.mcastGroup) return instance.mcastGroup;
    return family === "IPv6" ? "ff02::12" : (spec.globalDefs?.vrrpMcastGroup4 ?? DEFAULT_MCAST_GROUP4);
}

// ---------------------------------------------------------------------------------------------
// Token rules

/** Instance, script and node names: also used in secret placeholder names, which allow only these. */
const IDENTIFIER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** A value keepalived reads as one unquoted word: no whitespace, quotes, braces, comment or escape characters. */
const WORD = /^[^\s"'{}#!\\$]+$/;
/** Linux interface names: 1-15 characters, no "/", ":" or whitespace. */
const INTERFACE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/;
const MD5_HEX = /^[0-9a-fA-F]{32}$/;
const OCTAL_MODE = /^0?[0-7]{3}$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const VIP_SCOPES = ["global", "site", "link", "host", "nowhere"];
const LVS_SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "mh", "dh", "fo", "ovf", "sed", "nq"];
const LVS_METHODS = ["NAT", "DR", "TUN"];
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const CHECK_TYPES = ["HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "MISC_CHECK"];
/** keepalived's limit for `vrrp_garp_interval` and `vrrp_gna_interval` (seconds). */
const MAX_GARP_INTERVAL_SECONDS = 4294.967295;
const MIN_GARP_INTERVAL_SECONDS = 0.000001;
/** Derived priorities step down from 100 by at least 1. */
export const MAX_NODES_FOR_DERIVED_PRIORITIES = 100;

const isWord = (v: unknown): boolean => typeof v === "string" && WORD.test(v);
const isInterfaceName = (v: unknown): boolean => typeof v === "string" && INTERFACE_NAME.test(v);
const isIdentifier = (v: unknown): boolean => typeof v === "string" && IDENTIFIER.test(v);
const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);
const isPositive = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n > 0;
const q = (s: string) => JSON.stringify(s);

/** Whether a command's program (its first word) is an absolute path. */
export function commandIsAbsolute(command: string): boolean {
    const first = command.trim().split(/\s+/)[0] ?? "";
    return first.replace(/^'/, "").startsWith("/");
}

/** Whether any script is configured: `vrrp_script`s, notify commands or MISC_CHECK checkers. */
export function hasScripts(spec: KeepalivedClusterSpec): boolean {
    const instances = spec.instances ?? [];
    const tracked = Object.keys(spec.scripts ?? {}).length > 0 || instances.some((i) => (i.trackScripts ?? []).length > 0);
    const notified = instances.some((i) => Object.values(i.notify ?? {}).some((c) => typeof c === "string"));
    const misc = (spec.virtualServers ?? []).some((vs) => (vs.realServers ?? []).some((rs) => rs.check?.type === "MISC_CHECK"));
    return tracked || notified || misc;
}

// ---------------------------------------------------------------------------------------------

/** Every rule violation in a cluster spec; empty when it can be planned and rendered. */
export function validateKeepalived(spec: KeepalivedClusterSpec): KeepalivedIssue[] {
    const issues: KeepalivedIssue[] = [];
    const add = (field: string, rule: string) => issues.push({ field, message: `\`${field}\`: ${rule}` });

    const nodes = Array.isArray(spec.nodes) ? spec.nodes : [];
    const instances = Array.isArray(spec.instances) ? spec.instances : [];
    if (nodes.length === 0) add("nodes", "at least one node is needed");
    if (instances.length === 0) add("instances", "at least one instance is needed");

    validateNodes(nodes, add);
    validateGlobalDefs(spec, add);
    instances.forEach((instance, i) => validateInstance(spec, instance, i, add));
    validateVridsPerInterface(spec, add);
    validateVipsUnique(spec, add);
    validateScripts(spec, add);
    validateScriptFiles(spec, add);
    (spec.virtualServers ?? []).forEach((vs, v) => validateVirtualServer(vs, v, add));
    validateVirtualServersUnique(spec, add);
    return issues;
}

type Add = (field: string, rule: string) => void;

function validateNodes(nodes: KeepalivedNodeSpec[], add: Add): void {
    const names = new Map<string, number>();
    const addresses = new Map<string, number>();
    nodes.forEach((node, n) => {
        const at = `nodes[${n}]`;
        if (!isIdentifier(node.name)) {
            add(`${at}.name`, `${q(String(node.name))} is not a valid name (letters, digits, _ . -; at most 64)`);
        } else if (names.has(node.name)) {
            add(`${at}.name`, `${q(node.name)} is already the name of nodes[${names.get(node.name)}]`);
        } else {
            names.set(node.name, n);
        }
        const address = parseAddress(node.address);
        if (!address) {
            add(`${at}.address`, `${q(String(node.address))} is not an IP address (bare or CIDR)`);
        } else {
            const key = address.ip.toString();
            if (addresses.has(key)) add(`${at}.address`, `${address.bare} is already the address of nodes[${addresses.get(key)}]`);
            else addresses.set(key, n);
        }
        if (!isInterfaceName(node.interface)) {
            add(`${at}.interface`, `${q(String(node.interface))} is not an interface name (1-15 characters, no / : or spaces)`);
        }
        if (node.interfaceCidr !== undefined) {
            const cidr = parseAddress(node.interfaceCidr);
            if (!cidr?.subnet) {
                add(`${at}.interfaceCidr`, `${q(String(node.interfaceCidr))} is not an address with a prefix, like "10.77.0.11/24"`);
            } else if (address && !subnetContains(cidr.subnet, address)) {
                add(`${at}.interfaceCidr`, `${subnetText(cidr.subnet)} does not contain the node's address ${address.bare}`);
            }
        }
        if (node.routerId !== undefined && !isWord(node.routerId)) {
            add(`${at}.routerId`, `${q(node.routerId)} must be one word without quotes, braces, # ! \\ or $`);
        }
    });
}

function validateGlobalDefs(spec: KeepalivedClusterSpec, add: Add): void {
    const g = spec.globalDefs;
    if (!g) {
        if (hasScripts(spec)) add("globalDefs.enableScriptSecurity", scriptSecurityRule());
        return;
    }
    (g.notificationEmails ?? []).forEach((email, e) => {
        if (!isWord(email)) add(`globalDefs.notificationEmails[${e}]`, `${q(email)} must be one word without quotes, braces, # ! \\ or $`);
    });
    for (const key of ["notificationEmailFrom", "routerId", "scriptUser"] as const) {
        const value = g[key];
        if (value !== undefined && !isWord(value)) add(`globalDefs.${key}`, `${q(value)} must be one word without quotes, braces, # ! \\ or $`);
    }
    if (g.smtpServer !== undefined && !parseBareAddress(g.smtpServer) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(g.smtpServer)) {
        add("globalDefs.smtpServer", `${q(g.smtpServer)} is neither an IP address nor a host name`);
    }
    if (g.smtpConnectTimeout !== undefined && !(isInt(g.smtpConnectTimeout) && g.smtpConnectTimeout >= 1)) {
        add("globalDefs.smtpConnectTimeout", `${g.smtpConnectTimeout} is not a whole number of seconds, 1 or more`);
    }
    for (const key of ["vrrpGarpInterval", "vrrpGnaInterval"] as const) {
        const value = g[key];
        if (value !== undefined && !(typeof value === "number" && value >= MIN_GARP_INTERVAL_SECONDS && value <= MAX_GARP_INTERVAL_SECONDS)) {
            add(`globalDefs.${key}`, `${value} is outside ${MIN_GARP_INTERVAL_SECONDS}-${MAX_GARP_INTERVAL_SECONDS} seconds (keepalived rejects 0; leave it unset for no delay)`);
        }
    }
    if (g.vrrpMcastGroup4 !== undefined) {
        const group = parseBareAddress(g.vrrpMcastGroup4);
        if (!group || group.family !== "IPv4" || !group.ip.isMulticast()) {
            add("globalDefs.vrrpMcastGroup4", `${q(g.vrrpMcastGroup4)} is not an IPv4 multicast address (224.0.0.0/4)`);
        }
    }
    if (hasScripts(spec) && g.enableScriptSecurity !== true) add("globalDefs.enableScriptSecurity", scriptSecurityRule());
}

function scriptSecurityRule(): string {
    return "must be true when scripts are configured (track scripts, notify or MISC_CHECK): keepalived reports a SECURITY VIOLATION and its config test fails without it";
}

function validateInstance(spec: KeepalivedClusterSpec, instance: VrrpInstanceSpec, i: number, add: Add): void {
    const at = `instances[${i}]`;
    const nodes = spec.nodes ?? [];
    const nodeNames = nodes.map((n) => n.name);
    const strict = spec.globalDefs?.vrrpStrict === true;

    if (!isIdentifier(instance.name)) {
        add(`${at}.name`, `${q(String(instance.name))} is not a valid keepalived name (letters, digits, _ . -; at most 64)`);
    } else {
        const first = spec.instances.findIndex((other) => other.name === instance.name);
        if (first < i) add(`${at}.name`, `${q(instance.name)} is already the name of instances[${first}]`);
    }
    if (!(isInt(instance.virtualRouterId) && instance.virtualRouterId >= 1 && instance.virtualRouterId <= 255)) {
        add(`${at}.virtualRouterId`, `${instance.virtualRouterId} is outside 1-255`);
    }
    if (instance.interface !== undefined && !isInterfaceName(instance.interface)) {
        add(`${at}.interface`, `${q(instance.interface)} is not an interface name (1-15 characters, no / : or spaces)`);
    }
    const advertInt = instance.advertInt ?? 1;
    if (!(isInt(advertInt) && advertInt >= 1 && advertInt <= 255)) {
        add(`${at}.advertInt`, `${advertInt} is not a whole number of seconds from 1 to 255 (VRRPv2 adverts are whole seconds)`);
    }

    validateVips(spec, instance, at, add);
    validatePriorities(instance, at, nodeNames, add);

    if (instance.preemptDelay !== undefined) {
        if (!(typeof instance.preemptDelay === "number" && instance.preemptDelay >= 0 && instance.preemptDelay <= 1000)) {
            add(`${at}.preemptDelay`, `${instance.preemptDelay} is outside 0-1000 seconds`);
        } else if (instance.preempt === false) {
            add(`${at}.preemptDelay`, "has no effect with `preempt: false` (nopreempt); set one or the other");
        } else if (strict) {
            add(`${at}.preemptDelay`, "is not allowed with `globalDefs.vrrpStrict` (keepalived resets it in strict mode)");
        }
    }

    if (instance.auth !== undefined) {
        if (instance.auth.type !== "PASS" && instance.auth.type !== "AH") add(`${at}.auth.type`, `${q(String(instance.auth.type))} is not PASS or AH`);
        const password = instance.auth.password;
        if (typeof password !== "string" || password.length === 0) {
            add(`${at}.auth.password`, "must not be empty");
        } else if (password.length > 8) {
            add(`${at}.auth.password`, `${password.length} characters is more than 8 (keepalived uses only the first 8)`);
        } else if (!isWord(password)) {
            add(`${at}.auth.password`, "contains a character keepalived's parser treats specially (whitespace, quotes, braces, # ! \\ or $)");
        }
        if (strict) add(`${at}.auth`, "is not allowed with `globalDefs.vrrpStrict` (strict mode ignores authentication)");
    }

    if (instance.unicast) {
        if (strict) add(`${at}.unicast`, "is not allowed with `globalDefs.vrrpStrict` (strict VRRP forbids unicast peers)");
        if (instance.mcastGroup !== undefined) add(`${at}.mcastGroup`, "cannot be set together with `unicast`");
        const family = instanceFamily(instance);
        nodes.forEach((node) => {
            const address = parseAddress(node.address);
            if (family && address && address.family !== family) {
                add(`${at}.unicast`, `node ${node.name}'s address ${address.bare} is ${address.family} but the VIPs are ${family}`);
            }
        });
    } else if (instance.mcastGroup !== undefined) {
        const group = parseBareAddress(instance.mcastGroup);
        const family = instanceFamily(instance);
        if (!group || !group.ip.isMulticast() || (family && group.family !== family)) {
            add(`${at}.mcastGroup`, `${q(instance.mcastGroup)} is not a multicast address of the VIPs' family`);
        }
    }

    (instance.trackScripts ?? []).forEach((ref, t) => {
        const { name, weight } = trackScriptOf(ref);
        const field = typeof ref === "string" ? `${at}.trackScripts[${t}]` : `${at}.trackScripts[${t}].name`;
        if (!spec.scripts || !Object.prototype.hasOwnProperty.call(spec.scripts, name)) {
            add(field, `no script named ${q(name)} in \`scripts\``);
        }
        if (weight !== undefined && !(isInt(weight) && weight >= -253 && weight <= 253)) {
            add(`${at}.trackScripts[${t}].weight`, `${weight} is outside -253..253`);
        }
    });

    (instance.trackInterfaces ?? []).forEach((track, t) => {
        if (!isInterfaceName(track.name)) {
            add(`${at}.trackInterfaces[${t}].name`, `${q(String(track.name))} is not an interface name (1-15 characters, no / : or spaces)`);
        } else {
            const own = nodes.find((node) => (instance.interface ?? node.interface) === track.name);
            if (own) add(`${at}.trackInterfaces[${t}].name`, `${track.name} is the instance's own interface on ${own.name} (keepalived ignores it and its config test fails)`);
        }
        if (track.weight !== undefined && !(isInt(track.weight) && track.weight >= -253 && track.weight <= 253)) {
            add(`${at}.trackInterfaces[${t}].weight`, `${track.weight} is outside -253..253`);
        }
    });

    for (const [key, command] of Object.entries(instance.notify ?? {})) {
        if (command === undefined) continue;
        if (typeof command !== "string" || CONTROL_CHARS.test(command) || !commandIsAbsolute(command)) {
            add(`${at}.notify.${key}`, `${q(String(command))} must start with an absolute path (and hold no control characters)`);
        }
    }
}

function validateVips(spec: KeepalivedClusterSpec, instance: VrrpInstanceSpec, at: string, add: Add): void {
    const vips = Array.isArray(instance.vips) ? instance.vips : [];
    if (vips.length === 0) {
        add(`${at}.vips`, "at least one VIP is needed");
        return;
    }
    const families = new Set<IpFamily>();
    vips.forEach((raw, k) => {
        const vip = vipOf(raw);
        const field = typeof raw === "string" ? `${at}.vips[${k}]` : `${at}.vips[${k}].address`;
        const address = parseAddress(vip.address);
        if (!address) {
            add(field, `${q(String(vip.address))} is not an IP address (bare or CIDR)`);
            return;
        }
        families.add(address.family);
        for (const node of spec.nodes ?? []) {
            const own = parseAddress(node.address);
            if (own && own.ip.toString() === address.ip.toString()) add(field, `${address.bare} is node ${node.name}'s own address`);
        }
        if (!instance.allowVipOutsideSubnet) {
            for (const node of spec.nodes ?? []) {
                // Only the node's VRRP interface has a known subnet; VIPs placed elsewhere are not checked.
                const iface = instance.interface ?? node.interface;
                if (iface !== node.interface || (vip.dev !== undefined && vip.dev !== iface)) continue;
                const subnet = nodeSubnet(node);
                // An IPv4 subnet says nothing about where an IPv6 VIP belongs, and the reverse.
                const sameFamily = subnet instanceof IPv4CidrRange ? address.family === "IPv4" : address.family === "IPv6";
                if (subnet && sameFamily && !subnetContains(subnet, address)) {
                    add(field, `${address.bare} is outside ${node.name}'s ${iface} subnet ${subnetText(subnet)} (set \`allowVipOutsideSubnet\` if that is intended)`);
                    break;
                }
            }
        }
        if (typeof raw !== "string") {
            if (vip.dev !== undefined && !isInterfaceName(vip.dev)) add(`${at}.vips[${k}].dev`, `${q(vip.dev)} is not an interface name (1-15 characters, no / : or spaces)`);
            if (vip.label !== undefined && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(vip.label)) add(`${at}.vips[${k}].label`, `${q(vip.label)} is not a label (1-15 characters, like "eth0:1")`);
            if (vip.scope !== undefined && !VIP_SCOPES.includes(vip.scope)) add(`${at}.vips[${k}].scope`, `${q(String(vip.scope))} is not one of ${VIP_SCOPES.join(", ")}`);
            if (vip.brd !== undefined) {
                const brd = parseBareAddress(vip.brd);
                if (!brd || brd.family !== "IPv4" || address.family !== "IPv4") add(`${at}.vips[${k}].brd`, `${q(vip.brd)} is not an IPv4 broadcast address for an IPv4 VIP`);
            }
        }
    });
    if (families.size > 1) add(`${at}.vips`, "mixes IPv4 and IPv6 addresses (keepalived needs one family per instance)");
}

function validatePriorities(instance: VrrpInstanceSpec, at: string, nodeNames: string[], add: Add): void {
    if (instance.master !== undefined && instance.priorities !== undefined) {
        add(`${at}.master`, "cannot be set together with `priorities` (the highest priority is the master)");
        return;
    }
    if (instance.master !== undefined && !nodeNames.includes(instance.master)) {
        add(`${at}.master`, `${q(String(instance.master))} is not in \`nodes\` (${nodeNames.join(", ")})`);
    }
    if (instance.priorities === undefined) {
        if (nodeNames.length > MAX_NODES_FOR_DERIVED_PRIORITIES) {
            add(`${at}.priorities`, `must be given for more than ${MAX_NODES_FOR_DERIVED_PRIORITIES} nodes`);
        }
        return;
    }
    const seen = new Map<number, string>();
    for (const [name, priority] of Object.entries(instance.priorities)) {
        const field = `${at}.priorities.${name}`;
        if (!nodeNames.includes(name)) add(field, `no node is named ${q(name)}`);
        if (!(isInt(priority) && priority >= 1 && priority <= 254)) {
            add(field, `${priority} is outside 1-254`);
        } else if (seen.has(priority)) {
            add(field, `${priority} equals ${seen.get(priority)}'s; priorities within an instance must differ`);
        } else {
            seen.set(priority, name);
        }
    }
    const missing = nodeNames.filter((name) => !Object.prototype.hasOwnProperty.call(instance.priorities, name));
    if (missing.length > 0) add(`${at}.priorities`, `has no priority for ${missing.join(", ")}`);
}

/** Two instances with one VRID on one interface, address family and advert channel collide (keepalived refuses it). */
function validateVridsPerInterface(spec: KeepalivedClusterSpec, add: Add): void {
    const instances = spec.instances ?? [];
    for (let j = 0; j < instances.length; j++) {
        for (let i = 0; i < j; i++) {
            const a = instances[i];
            const b = instances[j];
            if (a.virtualRouterId !== b.virtualRouterId) continue;
            const familyA = instanceFamily(a);
            const familyB = instanceFamily(b);
            if (familyA !== familyB) continue;
            if (advertChannel(a, spec, familyA) !== advertChannel(b, spec, familyB)) continue;
            const node = (spec.nodes ?? []).find((n) => (a.interface ?? n.interface) === (b.interface ?? n.interface));
            if (node) {
                add(`instances[${j}].virtualRouterId`, `${b.virtualRouterId} is also used by instances[${i}] (${a.name}) on ${a.interface ?? node.interface} of ${node.name}`);
            }
        }
    }
}

function validateVipsUnique(spec: KeepalivedClusterSpec, add: Add): void {
    const seen = new Map<string, string>();
    (spec.instances ?? []).forEach((instance, i) => {
        (instance.vips ?? []).forEach((raw, k) => {
            const address = parseAddress(vipOf(raw).address);
            if (!address) return;
            const key = address.ip.toString();
            const where = `instances[${i}].vips[${k}]`;
            if (seen.has(key)) add(typeof raw === "string" ? where : `${where}.address`, `${address.bare} is already a VIP of ${seen.get(key)}`);
            else seen.set(key, where);
        });
    });
}

function validateScripts(spec: KeepalivedClusterSpec, add: Add): void {
    for (const [name, script] of Object.entries(spec.scripts ?? {})) {
        const at = `scripts.${name}`;
        if (!isIdentifier(name)) add(at, `${q(name)} is not a valid keepalived name (letters, digits, _ . -; at most 64)`);
        if (typeof script.script !== "string" || CONTROL_CHARS.test(script.script) || !commandIsAbsolute(script.script)) {
            add(`${at}.script`, `${q(String(script.script))} must start with an absolute path (and hold no control characters); for shell syntax use /bin/sh -c '...'`);
        }
        for (const key of ["interval", "timeout", "fall", "rise"] as const) {
            const value = script[key];
            if (value !== undefined && !(isInt(value) && value >= 1)) add(`${at}.${key}`, `${value} is not a whole number, 1 or more`);
        }
        if (script.weight !== undefined && !(isInt(script.weight) && script.weight >= -253 && script.weight <= 253)) {
            add(`${at}.weight`, `${script.weight} is outside -253..253`);
        }
        if (script.user !== undefined && !isWord(script.user)) add(`${at}.user`, `${q(script.user)} must be one word without quotes, braces, # ! \\ or $`);
    }
}

function validateScriptFiles(spec: KeepalivedClusterSpec, add: Add): void {
    const seen = new Map<string, number>();
    (spec.scriptFiles ?? []).forEach((file, f) => {
        const at = `scriptFiles[${f}]`;
        if (typeof file.path !== "string" || !file.path.startsWith("/") || /\s/.test(file.path) || file.path.split("/").includes("..")) {
            add(`${at}.path`, `${q(String(file.path))} is not an absolute path without spaces or ".."`);
        } else if (file.path === KEEPALIVED_CONF_PATH) {
            add(`${at}.path`, `${file.path} is the config file itself`);
        } else if (seen.has(file.path)) {
            add(`${at}.path`, `${file.path} is already shipped by scriptFiles[${seen.get(file.path)}]`);
        } else {
            seen.set(file.path, f);
        }
        if (typeof file.content !== "string") add(`${at}.content`, "must be a string");
        if (file.mode !== undefined) {
            if (!OCTAL_MODE.test(file.mode)) {
                add(`${at}.mode`, `${q(file.mode)} is not an octal mode like "0755"`);
            } else if ((parseInt(file.mode, 8) & 0o022) !== 0) {
                add(`${at}.mode`, `${file.mode} lets group or others write the file; keepalived's script security refuses such scripts`);
            }
        }
    });
}

function validateVirtualServer(vs: VirtualServerSpec, v: number, add: Add): void {
    const at = `virtualServers[${v}]`;
    const address = parseBareAddress(vs.address);
    if (!address) add(`${at}.address`, `${q(String(vs.address))} is not an IP address`);
    checkPort(vs.port, `${at}.port`, add);
    if (vs.protocol !== undefined && !PROTOCOLS.includes(vs.protocol)) add(`${at}.protocol`, `${q(String(vs.protocol))} is not one of ${PROTOCOLS.join(", ")}`);
    if (vs.lbAlgo !== undefined && !LVS_SCHEDULERS.includes(vs.lbAlgo)) add(`${at}.lbAlgo`, `${q(String(vs.lbAlgo))} is not one of ${LVS_SCHEDULERS.join(", ")}`);
    if (vs.lbKind !== undefined && !LVS_METHODS.includes(vs.lbKind)) add(`${at}.lbKind`, `${q(String(vs.lbKind))} is not one of ${LVS_METHODS.join(", ")}`);
    if (vs.persistenceTimeout !== undefined && !(isInt(vs.persistenceTimeout) && vs.persistenceTimeout >= 1)) {
        add(`${at}.persistenceTimeout`, `${vs.persistenceTimeout} is not a whole number of seconds, 1 or more`);
    }
    if (vs.delayLoop !== undefined && !isPositive(vs.delayLoop)) add(`${at}.delayLoop`, `${vs.delayLoop} is not a positive number of seconds`);
    // Tunnelled real servers may differ in family from the virtual server; NAT and DR ones may not.
    const sameFamily = (vs.lbKind ?? "NAT") !== "TUN";
    if (vs.sorryServer !== undefined) {
        const sorry = parseBareAddress(vs.sorryServer.address);
        if (!sorry || (sameFamily && address && sorry.family !== address.family)) {
            add(`${at}.sorryServer.address`, `${q(String(vs.sorryServer.address))} is not an IP address of the virtual server's family`);
        }
        if (vs.sorryServer.port !== undefined) checkPort(vs.sorryServer.port, `${at}.sorryServer.port`, add);
    }
    const realServers = Array.isArray(vs.realServers) ? vs.realServers : [];
    if (realServers.length === 0) add(`${at}.realServers`, "at least one real server is needed");
    const seen = new Map<string, number>();
    realServers.forEach((rs, r) => {
        const rat = `${at}.realServers[${r}]`;
        const rsAddress = parseBareAddress(rs.address);
        if (!rsAddress || (sameFamily && address && rsAddress.family !== address.family)) {
            add(`${rat}.address`, `${q(String(rs.address))} is not an IP address of the virtual server's family`);
        }
        checkPort(rs.port, `${rat}.port`, add);
        const key = `${rsAddress?.ip.toString() ?? rs.address}|${rs.port}`;
        if (seen.has(key)) add(`${rat}.address`, `${rs.address} port ${rs.port} is already realServers[${seen.get(key)}]`);
        else seen.set(key, r);
        if (rs.weight !== undefined && !(isInt(rs.weight) && rs.weight >= 0)) add(`${rat}.weight`, `${rs.weight} is not a whole number, 0 or more`);
        if (rs.check !== undefined) validateCheck(rs.check, `${rat}.check`, add);
    });
}

function validateCheck(check: HealthCheckSpec, at: string, add: Add): void {
    if (!CHECK_TYPES.includes(check.type)) {
        add(`${at}.type`, `${q(String(check.type))} is not one of ${CHECK_TYPES.join(", ")}`);
        return;
    }
    if (check.retry !== undefined && !(isInt(check.retry) && check.retry >= 0)) add(`${at}.retry`, `${check.retry} is not a whole number, 0 or more`);
    if (check.delayBeforeRetry !== undefined && !isPositive(check.delayBeforeRetry)) add(`${at}.delayBeforeRetry`, `${check.delayBeforeRetry} is not a positive number of seconds`);
    if (check.type === "MISC_CHECK") {
        if (typeof check.path !== "string" || CONTROL_CHARS.test(check.path) || !commandIsAbsolute(check.path)) {
            add(`${at}.path`, `${q(String(check.path))} must start with an absolute path (and hold no control characters)`);
        }
        if (check.timeout !== undefined && !(isInt(check.timeout) && check.timeout >= 1)) add(`${at}.timeout`, `${check.timeout} is not a whole number of seconds, 1 or more`);
        if (check.user !== undefined && !isWord(check.user)) add(`${at}.user`, `${q(check.user)} must be one word without quotes, braces, # ! \\ or $`);
        return;
    }
    if (check.connectIp !== undefined && !parseBareAddress(check.connectIp)) add(`${at}.connectIp`, `${q(check.connectIp)} is not an IP address`);
    if (check.bindTo !== undefined && !parseBareAddress(check.bindTo)) add(`${at}.bindTo`, `${q(check.bindTo)} is not an IP address`);
    if (check.connectPort !== undefined) checkPort(check.connectPort, `${at}.connectPort`, add);
    if (check.connectTimeout !== undefined && !isPositive(check.connectTimeout)) add(`${at}.connectTimeout`, `${check.connectTimeout} is not a positive number of seconds`);
    if (check.type === "SMTP_CHECK" && check.heloName !== undefined && !isWord(check.heloName)) {
        add(`${at}.heloName`, `${q(check.heloName)} must be one word without quotes, braces, # ! \\ or $`);
    }
    if (check.type === "HTTP_GET" || check.type === "SSL_GET") {
        const urls = Array.isArray(check.urls) ? check.urls : [];
        if (urls.length === 0) add(`${at}.urls`, `at least one url is needed for ${check.type}`);
        urls.forEach((url, u) => {
            if (typeof url.path !== "string" || !url.path.startsWith("/") || !isWord(url.path)) {
                add(`${at}.urls[${u}].path`, `${q(String(url.path))} must start with "/" and hold no spaces, quotes, braces, # ! \\ or $`);
            }
            if (url.statusCode !== undefined && !(isInt(url.statusCode) && url.statusCode >= 100 && url.statusCode <= 599)) {
                add(`${at}.urls[${u}].statusCode`, `${url.statusCode} is not an HTTP status code (100-599)`);
            }
            if (url.digest !== undefined && !MD5_HEX.test(url.digest)) add(`${at}.urls[${u}].digest`, `${q(url.digest)} is not an MD5 digest (32 hex digits, as genhash prints)`);
        });
    }
}

function checkPort(port: unknown, field: string, add: Add): void {
    if (!(isInt(port) && port >= 1 && port <= 65535)) add(field, `${String(port)} is outside 1-65535`);
}

function validateVirtualServersUnique(spec: KeepalivedClusterSpec, add: Add): void {
    const seen = new Map<string, number>();
    (spec.virtualServers ?? []).forEach((vs, v) => {
        const address = parseBareAddress(vs.address);
        if (!address) return;
        const key = `${address.ip.toString()}|${vs.port}|${vs.protocol ?? "TCP"}`;
        if (seen.has(key)) add(`virtualServers[${v}].address`, `${vs.address} port ${vs.port} ${vs.protocol ?? "TCP"} is already virtualServers[${seen.get(key)}]`);
        else seen.set(key, v);
    });
}

// ---------------------------------------------------------------------------------------------

/**
 * Across clusters the SDK can see: two clusters whose nodes share an interface subnet (one segment)
 * and use one VRID for the same address family and advert channel would take each other's adverts.
 * Unicast instances collide only when their peers overlap. Nodes without a known subnet are skipped.
 */
export function vridConflicts(clusters: { name: string; spec: KeepalivedClusterSpec }[]): VridConflict[] {
    interface Use {
        cluster: string;
        index: number;
        instance: VrrpInstanceSpec;
        segment: string;
        family: IpFamily | undefined;
        channel: string;
        addresses: Set<string>;
    }
    const uses: Use[] = [];
    for (const { name, spec } of clusters) {
        (spec.instances ?? []).forEach((instance, index) => {
            const family = instanceFamily(instance);
            const channel = advertChannel(instance, spec, family);
            const addresses = new Set((spec.nodes ?? []).map((n) => parseAddress(n.address)?.ip.toString() ?? n.address));
            const segments = new Set<string>();
            for (const node of spec.nodes ?? []) {
                const subnet = nodeSubnet(node);
                // A node's subnet describes its own VRRP interface only.
                if (subnet && (instance.interface ?? node.interface) === node.interface) segments.add(subnetText(subnet));
            }
            for (const segment of segments) uses.push({ cluster: name, index, instance, segment, family, channel, addresses });
        });
    }
    const conflicts: VridConflict[] = [];
    const reported = new Set<string>();
    for (let j = 0; j < uses.length; j++) {
        for (let i = 0; i < j; i++) {
            const a = uses[i];
            const b = uses[j];
            if (a.cluster === b.cluster || a.segment !== b.segment) continue;
            if (a.instance.virtualRouterId !== b.instance.virtualRouterId || a.family !== b.family || a.channel !== b.channel) continue;
            if (a.channel === "unicast" && ![...a.addresses].some((x) => b.addresses.has(x))) continue;
            const key = `${b.cluster}|${b.index}|${a.cluster}|${a.index}`;
            if (reported.has(key)) continue;
            reported.add(key);
            const field = `instances[${b.index}].virtualRouterId`;
            conflicts.push({
                cluster: b.cluster,
                otherCluster: a.cluster,
                field,
                message: `\`${field}\`: ${b.instance.virtualRouterId} on segment ${b.segment} is also used by cluster ${q(a.cluster)} (instances[${a.index}], ${a.instance.name})`,
            });
        }
    }
    return conflicts;
}
