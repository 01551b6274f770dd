/**
 * From the keepalived.conf of each node (parsed by keepalivedConf.ts) to the inputs of one
 * `KeepalivedCluster` that renders the same behaviour, plus every line it could not carry over and why.
 * Pure. What the args cannot say, or what differs between nodes where the args hold one value, is
 * reported and left out, never guessed: the program is reviewed against the report before its first up.
 */
import type { Issue } from "../contract/issue";
import { shellQuote } from "../contract/shell";
import { parseAddress, parseCidr, subnetContains } from "../model/address";
import type { GlobalDefsArgs, RealServerArgs, VrrpScriptArgs } from "../plan/keepalived/args";
import {
    HealthCheckSpec,
    KeepalivedClusterSpec,
    MAINTENANCE_FLAG_PATH,
    MAINTENANCE_TRACK_FILE,
    VirtualServerSpec,
    VrrpInstanceSpec,
} from "../plan/keepalived/model";
import { parseKeepalived } from "../plan/keepalived/validate";
import type { Unwrap } from "@pulumi/pulumi/output";
import type { ConfStatement, ParsedConf } from "./keepalivedConf";

/** One node as read from its host. */
export interface NodeConf {
    /** The node's name in the program (its host name). */
    name: string;
    /** The address it was reached at: its address in the cluster when nothing better is known. */
    reachedAt: string;
    /** Its interfaces' addresses with prefixes (`ip -o addr`), by interface, when known. */
    interfaceCidrs?: Record<string, string[]>;
    /** Its keepalived.conf, parsed. */
    conf: ParsedConf;
}

/** A line of a node's config that the program does not carry over as written. */
interface Unexpressed {
    node: string;
    line: number;
    text: string;
    why: string;
}

/** A secret the program reads from stack config (`config.requireSecret(configSecret)`). */
export interface SecretFromConfig {
    configSecret: string;
}

/** An instance as imported: `VrrpInstanceSpec` with its password named, never its value. */
type ImportedInstance = Omit<VrrpInstanceSpec, "auth"> & { auth?: { type: "PASS" | "AH"; password: SecretFromConfig } };

/** The cluster as imported: `KeepalivedClusterArgs` resolved, without connections (the program adds them). */
export type ImportedCluster = Omit<KeepalivedClusterSpec, "instances"> & { instances: ImportedInstance[] };

/** Where the value of a secret the program reads from config is: a line of a node's config. */
interface SecretSource {
    configSecret: string;
    node: string;
    line: number;
}

export interface KeepalivedImport {
    cluster: ImportedCluster;
    unexpressed: Unexpressed[];
    secrets: SecretSource[];
}

/** The config key of an instance's VRRP password. */
function passwordConfigKey(instance: string): string {
    return `vrrpPassword_${instance}`;
}

/** Maps the nodes' configs to one cluster; nodes keep their order (it breaks ties in derived priorities). */
export function mapKeepalivedCluster(nodes: readonly NodeConf[]): KeepalivedImport {
    const report: Unexpressed[] = [];
    const drop = (node: string, st: { line: number; text: string }, why: string) => report.push({ node, line: st.line, text: st.text, why });
    for (const n of nodes) for (const p of n.conf.problems) drop(n.name, p, p.why);

    const reads = nodes.map((n) => readNode(n, drop));
    const names = nodes.map((n) => n.name);
    const globals = mergeGlobalDefs(reads, names, drop);
    const scripts = mergeScripts(reads, names, drop);
    const vipAddresses = new Set(reads.flatMap((r) => r.instances.flatMap((i) => i.fields.vips.map(vipAddress))));
    const nodeIfaces = reads.map((r) => r.instances[0]?.iface);
    const addresses = reads.map((r, k) => nodeAddress(nodes[k], r, nodeIfaces[k], vipAddresses));

    const secrets: SecretSource[] = [];
    const instances: ImportedInstance[] = [];
    for (const name of instanceNames(reads)) {
        const instance = mergeInstance(name, nodes, reads, nodeIfaces, addresses, drop, secrets);
        if (instance) instances.push(instance);
    }
    const virtualServers = mergeVirtualServers(reads, names, drop);

    const clusterNodes: ImportedCluster["nodes"] = nodes.map((n, k) => ({
        name: n.name,
        address: addresses[k].address,
        interface: nodeIfaces[k] ?? "eth0",
        ...(addresses[k].cidr ? { interfaceCidr: addresses[k].cidr } : {}),
        ...(globals.routerIds?.[k] !== undefined ? { routerId: globals.routerIds[k] } : {}),
    }));
    for (const instance of instances) {
        if (vipsOutsideSubnets(instance, clusterNodes)) instance.allowVipOutsideSubnet = true;
    }
    const cluster: ImportedCluster = { nodes: clusterNodes, instances };
    // As the package's own rule counts them: vrrp_scripts, notify commands, MISC_CHECK checkers.
    const hasScripts = Object.keys(scripts).length > 0 || instances.some((i) => i.notify !== undefined) || virtualServers.some((vs) => vs.realServers.some((rs) => rs.check?.type === "MISC_CHECK"));
    if (hasScripts && globals.defs.enableScriptSecurity !== true) {
        globals.defs.enableScriptSecurity = true;
        const first = reads.flatMap((r, k) => r.scriptLines.map((st) => ({ st, node: nodes[k].name })))[0];
        if (first) drop(first.node, first.st, "KeepalivedCluster turns on `enable_script_security` where scripts run (keepalived warns of a SECURITY VIOLATION without it): added");
    }
    if (Object.keys(globals.defs).length > 0) cluster.globalDefs = globals.defs;
    if (Object.keys(scripts).length > 0) cluster.scripts = scripts;
    if (virtualServers.length > 0) cluster.virtualServers = virtualServers;
    reportStates(cluster, reads, nodes, drop);

    const order = new Map(nodes.map((n, k) => [n.name, k]));
    report.sort((a, b) => (order.get(a.node) ?? 0) - (order.get(b.node) ?? 0) || a.line - b.line || a.why.localeCompare(b.why));
    return { cluster, unexpressed: report, secrets };
}

