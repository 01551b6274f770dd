/**
 * One node's keepalived.conf (parsed by keepalivedConf.ts) read into what KeepalivedCluster can express:
 * global_defs, vrrp_scripts and vrrp_instances (virtual_servers are read by keepalivedVirtualServerRead.ts).
 * Every statement it cannot carry over is dropped with the reason; merging the nodes is keepalivedCluster.ts's. Pure.
 */
import { shellQuote } from "../contract/shell";
import { parseAddress } from "../model/address";
import type { GlobalDefsArgs, VrrpScriptArgs } from "../plan/keepalived/args";
import { MAINTENANCE_FLAG_PATH, MAINTENANCE_TRACK_FILE, VirtualServerSpec, VrrpInstanceSpec } from "../plan/keepalived/model";
import type { Unwrap } from "@pulumi/pulumi/output";
import type { ConfStatement, ParsedConf } from "./keepalivedConf";
import { NUMBER, num, type Sourced } from "./keepalivedConfValue";
import { readVirtualServer } from "./keepalivedVirtualServerRead";

export type Drop = (node: string, st: { line: number; text: string }, why: string) => void;

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
export interface SharedFields {
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

export interface NodeRead {
    globals: Map<string, Sourced<unknown>>;
    scripts: Map<string, Sourced<Unwrap<VrrpScriptArgs>>>;
    instances: NodeInstance[];
    virtualServers: Map<string, Sourced<VirtualServerSpec>>;
    /** Statements that configure a script (for the enable_script_security report). */
    scriptLines: ConfStatement[];
}

export function readNode(n: { name: string; conf: ParsedConf }, drop: Drop): NodeRead {
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
export type GlobalDefs = Unwrap<GlobalDefsArgs>;

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

export const vipAddress = (vip: Vip | string): string => {
    const text = typeof vip === "string" ? vip : String(vip.address);
    return parseAddress(text)?.address ?? text;
};

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
