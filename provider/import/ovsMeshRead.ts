/**
 * One host's Open vSwitch and link state as an importer reads it: the OVSDB Bridge, Port and Interface
 * tables (`OVSDB_READ_COMMAND`, JSON) and the kernel's links (`ip -j addr`, `ip -j link`). Pure: the
 * caller runs the commands and passes their output; merging hosts is ovsMeshImport.ts's job.
 */
import { OnpremError } from "../contract/errors";
import { parseCidr } from "../model/address";

/**
 * Lists the three tables, read-only, as JSON: one object per table, in this order. `_uuid` ties bridges
 * to ports and ports to interfaces.
 */
export const OVSDB_READ_COMMAND = [
    "ovs-vsctl --timeout=10 --format=json",
    "-- --columns=_uuid,name,ports,datapath_type,stp_enable,rstp_enable,fail_mode,other_config,external_ids list Bridge",
    "-- --columns=_uuid,name,interfaces,tag,trunks,vlan_mode,external_ids list Port",
    "-- --columns=_uuid,name,type,options,mtu_request,external_ids list Interface",
].join(" ");

/** The kernel's links with their addresses, MTUs and bridge masters (read-only). */
export const IP_ADDR_READ_COMMAND = "ip -j addr show";
/** The kernel's links without addresses: enough when `ip -j addr` is not at hand (read-only). */
export const IP_LINK_READ_COMMAND = "ip -j link show";

/** An OVSDB Interface row. */
interface ReadInterface {
    name: string;
    /** "" is a system interface; "internal", "gre", "vxlan", "patch", ... as OVS spells them. */
    type: string;
    options: Record<string, string>;
    mtuRequest?: number;
}

/** An OVSDB Port row with its interfaces. */
interface ReadPort {
    name: string;
    tag?: number;
    trunks: number[];
    vlanMode?: string;
    interfaces: ReadInterface[];
    externalIds: Record<string, string>;
}

/** An OVSDB Bridge row with its ports (the local port, named as the bridge, included), sorted by name. */
export interface ReadBridge {
    name: string;
    /** "" (the default, "system") or "netdev". */
    datapathType: string;
    stpEnable: boolean;
    rstpEnable: boolean;
    failMode?: string;
    otherConfig: Record<string, string>;
    externalIds: Record<string, string>;
    ports: ReadPort[];
}

/** A kernel link, by `ip -j`. */
export interface ReadLink {
    mtu?: number;
    /** The Linux bridge (or other master) it is enslaved to. */
    master?: string;
    /** Global-scope addresses, canonical CIDR ("172.17.42.1/16"). */
    addresses: string[];
}

type Row = Record<string, unknown>;