/** What the package's own checks say about an imported cluster (passwords stand in): issues the program would meet at preview. */
export function importedClusterIssues(cluster: ImportedCluster): Issue[] {
    const spec: KeepalivedClusterSpec = {
        ...cluster,
        instances: cluster.instances.map((i) => ({ ...i, auth: i.auth ? { type: i.auth.type, password: "imported" } : undefined })),
    };
    const parsed = parseKeepalived(spec);
    return parsed.ok ? [] : parsed.issues;
}

// ---------------------------------------------------------------------------------------------

type Drop = (node: string, st: { line: number; text: string }, why: string) => void;

/** A value with the statement it came from. */
interface Sourced<T> {
    value: T;
    st: ConfStatement;
}

/** One vrrp_instance as one node has it: the fields every node must share, and the per-node ones. */
interface NodeInstance {
    name: string;
    st: ConfStatement;
    iface?: string;
    priority?: Sourced<number>;
    state?: Sourced<string>;
    unicastSrc?: Sourced<string>;
    peers: Sourced<string>[];
    peerBlock?: ConfStatement;
    password?: Sourced<string>;
    /** The shared fields, each with the statement it came from (for reports). */
    fields: SharedFields;
    lines: Partial<Record<keyof SharedFields, ConfStatement>>;
    ok: boolean;
}

type Vip = Exclude<VrrpInstanceSpec["vips"][number], string>;
interface SharedFields {
    virtualRouterId?: number;
    advertInt?: number;
    preempt?: boolean;
    preemptDelay?: number;
    unicast?: boolean;
    mcastGroup?: string;
    authType?: "PASS" | "AH";
    vips: (Vip | string)[];
    trackInterfaces?: { name: string; weight?: number }[];
    trackScripts?: ({ name: string; weight?: number } | string)[];
    notify?: Record<string, string>;
}

interface NodeRead {
    globals: Map<string, Sourced<unknown>>;
    scripts: Map<string, Sourced<Unwrap<VrrpScriptArgs>>>;
    instances: NodeInstance[];
    virtualServers: Map<string, Sourced<VirtualServerSpec>>;
    /** Statements that configure a script (for the enable_script_security report). */
    scriptLines: ConfStatement[];
}

const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

function readNode(n: NodeConf, drop: Drop): NodeRead {
    const read: NodeRead = { globals: new Map(), scripts: new Map(), instances: [], virtualServers: new Map(), scriptLines: [] };
    const d = (st: ConfStatement, why: string) => drop(n.name, st, why);
    for (const st of n.conf.statements) {
        switch (st.keyword) {
            case "global_defs":
                for (const g of st.children ?? []) readGlobal(g, read.globals, d);
                break;
            case "vrrp_script":
                readScript(st, read, d);
                break;
            case "vrrp_instance":
                read.instances.push(readInstance(st, read, d));
                break;
            case "virtual_server":
                readVirtualServer(st, read, d);
                break;
            case "track_file":
                // The maintenance flag the package itself writes (a config it rendered, imported again).
                if (st.args[0] === MAINTENANCE_TRACK_FILE && (st.children ?? []).some((c) => c.keyword === "file" && c.args[0] === MAINTENANCE_FLAG_PATH)) break;
                d(st, "`track_file` is not expressed by KeepalivedCluster (its `maintenance` uses a flag file of its own)");
                break;
            case "include":
                d(st, "included files are not read: import their statements by hand");
                break;
            default:
                d(st, `\`${st.keyword}\` is not expressed by KeepalivedCluster`);
        }
    }
    return read;
}

