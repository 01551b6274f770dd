/**
 * Parses a resolved cluster before anything connects: the one channel for bad input, and the one place
 * its defaults are applied. Each issue names its field; the message starts with that field in backticks,
 * so it can be shown as is. Rules follow keepalived 2.2.7: where its config test rejects or silently
 * drops something, the rule says so.
 */
import { hostPathProblem, isHostName, isPortableName } from "../../contract/inputRules";
import type { Issue, Parsed } from "../../contract/issue";
import { ParsedAddress, parseAddress, parseIp, subnetContains } from "../../model/address";
import { advertChannel, advertGroup, instanceFamily } from "./addresses";
import {
    DEFAULT_ADVERT_INT,
    DEFAULT_LVS_METHOD,
    DEFAULT_LVS_SCHEDULER,
    DEFAULT_REAL_SERVER_WEIGHT,
    DEFAULT_SCRIPT_FILE_MODE,
    DEFAULT_SCRIPT_USER,
    DEFAULT_VS_PROTOCOL,
    KEEPALIVED_CONF_PATH,
    KeepalivedClusterSpec,
    KeepalivedNodeSpec,
    MAINTENANCE_FLAG_PATH,
    ParsedKeepalived,
    ParsedVrrpInstance,
    VrrpInstanceSpec,
    hasScripts,
    trackScriptOf,
    vipOf,
} from "./model";
import { instancePriorities } from "./priorities";
import { Add, NOT_AN_INTERFACE, NOT_A_NAME, NOT_A_WORD, isCommand, isInt, isInterfaceName, isWeight, isWord, q } from "./rules";
import { validateInstance } from "./validateInstance";
import { validateMaintenance } from "./validateMaintenance";
import { validateVirtualServer, validateVirtualServersUnique } from "./validateServers";

const OCTAL_MODE = /^0?[0-7]{3}$/;
/** keepalived's limits for `vrrp_garp_interval` and `vrrp_gna_interval` (seconds). */
const MAX_GARP_INTERVAL_SECONDS = 4294.967295;
const MIN_GARP_INTERVAL_SECONDS = 0.000001;

/** Every rule violation in a cluster, or, with none, the cluster with every default applied: what is planned and rendered. */
export function parseKeepalived(spec: KeepalivedClusterSpec): Parsed<ParsedKeepalived> {
    const issues: Issue[] = [];
    const add: Add = (field, rule) => issues.push({ field, message: `\`${field}\`: ${rule}` });

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
    validateMaintenance(spec, add);
    (spec.virtualServers ?? []).forEach((vs, v) => validateVirtualServer(vs, v, add));
    validateVirtualServersUnique(spec, add);
    return issues.length > 0 ? { ok: false, issues } : { ok: true, value: withDefaults(spec) };
}

/** The cluster with its defaults applied; only for a cluster without issues (every address parses). */
function withDefaults(spec: KeepalivedClusterSpec): ParsedKeepalived {
    const globalDefs = spec.globalDefs ?? {};
    const names = spec.nodes.map((n) => n.name);
    const scriptUser = globalDefs.scriptUser ?? (hasScripts(spec) ? DEFAULT_SCRIPT_USER : undefined);
    // No undefined-valued keys: parts of the value may end up in resource inputs, where they are not allowed.
    return {
        nodes: spec.nodes.map((node) => ({
            name: node.name,
            interface: node.interface,
            address: parsed(node.address),
            routerId: node.routerId ?? globalDefs.routerId ?? node.name,
        })),
        instances: spec.instances.map((instance) => instanceWithDefaults(spec, instance, names)),
        globalDefs,
        ...(scriptUser === undefined ? {} : { scriptUser }),
        scripts: spec.scripts ?? {},
        scriptFiles: (spec.scriptFiles ?? []).map((file) => ({ ...file, mode: file.mode ?? DEFAULT_SCRIPT_FILE_MODE })),
        virtualServers: (spec.virtualServers ?? []).map((vs) => ({
            ...vs,
            protocol: vs.protocol ?? DEFAULT_VS_PROTOCOL,
            lbAlgo: vs.lbAlgo ?? DEFAULT_LVS_SCHEDULER,
            lbKind: vs.lbKind ?? DEFAULT_LVS_METHOD,
            realServers: vs.realServers.map((rs) => ({ ...rs, weight: rs.weight ?? DEFAULT_REAL_SERVER_WEIGHT })),
        })),
        maintenance: spec.maintenance ?? [],
    };
}

function instanceWithDefaults(spec: KeepalivedClusterSpec, instance: VrrpInstanceSpec, names: string[]): ParsedVrrpInstance {
    const { interface: _interface, vips, master: _master, priorities: _priorities, ...rest } = instance;
    const family = instanceFamily(instance)!;
    return {
        ...rest,
        interfaces: Object.fromEntries(spec.nodes.map((node) => [node.name, instance.interface ?? node.interface])),
        vips: vips.map((raw) => {
            const vip = vipOf(raw);
            return { ...vip, parsed: parsed(vip.address) };
        }),
        family,
        priorities: instancePriorities(names, instance),
        advertInt: instance.advertInt ?? DEFAULT_ADVERT_INT,
        preempt: instance.preempt ?? true,
        advertGroup: advertGroup(instance, spec, family),
        trackScripts: (instance.trackScripts ?? []).map(trackScriptOf),
        trackInterfaces: instance.trackInterfaces ?? [],
        notify: instance.notify ?? {},
    };
}