/** The bridges of one host from `OVSDB_READ_COMMAND`'s output; throws `InvalidArgument` on output it does not know. */
export function readOvsdb(host: string, text: string): ReadBridge[] {
    const tables = jsonValues(host, text).map((t) => rows(host, t));
    if (tables.length !== 3) throw bad(host, `ovs-vsctl printed ${tables.length} tables, not the 3 of Bridge, Port, Interface`);
    const [bridgeRows, portRows, interfaceRows] = tables;
    const interfaces = new Map<string, ReadInterface>();
    for (const r of interfaceRows) {
        const mtuRequest = optionalInt(r.mtu_request);
        interfaces.set(uuid(host, r._uuid), { name: str(host, r.name), type: str(host, r.type), options: map(host, r.options), ...(mtuRequest !== undefined ? { mtuRequest } : {}) });
    }
    const ports = new Map<string, ReadPort>();
    for (const r of portRows) {
        const tag = optionalInt(r.tag);
        const vlanMode = set(r.vlan_mode).map((v) => str(host, v))[0];
        ports.set(uuid(host, r._uuid), {
            name: str(host, r.name),
            ...(tag !== undefined ? { tag } : {}),
            trunks: set(r.trunks).map(Number),
            ...(vlanMode !== undefined ? { vlanMode } : {}),
            interfaces: set(r.interfaces).flatMap((u) => interfaces.get(uuid(host, u)) ?? []),
            externalIds: map(host, r.external_ids),
        });
    }
    return bridgeRows
        .map((r) => {
            const failMode = set(r.fail_mode).map((v) => str(host, v))[0];
            return {
                name: str(host, r.name),
                datapathType: str(host, r.datapath_type),
                stpEnable: r.stp_enable === true,
                rstpEnable: r.rstp_enable === true,
                ...(failMode !== undefined ? { failMode } : {}),
                otherConfig: map(host, r.other_config),
                externalIds: map(host, r.external_ids),
                ports: set(r.ports)
                    .flatMap((u) => ports.get(uuid(host, u)) ?? [])
                    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
            };
        })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Links by name from `ip -j addr` and/or `ip -j link` (the address list comes from the first). */
export function readLinks(host: string, ipAddr?: string, ipLink?: string): Map<string, ReadLink> {
    const links = new Map<string, ReadLink>();
    for (const text of [ipLink, ipAddr]) {
        if (text === undefined) continue;
        const list = jsonValues(host, text)[0];
        if (!Array.isArray(list)) throw bad(host, "`ip -j` printed no list of links");
        for (const l of list as Row[]) {
            if (typeof l?.ifname !== "string") continue;
            const was = links.get(l.ifname);
            const addresses = Array.isArray(l.addr_info)
                ? (l.addr_info as Row[]).flatMap((a) => (a.scope === "global" ? (parseCidr(`${String(a.local)}/${String(a.prefixlen)}`)?.cidr ?? []) : []))
                : (was?.addresses ?? []);
            links.set(l.ifname, {
                ...(typeof l.mtu === "number" ? { mtu: l.mtu } : {}),
                ...(typeof l.master === "string" ? { master: l.master } : {}),
                addresses,
            });
        }
    }
    return links;
}

/** The JSON values one after the other in `text` (ovs-vsctl prints one object per command). */
function jsonValues(host: string, text: string): unknown[] {
    const out: unknown[] = [];
    let depth = 0;
    let start = 0;
    let inString = false;
    let escaped = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (escaped) escaped = false;
            else if (c === "\\") escaped = true;
            else if (c === '"') inString = false;
        } else if (c === '"') {
            inString = true;
        } else if (c === "{" || c === "[") {
            if (depth++ === 0) start = i;
        } else if (c === "}" || c === "]") {
            if (--depth === 0) {
                try {
                    out.push(JSON.parse(text.slice(start, i + 1)));
                } catch (cause) {
                    throw new OnpremError("InvalidArgument", "the command's output is not JSON", { host, cause });
                }
            }
        } else if (depth === 0 && !/\s/.test(c)) {
            throw bad(host, `unexpected ${JSON.stringify(c)} between JSON values`);
        }
    }
    if (depth !== 0 || inString) throw bad(host, "the command's JSON output is cut short");
    return out;
}

/** A table as rows keyed by heading, from `{"data": [[...]], "headings": [...]}`. */
function rows(host: string, table: unknown): Row[] {
    const t = table as { headings?: unknown; data?: unknown };
    if (!Array.isArray(t?.headings) || !Array.isArray(t.data)) throw bad(host, "an ovs-vsctl table without headings and data");
    const headings = t.headings as string[];
    return (t.data as unknown[][]).map((cells) => Object.fromEntries(headings.map((h, i) => [h, cells[i]])));
}

/** The members of an OVSDB set: `["set", [...]]`, or a lone atom for a set of one. */
function set(v: unknown): unknown[] {
    if (Array.isArray(v) && v[0] === "set") return v[1] as unknown[];
    return v === undefined ? [] : [v];
}

function map(host: string, v: unknown): Record<string, string> {
    if (v === undefined) return {};
    if (!Array.isArray(v) || v[0] !== "map") throw bad(host, `${JSON.stringify(v)} is not an OVSDB map`);
    return Object.fromEntries((v[1] as unknown[][]).map(([k, x]) => [String(k), String(x)]));
}

function uuid(host: string, v: unknown): string {
    if (Array.isArray(v) && v[0] === "uuid" && typeof v[1] === "string") return v[1];
    throw bad(host, `${JSON.stringify(v)} is not an OVSDB uuid`);
}

function str(host: string, v: unknown): string {
    if (typeof v === "string") return v;
    throw bad(host, `${JSON.stringify(v)} is not an OVSDB string`);
}

/** An optional integer column (an empty set when unset). */
function optionalInt(v: unknown): number | undefined {
    const [x] = set(v);
    return typeof x === "number" ? x : undefined;
}

function bad(host: string, message: string): OnpremError {
    return new OnpremError("InvalidArgument", message, { host });
}