function num(st: ConfStatement, text: string | undefined, d: (st: ConfStatement, why: string) => void): number | undefined {
    if (text !== undefined && NUMBER.test(text)) return Number(text);
    d(st, `${text === undefined ? "no value" : `"${text}" is not a number`}: left out`);
    return undefined;
}

const GLOBAL_WORDS: Record<string, keyof GlobalDefs> = {
    notification_email_from: "notificationEmailFrom",
    smtp_server: "smtpServer",
    router_id: "routerId",
    vrrp_mcast_group4: "vrrpMcastGroup4",
    script_user: "scriptUser",
};
const GLOBAL_NUMBERS: Record<string, keyof GlobalDefs> = {
    smtp_connect_timeout: "smtpConnectTimeout",
    vrrp_garp_interval: "vrrpGarpInterval",
    vrrp_gna_interval: "vrrpGnaInterval",
};
const GLOBAL_FLAGS: Record<string, keyof GlobalDefs> = {
    vrrp_skip_check_adv_addr: "vrrpSkipCheckAdvAddr",
    vrrp_strict: "vrrpStrict",
    enable_script_security: "enableScriptSecurity",
};
type GlobalDefs = Unwrap<GlobalDefsArgs>;

function readGlobal(st: ConfStatement, out: Map<string, Sourced<unknown>>, d: (st: ConfStatement, why: string) => void): void {
    const k = st.keyword;
    if (k === "notification_email") {
        out.set("notificationEmails", { value: (st.children ?? []).map((c) => [c.keyword, ...c.args].join(" ")), st });
    } else if (GLOBAL_WORDS[k]) {
        if (st.args.length !== 1) return d(st, `\`${k}\` with ${st.args.length} values is not expressed (one is)`);
        // script_user root is what KeepalivedCluster renders where scripts run: the same as leaving it out.
        if (k === "script_user" && st.args[0] === "root") return;
        out.set(GLOBAL_WORDS[k], { value: st.args[0], st });
    } else if (GLOBAL_NUMBERS[k]) {
        const value = num(st, st.args[0], d);
        // 0 means no delay, which is what leaving them out means (keepalived 2.2 rejects 0 in the args).
        if (value !== undefined && !(value === 0 && k !== "smtp_connect_timeout")) out.set(GLOBAL_NUMBERS[k], { value, st });
    } else if (GLOBAL_FLAGS[k]) {
        out.set(GLOBAL_FLAGS[k], { value: true, st });
    } else {
        d(st, `\`${k}\` in global_defs is not expressed by KeepalivedCluster`);
    }
}

function readScript(st: ConfStatement, read: NodeRead, d: (st: ConfStatement, why: string) => void): void {
    const name = st.args[0];
    if (!name) return d(st, "a vrrp_script without a name");
    const script: Record<string, string | number> = {};
    for (const c of st.children ?? []) {
        if (c.keyword === "script") {
            const text = c.args.join(" ");
            read.scriptLines.push(c);
            if (text.startsWith("/")) {
                script.script = text;
            } else {
                // keepalived 2 runs scripts without a shell; what was meant is this shell command.
                script.script = `/bin/sh -c ${shellQuote(text)}`;
                d(c, "not an absolute path: keepalived 2 runs scripts without a shell, so it is run through /bin/sh -c");
            }
        } else if (["interval", "timeout", "weight", "fall", "rise"].includes(c.keyword)) {
            const value = num(c, c.args[0], d);
            if (value !== undefined) script[c.keyword] = value;
        } else if (c.keyword === "user" && c.args.length === 1) {
            script.user = c.args[0];
        } else {
            d(c, `\`${c.keyword}\` in vrrp_script is not expressed by KeepalivedCluster`);
        }
    }
    if (script.script === undefined) return d(st, "a vrrp_script without `script`: left out");
    read.scripts.set(name, { value: script as unknown as Unwrap<VrrpScriptArgs>, st });
}