/** An address the rules accepted. */
function parsed(text: string): ParsedAddress {
    return parseAddress(text)!;
}

function validateNodes(nodes: KeepalivedNodeSpec[], add: Add): void {
    const names = new Map<string, number>();
    const addresses = new Map<string, number>();
    nodes.forEach((node, n) => {
        const at = `nodes[${n}]`;
        if (!isPortableName(node.name)) {
            add(`${at}.name`, `${q(String(node.name))} is not a valid name (letters, digits, _ . -; at most 64)`);
        } else if (names.has(node.name)) {
            add(`${at}.name`, `${q(node.name)} is already the name of nodes[${names.get(node.name)}]`);
        } else {
            names.set(node.name, n);
        }
        const address = parseAddress(node.address);
        if (!address) {
            add(`${at}.address`, `${q(String(node.address))} is not an IP address (bare or CIDR)`);
        } else if (addresses.has(address.address)) {
            add(`${at}.address`, `${address.address} is already the address of nodes[${addresses.get(address.address)}]`);
        } else {
            addresses.set(address.address, n);
        }
        if (!isInterfaceName(node.interface)) add(`${at}.interface`, `${q(String(node.interface))} ${NOT_AN_INTERFACE}`);
        if (node.interfaceCidr !== undefined) {
            const cidr = parseAddress(node.interfaceCidr);
            if (!cidr || !("subnet" in cidr)) {
                add(`${at}.interfaceCidr`, `${q(String(node.interfaceCidr))} is not an address with a prefix, like "10.77.0.11/24"`);
            } else if (address && !subnetContains(cidr.subnet, address.ip)) {
                add(`${at}.interfaceCidr`, `${cidr.network} does not contain the node's address ${address.address}`);
            }
        }
        if (node.routerId !== undefined && !isWord(node.routerId)) add(`${at}.routerId`, `${q(node.routerId)} ${NOT_A_WORD}`);
    });
}

function validateGlobalDefs(spec: KeepalivedClusterSpec, add: Add): void {
    const g = spec.globalDefs ?? {};
    (g.notificationEmails ?? []).forEach((email, e) => {
        if (!isWord(email)) add(`globalDefs.notificationEmails[${e}]`, `${q(email)} ${NOT_A_WORD}`);
    });
    for (const key of ["notificationEmailFrom", "routerId", "scriptUser"] as const) {
        const value = g[key];
        if (value !== undefined && !isWord(value)) add(`globalDefs.${key}`, `${q(value)} ${NOT_A_WORD}`);
    }
    if (g.smtpServer !== undefined && !isHostName(g.smtpServer)) {
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
        const group = parseIp(g.vrrpMcastGroup4);
        if (!group || group.family !== 4 || !group.ip.isMulticast()) {
            add("globalDefs.vrrpMcastGroup4", `${q(g.vrrpMcastGroup4)} is not an IPv4 multicast address (224.0.0.0/4)`);
        }
    }
    if (hasScripts(spec) && g.enableScriptSecurity !== true) {
        add(
            "globalDefs.enableScriptSecurity",
            "must be true when scripts are configured (track scripts, notify or MISC_CHECK): keepalived reports a SECURITY VIOLATION and its config test fails without it",
        );
    }
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
        (Array.isArray(instance.vips) ? instance.vips : []).forEach((raw, k) => {
            const address = parseAddress(vipOf(raw).address);
            if (!address) return;
            const where = `instances[${i}].vips[${k}]`;
            if (seen.has(address.address)) add(typeof raw === "string" ? where : `${where}.address`, `${address.address} is already a VIP of ${seen.get(address.address)}`);
            else seen.set(address.address, where);
        });
    });
}

function validateScripts(spec: KeepalivedClusterSpec, add: Add): void {
    for (const [name, script] of Object.entries(spec.scripts ?? {})) {
        const at = `scripts.${name}`;
        if (!isPortableName(name)) add(at, `${q(name)} ${NOT_A_NAME}`);
        if (!isCommand(script.script)) {
            add(`${at}.script`, `${q(String(script.script))} must start with an absolute path (and hold no control characters); for shell syntax use /bin/sh -c '...'`);
        }
        for (const key of ["interval", "timeout", "fall", "rise"] as const) {
            const value = script[key];
            if (value !== undefined && !(isInt(value) && value >= 1)) add(`${at}.${key}`, `${value} is not a whole number, 1 or more`);
        }
        if (script.weight !== undefined && !isWeight(script.weight)) add(`${at}.weight`, `${script.weight} is outside -253..253`);
        if (script.user !== undefined && !isWord(script.user)) add(`${at}.user`, `${q(script.user)} ${NOT_A_WORD}`);
    }
}

function validateScriptFiles(spec: KeepalivedClusterSpec, add: Add): void {
    const seen = new Map<string, number>();
    (spec.scriptFiles ?? []).forEach((file, f) => {
        const at = `scriptFiles[${f}]`;
        const pathProblem = hostPathProblem(file.path);
        if (pathProblem) {
            add(`${at}.path`, pathProblem);
        } else if (/\s/.test(file.path)) {
            add(`${at}.path`, `${q(file.path)} holds whitespace, which ends a path in keepalived's config`);
        } else if (file.path === KEEPALIVED_CONF_PATH) {
            add(`${at}.path`, `${file.path} is the config file itself`);
        } else if (file.path === MAINTENANCE_FLAG_PATH) {
            add(`${at}.path`, `${file.path} is the maintenance flag (set it through \`maintenance\`)`);
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