function readInstance(st: ConfStatement, read: NodeRead, d: (st: ConfStatement, why: string) => void): NodeInstance {
    const inst: NodeInstance = { name: st.args[0] ?? "", st, peers: [], fields: { vips: [] }, lines: {}, ok: true };
    const f = inst.fields;
    const set = <K extends keyof SharedFields>(key: K, value: SharedFields[K], c: ConfStatement) => {
        f[key] = value;
        inst.lines[key] = c;
    };
    for (const c of st.children ?? []) {
        const k = c.keyword;
        switch (k) {
            case "state":
                inst.state = { value: c.args[0] ?? "", st: c };
                break;
            case "interface":
                inst.iface = c.args[0];
                break;
            case "priority": {
                const value = num(c, c.args[0], d);
                if (value !== undefined) inst.priority = { value, st: c };
                break;
            }
            case "virtual_router_id":
            case "advert_int":
            case "preempt_delay": {
                const value = num(c, c.args[0], d);
                const key = k === "virtual_router_id" ? "virtualRouterId" : k === "advert_int" ? "advertInt" : "preemptDelay";
                // advert_int 1 is keepalived's default and KeepalivedCluster's: the same as leaving it out.
                if (value !== undefined && !(key === "advertInt" && value === 1)) set(key, value, c);
                break;
            }
            case "nopreempt":
                set("preempt", false, c);
                break;
            case "mcast_dst_ip":
                set("mcastGroup", c.args[0], c);
                break;
            case "unicast_src_ip":
                inst.unicastSrc = { value: c.args[0] ?? "", st: c };
                set("unicast", true, c);
                break;
            case "unicast_peer":
                inst.peerBlock = c;
                inst.peers = (c.children ?? []).map((p) => ({ value: p.keyword, st: p }));
                set("unicast", true, c);
                break;
            case "authentication":
                for (const a of c.children ?? []) {
                    if (a.keyword === "auth_type" && (a.args[0] === "PASS" || a.args[0] === "AH")) set("authType", a.args[0], a);
                    else if (a.keyword === "auth_pass") inst.password = { value: a.args.join(" "), st: a };
                    else d(a, `\`${a.keyword} ${a.args.join(" ")}\` in authentication is not expressed by KeepalivedCluster`);
                }
                break;
            case "virtual_ipaddress":
                inst.lines.vips = c;
                for (const v of c.children ?? []) {
                    const vip = readVip(v, d);
                    if (vip) f.vips.push(vip);
                }
                break;
            case "track_interface":
            case "track_script": {
                const refs: { name: string; weight?: number }[] = [];
                for (const t of c.children ?? []) {
                    if (t.args.length === 0) refs.push({ name: t.keyword });
                    else if (t.args.length === 2 && t.args[0] === "weight" && NUMBER.test(t.args[1])) refs.push({ name: t.keyword, weight: Number(t.args[1]) });
                    else d(t, "only `NAME` or `NAME weight N` is expressed: left out");
                }
                if (k === "track_interface") set("trackInterfaces", refs, c);
                else set("trackScripts", refs.map((r) => (r.weight === undefined ? r.name : r)), c);
                break;
            }
            case "track_file":
                // The package's own maintenance flag, in a config it rendered.
                if ((c.children ?? []).every((t) => t.keyword === MAINTENANCE_TRACK_FILE)) break;
                d(c, "`track_file` is not expressed by KeepalivedCluster");
                break;
            case "notify_master":
            case "notify_backup":
            case "notify_fault":
            case "notify_stop":
            case "notify": {
                const key = k === "notify" ? "notify" : k.slice("notify_".length);
                read.scriptLines.push(c);
                set("notify", { ...(f.notify ?? {}), [key]: c.args.join(" ") }, c);
                break;
            }
            default:
                d(c, `\`${k}\` in vrrp_instance is not expressed by KeepalivedCluster`);
        }
    }
    if (!inst.name) {
        d(st, "a vrrp_instance without a name: left out");
        inst.ok = false;
    } else if (f.virtualRouterId === undefined) {
        d(st, `vrrp_instance ${inst.name} has no virtual_router_id: left out`);
        inst.ok = false;
    } else if (!inst.iface) {
        d(st, `vrrp_instance ${inst.name} has no interface: left out`);
        inst.ok = false;
    }
    return inst;
}

const VIP_OPTIONS = ["brd", "dev", "scope", "label"] as const;

function readVip(v: ConfStatement, d: (st: ConfStatement, why: string) => void): Vip | string | undefined {
    const vip: Vip = { address: v.keyword };
    for (let i = 0; i < v.args.length; i += 2) {
        const key = v.args[i] as (typeof VIP_OPTIONS)[number];
        const value = v.args[i + 1];
        if (!VIP_OPTIONS.includes(key) || value === undefined) {
            d(v, `\`${v.args.slice(i).join(" ")}\` on a VIP is not expressed (only brd, dev, scope, label): the VIP is left out`);
            return undefined;
        }
        (vip as unknown as Record<string, string>)[key] = value;
    }
    return Object.keys(vip).length === 1 ? vip.address : vip;
}

const vipAddress = (vip: Vip | string): string => {
    const text = typeof vip === "string" ? vip : String(vip.address);
    return parseAddress(text)?.address ?? text;
};

function readVirtualServer(st: ConfStatement, read: NodeRead, d: (st: ConfStatement, why: string) => void): void {
    const [address, portText] = st.args;
    if (!parseAddress(address) || portText === undefined || !NUMBER.test(portText) || st.args.length !== 2) {
        return d(st, "only `virtual_server ADDRESS PORT` is expressed (not fwmark or group): left out");
    }
    const vs: Record<string, unknown> = { address, port: Number(portText) };
    const realServers: Unwrap<RealServerArgs>[] = [];
    let algo = false;
    let kind = false;
    for (const c of st.children ?? []) {
        const k = c.keyword;
        if (k === "delay_loop" || k === "persistence_timeout") {
            const value = num(c, c.args[0], d);
            if (value !== undefined) vs[k === "delay_loop" ? "delayLoop" : "persistenceTimeout"] = value;
        } else if (k === "lb_algo" || k === "lvs_sched") {
            algo = true;
            // rr is KeepalivedCluster's default: written or not, it renders `lvs_sched rr`.
            if (c.args[0] !== "rr") vs.lbAlgo = c.args[0];
        } else if (k === "lb_kind" || k === "lvs_method") {
            kind = true;
            if (c.args[0] !== "NAT") vs.lbKind = c.args[0];
        } else if (k === "protocol") {
            if (c.args[0] !== "TCP") vs.protocol = c.args[0];
        } else if (k === "sorry_server" && c.args.length === 2 && NUMBER.test(c.args[1])) {
            vs.sorryServer = { address: c.args[0], port: Number(c.args[1]) };
        } else if (k === "real_server") {
            const rs = readRealServer(c, d, read.scriptLines);
            if (rs) realServers.push(rs);
        } else {
            d(c, `\`${k}\` in virtual_server is not expressed by KeepalivedCluster`);
        }
    }
    if (!algo) d(st, "no lb_algo: KeepalivedCluster renders its default, `lvs_sched rr`");
    if (!kind) d(st, "no lb_kind: KeepalivedCluster renders its default, `lvs_method NAT`");
    vs.realServers = realServers;
    read.virtualServers.set(`${address} ${portText}`, { value: vs as unknown as VirtualServerSpec, st });
}

function readRealServer(st: ConfStatement, d: (st: ConfStatement, why: string) => void, scriptLines: ConfStatement[]): Unwrap<RealServerArgs> | undefined {
    const [address, portText] = st.args;
    if (!parseAddress(address) || portText === undefined || !NUMBER.test(portText)) {
        d(st, "only `real_server ADDRESS PORT` is expressed: left out");
        return undefined;
    }
    const rs: Unwrap<RealServerArgs> = { address, port: Number(portText) };
    for (const c of st.children ?? []) {
        if (c.keyword === "weight") {
            const value = num(c, c.args[0], d);
            // weight 1 is keepalived's default and KeepalivedCluster's.
            if (value !== undefined && value !== 1) rs.weight = value;
        } else if (["HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "MISC_CHECK"].includes(c.keyword)) {
            if (rs.check) d(c, "a second health check on one real server is not expressed (one is): left out");
            else rs.check = readCheck(c, d, scriptLines);
        } else {
            d(c, `\`${c.keyword}\` in real_server is not expressed by KeepalivedCluster`);
        }
    }
    return rs;
}

const CONNECT_NUMBERS: Record<string, string> = {
    connect_port: "connectPort",
    connect_timeout: "connectTimeout",
    retry: "retry",
    nb_get_retry: "retry",
    delay_before_retry: "delayBeforeRetry",
};

function readCheck(st: ConfStatement, d: (st: ConfStatement, why: string) => void, scriptLines: ConfStatement[]): HealthCheckSpec {
    const check: Record<string, unknown> = { type: st.keyword };
    const urls: Record<string, unknown>[] = [];
    const misc = st.keyword === "MISC_CHECK";
    for (const c of st.children ?? []) {
        const k = c.keyword;
        if (!misc && CONNECT_NUMBERS[k]) {
            const value = num(c, c.args[0], d);
            if (value !== undefined) check[CONNECT_NUMBERS[k]] = value;
        } else if (!misc && (k === "connect_ip" || k === "bindto")) {
            check[k === "connect_ip" ? "connectIp" : "bindTo"] = c.args[0];
        } else if ((st.keyword === "HTTP_GET" || st.keyword === "SSL_GET") && k === "url") {
            const url: Record<string, unknown> = {};
            for (const u of c.children ?? []) {
                if (u.keyword === "path" || u.keyword === "digest") url[u.keyword] = u.args[0];
                else if (u.keyword === "status_code" && NUMBER.test(u.args[0] ?? "")) url.statusCode = Number(u.args[0]);
                else d(u, `\`${u.keyword}\` in url is not expressed by KeepalivedCluster`);
            }
            urls.push(url);
        } else if (st.keyword === "SMTP_CHECK" && k === "helo_name") {
            check.heloName = c.args[0];
        } else if (misc && k === "misc_path") {
            check.path = c.args.join(" ");
            scriptLines.push(c);
        } else if (misc && (k === "misc_timeout" || k === "retry" || k === "delay_before_retry")) {
            const value = num(c, c.args[0], d);
            if (value !== undefined) check[k === "misc_timeout" ? "timeout" : CONNECT_NUMBERS[k]] = value;
        } else if (misc && k === "misc_dynamic") {
            check.dynamic = true;
        } else if (misc && k === "user") {
            check.user = c.args[0];
        } else {
            d(c, `\`${k}\` in ${st.keyword} is not expressed by KeepalivedCluster`);
        }
    }
    if (st.keyword === "HTTP_GET" || st.keyword === "SSL_GET") check.urls = urls;
    return check as unknown as HealthCheckSpec;
}

// ---------------------------------------------------------------------------------------------

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function mergeGlobalDefs(reads: NodeRead[], names: string[], drop: Drop): { defs: GlobalDefs; routerIds?: (string | undefined)[] } {
    const defs: Record<string, unknown> = {};
    const keys = [...new Set(reads.flatMap((r) => [...r.globals.keys()]))];
    let routerIds: (string | undefined)[] | undefined;
    for (const key of keys) {
        const values = reads.map((r) => r.globals.get(key));
        if (values.every((v) => v !== undefined && same(v.value, values[0]!.value))) {
            defs[key] = values[0]!.value;
        } else if (key === "routerId") {
            // A router_id of each node's own: the node's `routerId`.
            routerIds = values.map((v) => v?.value as string | undefined);
        } else {
            reads.forEach((r, k) => {
                const v = values[k];
                if (v) drop(names[k], v.st, "differs between the nodes (or is missing on some): KeepalivedCluster has one `global_defs` for every node: left out");
            });
        }
    }
    return { defs: defs as GlobalDefs, routerIds };
}


function mergeScripts(reads: NodeRead[], names: string[], drop: Drop): Record<string, Unwrap<VrrpScriptArgs>> {
    const out: Record<string, Unwrap<VrrpScriptArgs>> = {};
    const scriptNames = [...new Set(reads.flatMap((r) => [...r.scripts.keys()]))].sort();
    for (const name of scriptNames) {
        const defined = reads.map((r, k) => ({ k, s: r.scripts.get(name) })).filter((x) => x.s !== undefined);
        if (defined.every((x) => same(x.s!.value, defined[0].s!.value))) out[name] = defined[0].s!.value;
        else for (const x of defined) drop(names[x.k], x.s!.st, `vrrp_script ${name} differs between the nodes: KeepalivedCluster ships one to every node: left out`);
    }
    return out;
}

function instanceNames(reads: NodeRead[]): string[] {
    const names: string[] = [];
    for (const r of reads) for (const i of r.instances) if (i.name && !names.includes(i.name)) names.push(i.name);
    return names;
}

/** The node's address on its VRRP interface: its unicast_src_ip, else its interface's own address, else where it was reached. */
function nodeAddress(n: NodeConf, read: NodeRead, iface: string | undefined, vips: Set<string>): { address: string; cidr?: string } {
    const cidrs = (iface ? n.interfaceCidrs?.[iface] ?? [] : []).map((c) => parseCidr(c)).filter((c) => c !== undefined && !vips.has(c.address));
    const src = read.instances.map((i) => i.unicastSrc?.value).find((s) => s !== undefined && parseAddress(s));
    const reached = parseAddress(n.reachedAt)?.address;
    const address = src ? parseAddress(src)!.address : (cidrs.find((c) => c!.address === reached) ?? cidrs[0])?.address ?? n.reachedAt;
    const cidr = cidrs.find((c) => c!.address === address)?.cidr;
    return cidr ? { address, cidr } : { address };
}

function mergeInstance(
    name: string,
    nodes: readonly NodeConf[],
    reads: NodeRead[],
    nodeIfaces: (string | undefined)[],
    addresses: { address: string }[],
    drop: Drop,
    secrets: SecretSource[],
): ImportedInstance | undefined {
    const per = reads.map((r) => r.instances.filter((i) => i.name === name));
    const present = per.map((list, k) => ({ k, list })).filter((x) => x.list.length > 0);
    const leaveOut = (why: string) => {
        for (const x of present) drop(nodes[x.k].name, x.list[0].st, `${why}: instance ${name} is left out`);
        return undefined;
    };
    if (present.some((x) => x.list.length > 1)) return leaveOut(`vrrp_instance ${name} appears twice on a node`);
    if (present.some((x) => !x.list[0].ok)) return undefined;
    if (present.length < nodes.length) {
        const missing = nodes.filter((_, k) => per[k].length === 0).map((n) => n.name);
        return leaveOut(`not on ${missing.join(", ")}; KeepalivedCluster runs every instance on every node`);
    }
    const insts = per.map((list) => list[0]);

    // Fields every node must share: a difference is reported on each node's line, not resolved.
    const keys = [...new Set(insts.flatMap((i) => Object.keys(i.fields)))] as (keyof SharedFields)[];
    const differing = keys.filter((key) => !insts.every((i) => same(i.fields[key], insts[0].fields[key])));
    if (differing.length > 0) {
        differing.forEach((key) => insts.forEach((i, k) => drop(nodes[k].name, i.lines[key] ?? i.st, `${FIELD_WORDS[key]} differs between the nodes (KeepalivedCluster gives an instance one on every node): instance ${name} is left out`)));
        return undefined;
    }
    const passwords = insts.map((i) => i.password?.value);
    if (!passwords.every((p) => p === passwords[0])) {
        insts.forEach((i, k) => i.password && drop(nodes[k].name, i.password.st, `the password differs between the nodes: instance ${name} is left out`));
        return undefined;
    }
    const ifaces = insts.map((i) => i.iface!);
    const ownIface = ifaces.every((iface, k) => iface === nodeIfaces[k]);
    if (!ownIface && !ifaces.every((iface) => iface === ifaces[0])) {
        insts.forEach((i, k) => drop(nodes[k].name, i.st, `runs on ${i.iface}, which is neither this node's first VRRP interface nor the same on every node: instance ${name} is left out`));
        return undefined;
    }

    const f = insts[0].fields;
    const out: ImportedInstance = { name, virtualRouterId: f.virtualRouterId!, vips: f.vips };
    if (!ownIface) out.interface = ifaces[0];
    // keepalived's default priority is 100.
    out.priorities = Object.fromEntries(nodes.map((n, k) => [n.name, insts[k].priority?.value ?? 100]));
    if (f.advertInt !== undefined) out.advertInt = f.advertInt;
    if (f.preempt !== undefined) out.preempt = f.preempt;
    if (f.preemptDelay !== undefined) out.preemptDelay = f.preemptDelay;
    if (f.unicast) {
        out.unicast = true;
        insts.forEach((i, k) => {
            if (i.unicastSrc && parseAddress(i.unicastSrc.value)?.address !== addresses[k].address) {
                drop(nodes[k].name, i.unicastSrc.st, `KeepalivedCluster uses the node's address ${addresses[k].address} as unicast_src_ip for every instance`);
            }
            const others = addresses.filter((_, j) => j !== k).map((a) => a.address);
            const peers = i.peers.map((p) => ({ ...p, address: parseAddress(p.value)?.address ?? p.value }));
            for (const p of peers) {
                if (!others.includes(p.address) || p.st.args.length > 0) drop(nodes[k].name, p.st, "KeepalivedCluster's unicast peers are the other imported nodes' addresses only: left out");
            }
            const missing = others.filter((o) => !peers.some((p) => p.address === o));
            if (missing.length > 0) drop(nodes[k].name, i.peerBlock ?? i.st, `KeepalivedCluster adds the other nodes' addresses ${missing.join(", ")} as unicast peers`);
        });
    }
    if (f.mcastGroup !== undefined) out.mcastGroup = f.mcastGroup;
    if (f.authType !== undefined || passwords[0] !== undefined) {
        if (f.authType === undefined || passwords[0] === undefined) {
            insts.forEach((i, k) => drop(nodes[k].name, i.lines.authType ?? i.password?.st ?? i.st, "authentication needs both auth_type and auth_pass: left out"));
        } else {
            out.auth = { type: f.authType, password: { configSecret: passwordConfigKey(name) } };
            secrets.push({ configSecret: passwordConfigKey(name), node: nodes[0].name, line: insts[0].password!.st.line });
            if (passwords[0].length > 8) {
                insts.forEach((i, k) => drop(nodes[k].name, i.password!.st, "longer than 8 characters: keepalived uses the first 8, and so must the secret"));
            }
        }
    }
    if (f.trackInterfaces?.length) out.trackInterfaces = f.trackInterfaces;
    if (f.trackScripts?.length) out.trackScripts = f.trackScripts;
    if (f.notify) out.notify = f.notify;
    return out;
}

const FIELD_WORDS: Record<keyof SharedFields, string> = {
    virtualRouterId: "virtual_router_id",
    advertInt: "advert_int",
    preempt: "nopreempt",
    preemptDelay: "preempt_delay",
    unicast: "unicast (unicast_src_ip/unicast_peer)",
    mcastGroup: "mcast_dst_ip",
    authType: "auth_type",
    vips: "virtual_ipaddress",
    trackInterfaces: "track_interface",
    trackScripts: "track_script",
    notify: "the notify commands",
};

function mergeVirtualServers(reads: NodeRead[], names: string[], drop: Drop): VirtualServerSpec[] {
    const keys: string[] = [];
    for (const r of reads) for (const key of r.virtualServers.keys()) if (!keys.includes(key)) keys.push(key);
    const out: VirtualServerSpec[] = [];
    for (const key of keys) {
        const values = reads.map((r) => r.virtualServers.get(key));
        if (values.every((v) => v !== undefined && same(v.value, values[0]!.value))) {
            out.push(values[0]!.value);
        } else {
            values.forEach((v, k) => v && drop(names[k], v.st, "this virtual_server differs between the nodes (or is missing on some): KeepalivedCluster has the same on every node: left out"));
        }
    }
    return out;
}

/** Whether a VIP on the instance's own interface lies outside some node's interface subnet (how seed 001 runs). */
function vipsOutsideSubnets(instance: ImportedInstance, nodes: ImportedCluster["nodes"]): boolean {
    return nodes.some((node) => {
        const cidr = parseCidr(node.interfaceCidr);
        const iface = instance.interface ?? node.interface;
        return cidr !== undefined && instance.vips.some((raw) => {
            const vip = typeof raw === "string" ? { address: raw } : raw;
            const address = parseAddress(vip.address);
            return (vip.dev === undefined || vip.dev === iface) && address?.family === cidr.family && !subnetContains(cidr.subnet, address.ip);
        });
    });
}

/**
 * The cluster starts each node in a state derived from the priorities (the planner's rule); where the
 * file says otherwise, it is reported. Priorities are kept, so who holds the VIPs does not change.
 */
function reportStates(cluster: ImportedCluster, reads: NodeRead[], nodes: readonly NodeConf[], drop: Drop): void {
    const strict = cluster.globalDefs?.vrrpStrict === true;
    for (const instance of cluster.instances) {
        const priorities = instance.priorities!;
        const top = Object.keys(priorities).sort((a, b) => priorities[b] - priorities[a])[0];
        const why = instance.preempt === false ? "nopreempt works only when no node starts as MASTER" : instance.preemptDelay !== undefined ? "preempt_delay works only when no node starts as MASTER" : strict ? "vrrp_strict allows MASTER only at priority 255" : undefined;
        nodes.forEach((n, k) => {
            const inst = reads[k].instances.find((i) => i.name === instance.name)!;
            const written = inst.state?.value ?? "BACKUP";
            const derived = why === undefined && n.name === top ? "MASTER" : "BACKUP";
            if (written !== derived) {
                const reason = why ?? "the node with the highest priority starts as MASTER";
                drop(n.name, inst.state?.st ?? inst.st, `KeepalivedCluster starts this node as ${derived} (${reason}); the priorities are kept, so ${top} (priority ${priorities[top]}) still holds the VIPs`);
            }
        });
    }
}

/** The interfaces a node's vrrp_instances run on, in order: whose addresses the import reads. */
export function vrrpInterfaces(conf: ParsedConf): string[] {
    const out: string[] = [];
    for (const st of conf.statements) {
        if (st.keyword !== "vrrp_instance") continue;
        const iface = (st.children ?? []).find((c) => c.keyword === "interface")?.args[0];
        if (iface && !out.includes(iface)) out.push(iface);
    }
    return out;
}
