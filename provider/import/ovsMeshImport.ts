/**
 * From what each host runs (OVSDB, links, Docker options; read by ovsMeshRead.ts and ovsMeshDocker.ts)
 * to the inputs of one `OvsMesh` that plans the same records, plus a report: what the args cannot say or
 * the hosts disagree on (left out, never guessed), and what the first `up` changes to adopt the rest.
 * Pure. The program adds each host's connection and the mesh's name.
 */
import type { Unwrap } from "@pulumi/pulumi/output";
import type { OvsMeshInput, TunnelType, VlanSpec } from "../plan/ovs/args";
import { DEFAULT_BRIDGE, DEFAULT_DOCKER_BRIDGE, DEFAULT_UNDERLAY_MTU } from "../plan/ovs/model";
import { topologyLinks, tunnelPortName } from "../plan/ovs/topology";
import { parseOvsMesh } from "../plan/ovs/validate";
import { parseCidr, parseIp } from "../model/address";
import { readDocker } from "./ovsMeshDocker";
import { readLayout } from "./ovsMeshLayout";
import { agree, type ImportNote, type Say } from "./ovsMeshNotes";
import { type ReadBridge, readLinks, readOvsdb } from "./ovsMeshRead";

export type { ImportNote } from "./ovsMeshNotes";

/** What the importer needs from one host. */
export interface OvsHostOutputs {
    /** The host's name in the program. */
    name: string;
    /** The address it was reached at: its underlay address when no tunnel says otherwise. */
    reachedAt: string;
    /** The output of `OVSDB_READ_COMMAND`. */
    ovsdb: string;
    /** `ip -j addr show` and/or `ip -j link show` output. */
    ipAddr?: string;
    ipLink?: string;
    /** /etc/docker/daemon.json and /etc/default/docker, when present. */
    daemonJson?: string;
    dockerDefault?: string;
}

/** The args as imported: `OvsMeshArgs` resolved, without the mesh's name and the hosts' connections. */
type ImportedOvsMesh = Omit<OvsMeshInput, "name">;

/** An import's result: the args and the report. */
export interface OvsMeshImport {
    mesh: ImportedOvsMesh;
    /** What is left out and what the first `up` changes, in the order found. */
    notes: ImportNote[];
}

const TUNNEL_TYPES: readonly string[] = ["gre", "vxlan", "geneve"] satisfies TunnelType[];
/** Interface options the mesh sets on a tunnel. */
const TUNNEL_OPTIONS = ["remote_ip", "key", "dst_port"];

interface Tunnel {
    host: string;
    port: string;
    type: TunnelType;
    peer: string;
    options: Record<string, string>;
}

/** Imports the mesh that `hosts` run; their order breaks ties only (the args list them in slot order). */
export function importOvsMesh(hosts: readonly OvsHostOutputs[]): OvsMeshImport {
    const notes: ImportNote[] = [];
    const said = new Set<string>();
    // Once each: a rule broken by several ports of a host is one note.
    const say: Say = (n) => {
        const key = JSON.stringify([n.host, n.kind, n.subject, n.why]);
        if (!said.has(key)) notes.push(n);
        said.add(key);
    };
    const leftOut = (host: string | undefined, subject: string, why: string) => say({ ...(host ? { host } : {}), kind: "unexpressed", subject, why });
    const reads = hosts.map((h) => ({ h, bridges: readOvsdb(h.name, h.ovsdb), links: readLinks(h.name, h.ipAddr, h.ipLink) }));
    const linksOf = new Map(reads.map((r) => [r.h.name, r.links]));

    // The mesh bridge: the first one found with tunnel ports; any other bridge is not the mesh's.
    const isTunnel = (b: ReadBridge) => b.ports.some((p) => p.interfaces.some((i) => TUNNEL_TYPES.includes(i.type)));
    const bridge = reads.flatMap((r) => r.bridges.filter(isTunnel))[0]?.name ?? reads.flatMap((r) => r.bridges)[0]?.name ?? DEFAULT_BRIDGE;
    const mesh = new Map<string, ReadBridge>();
    for (const { h, bridges } of reads) {
        for (const b of bridges) {
            if (b.name === bridge) mesh.set(h.name, b);
            else leftOut(h.name, `bridge ${b.name}`, `a second bridge: OvsMesh manages one (${bridge}); it stays as it is, unmanaged`);
        }
        if (!mesh.has(h.name)) leftOut(h.name, `bridge ${bridge}`, "absent: the first up creates it");
    }

    // Underlay addresses: the one of its own that tunnels point at, else the address the host was reached at.
    const remotes = new Set([...mesh.values()].flatMap((b) => b.ports.flatMap((p) => p.interfaces.flatMap((i) => parseIp(i.options.remote_ip)?.address ?? []))));
    const underlay = new Map<string, string>();
    for (const { h, links } of reads) {
        const own = new Set([...links.values()].flatMap((l) => l.addresses.map((a) => parseCidr(a)?.address ?? "")));
        const reached = parseIp(h.reachedAt)?.address;
        const hits = [...remotes].filter((a) => own.has(a) || a === reached).sort();
        const address = hits.find((a) => a === reached) ?? hits[0] ?? reached;
        if (address === undefined) leftOut(h.name, `underlayAddress ${h.reachedAt}`, "not an IP address, and no tunnel points at this host");
        else underlay.set(h.name, address);
        if (hits.length > 1) leftOut(h.name, `underlay addresses ${hits.join(", ")}`, `tunnels point at several of this host's addresses: the mesh has one endpoint (${address}), tunnels to the others are left out`);
    }
    const byAddress = new Map([...underlay].map(([host, address]) => [address, host]));

    // Tunnels, and every other port of the mesh bridge.
    const tunnels: Tunnel[] = [];
    const vlanSeen = new Map<string, Map<number, string[]>>(); // port -> tag -> hosts
    for (const [host, b] of mesh) {
        for (const p of b.ports) {
            const i = p.interfaces[0];
            const what = `port ${p.name}`;
            if (p.interfaces.length !== 1) leftOut(host, what, `${p.interfaces.length} interfaces (a bond): the mesh's ports have one`);
            else if (p.trunks.length > 0 || (p.vlanMode !== undefined && p.vlanMode !== "access")) leftOut(host, what, "trunks or a vlan_mode: the mesh tags ports with one access VLAN");
            else if (p.name === b.name || i.type === "internal") {
                if (p.tag !== undefined) {
                    const tags = vlanSeen.get(p.name) ?? new Map<number, string[]>();
                    vlanSeen.set(p.name, tags.set(p.tag, [...(tags.get(p.tag) ?? []), host]));
                } else if (p.name !== b.name) leftOut(host, what, "an internal port without a VLAN tag: the mesh has no such port");
            } else if (!TUNNEL_TYPES.includes(i.type)) leftOut(host, `${what} (type ${JSON.stringify(i.type)})`, "the mesh bridge holds only its tunnels and VLAN ports");
            else if (p.tag !== undefined) leftOut(host, what, "a VLAN tag on a tunnel port: the mesh tags no tunnel");
            else {
                const remote = parseIp(i.options.remote_ip)?.address;
                const peer = remote !== undefined ? byAddress.get(remote) : undefined;
                if (peer === undefined) leftOut(host, `${what} (${i.type} to ${i.options.remote_ip ?? "no remote_ip"})`, "a tunnel to an address that is no host of the set");
                else if (peer === host) leftOut(host, what, "a tunnel to the host itself");
                else if (tunnels.some((t) => t.host === host && t.peer === peer)) leftOut(host, what, `a second tunnel to ${peer}: the mesh has one per pair`);
                else tunnels.push({ host, port: p.name, type: i.type as TunnelType, peer, options: i.options });
            }
        }
    }

    // One tunnel type: the most used; ports of another type are left out.
    const counts = TUNNEL_TYPES.map((t) => tunnels.filter((x) => x.type === t).length);
    const type = TUNNEL_TYPES[counts.indexOf(Math.max(...counts))] as TunnelType;
    const kept = tunnels.filter((t) => {
        if (t.type !== type) leftOut(t.host, `port ${t.port} (${t.type})`, `the mesh's tunnels are ${type}, as most of the others are`);
        for (const k of Object.keys(t.options).filter((k) => !TUNNEL_OPTIONS.includes(k))) leftOut(t.host, `port ${t.port} options:${k}`, "a tunnel option OvsMesh does not set");
        return t.type === type;
    });
    if (kept.length === 0) leftOut(undefined, "tunnel.type", `no tunnel between hosts of the set: "${type}" is a placeholder`);
    const key = agree(kept.map((t) => ({ host: t.host, value: t.options.key })), "tunnel key", say);
    const dstPort = agree(kept.map((t) => ({ host: t.host, value: t.options.dst_port })), "tunnel dst_port", say);
    const tunnel = {
        type,
        ...(key === "flow" ? { key: "flow" as const } : key !== undefined && /^\d+$/.test(key) ? { key: Number(key) } : {}),
        ...(dstPort !== undefined && /^\d+$/.test(dstPort) ? { dstPort: Number(dstPort) } : {}),
    };
    if (key !== undefined && key !== "flow" && !/^\d+$/.test(key)) leftOut(undefined, `tunnel key ${key}`, "not a number or \"flow\"");

    // Docker, then the layout from its bridge addresses and slices.
    const masters = reads.flatMap(({ h, links }) => (links.get(bridge)?.master !== undefined ? [{ host: h.name, value: links.get(bridge)?.master as string }] : []));
    const dockerBridge = agree(masters, `Linux bridge above ${bridge}`, say) ?? DEFAULT_DOCKER_BRIDGE;
    if (masters.length === 0) leftOut(undefined, "dockerBridge", `${bridge} is no Linux bridge's port on any host: "${DEFAULT_DOCKER_BRIDGE}" assumed by default`);
    const docker = readDocker(hosts, dockerBridge, (name) => linksOf.get(name)?.get(dockerBridge)?.addresses ?? [], say);
    const layout = readLayout(
        hosts.map((h) => ({ name: h.name, bridgeCidr: docker.bridgeCidrs.get(h.name), fixedCidr: docker.fixedCidrs.get(h.name) })),
        say,
    );

    // Topology: the links both ways or one way (the planner adds the missing side), matched to a shape in slot order.
    const pairs = new Set<string>();
    for (const t of kept) {
        const pair = [t.host, t.peer].sort().join(" ");
        if (!kept.some((x) => x.host === t.peer && x.peer === t.host)) say({ host: t.peer, kind: "adoption", subject: `tunnel to ${t.host}`, why: `only ${t.host} has one (port ${t.port}): the mesh adds this side` });
        pairs.add(pair);
    }
    const ordered = layout.hosts.filter((h) => underlay.has(h.name)).map((h) => h.name);
    const same = (links: { a: string; b: string }[]) => links.length === pairs.size && links.every((l) => pairs.has([l.a, l.b].sort().join(" ")));
    const hub = ordered.find((c) => same(topologyLinks("star", ordered, c)));
    const topology = same(topologyLinks("full-mesh", ordered)) ? "full-mesh" : same(topologyLinks("ring", ordered)) ? "ring" : hub !== undefined ? "star" : undefined;
    if (topology === undefined) leftOut(undefined, `tunnels ${[...pairs].map((p) => p.replace(" ", "-")).join(", ")}`, "no full mesh, ring (in slot order) or star: the topology is left to its default, full-mesh");
    // Hand-named ports keep their names (a second port to the same remote is refused by the kernel); by peer, in name order.
    const portNames = new Map<string, Record<string, string>>();
    for (const t of [...kept].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))) {
        if (t.port !== tunnelPortName(type, t.peer)) portNames.set(t.host, { ...portNames.get(t.host), [t.peer]: t.port });
    }

    // The bridge: datapath, spanning tree, MTU.
    const each = <T>(f: (b: ReadBridge, host: string) => T) => [...mesh].map(([host, b]) => ({ host, value: f(b, host) }));
    const datapath = agree(each((b) => b.datapathType || "system"), "datapath_type", say);
    if (datapath === "netdev") leftOut(undefined, "datapath_type netdev", "the importer does not read the underlay bridge it needs");
    for (const [host, b] of mesh) {
        if (b.failMode !== undefined) leftOut(host, `${bridge} fail_mode ${b.failMode}`, "the mesh sets no fail_mode, and OpenFlow rules are not read");
        for (const k of Object.keys(b.otherConfig)) leftOut(host, `${bridge} other_config:${k}`, "a bridge setting OvsMesh does not set");
    }
    const stp = agree(each((b) => (b.rstpEnable ? (b.stpEnable ? "both" : "rstp") : b.stpEnable)), "spanning tree", say);
    if (stp === "both") leftOut(undefined, "stp", "STP and RSTP both on: the mesh runs one");
    // The MTU dockerd is told, else the bridge's mtu_request, else the Docker bridge's own.
    const localMtu = (b: ReadBridge) => b.ports.find((p) => p.name === bridge)?.interfaces[0]?.mtuRequest;
    const mtu = agree(
        [...mesh].flatMap(([host, b]) => {
            const value = docker.mtus.get(host) ?? localMtu(b) ?? linksOf.get(host)?.get(dockerBridge)?.mtu;
            return value === undefined ? [] : [{ host, value }];
        }),
        "MTU",
        say,
    );
    for (const [host, b] of mesh) {
        if (mtu !== undefined && localMtu(b) !== mtu) say({ host, kind: "adoption", subject: `${bridge} mtu_request`, why: `${localMtu(b) ?? "unset"}: the mesh sets ${mtu}` });
    }
    const underlayMtu = agree(
        [...underlay].flatMap(([host, address]) => {
            const l = [...(linksOf.get(host)?.values() ?? [])].find((x) => x.addresses.some((a) => parseCidr(a)?.address === address));
            return l?.mtu !== undefined ? [{ host, value: l.mtu }] : [];
        }),
        "underlay MTU",
        say,
    );

    // VLANs: a port tagged alike wherever it is; the same port tagged otherwise on another host is left out.
    const vlans: Unwrap<VlanSpec>[] = [];
    for (const [port, tags] of vlanSeen) {
        for (const [tag, on] of tags) {
            if (tags.size > 1) for (const host of on) leftOut(host, `port ${port} tag ${tag}`, "the same port has another tag on other hosts");
            else vlans.push({ port, tag, ...(on.length < mesh.size ? { hosts: on } : {}) });
        }
    }

    const args: ImportedOvsMesh = {
        hosts: layout.hosts.map(({ name, ...pins }) => ({
            name,
            underlayAddress: underlay.get(name) ?? hosts.find((x) => x.name === name)?.reachedAt ?? "",
            ...pins,
            ...(portNames.has(name) ? { tunnelPortNames: portNames.get(name) } : {}),
        })),
        bridge,
        tunnel,
        topology: topology ?? "full-mesh",
        ...(topology === "star" ? { hub } : {}),
        ...(stp !== undefined && stp !== "both" ? { stp } : {}),
        ...(underlayMtu !== undefined && underlayMtu !== DEFAULT_UNDERLAY_MTU ? { underlayMtu } : {}),
        ...(mtu !== undefined ? { mtu } : {}),
        containerNetwork: layout.containerNetwork ?? "",
        ...(layout.hostPrefixLength !== undefined ? { hostPrefixLength: layout.hostPrefixLength } : {}),
        ...(layout.bridgeAddressBlock !== undefined ? { bridgeAddressBlock: layout.bridgeAddressBlock } : {}),
        dockerBridge,
        ...(docker.spec !== undefined ? { docker: docker.spec } : {}),
        ...(vlans.length > 0 ? { vlans } : {}),
    };
    // A last check by the validator (stp off on a loop, an MTU above the tunnel's room, ...): a refused field
    // with a default is left out; what is still refused is said, so the program is not written blind.
    const parsed = parseOvsMesh({ name: "imported", ...args });
    if (!parsed.ok) {
        for (const i of parsed.issues) if (dropField(args, i.field)) leftOut(undefined, i.field, `the validator refuses it (${i.message}): left out, so its default applies`);
        const again = parseOvsMesh({ name: "imported", ...args });
        if (!again.ok) for (const i of again.issues) leftOut(undefined, i.field, `the validator refuses the imported args: ${i.message}`);
    }
    return { mesh: args, notes };
}

/** Leaf names the args cannot do without: a refused one stays, for the program's author to settle. */
const REQUIRED = new Set(["hosts", "name", "underlayAddress", "tunnel", "type", "containerNetwork", "port", "tag"]);

/** Deletes the field an issue names (`tunnel.key`, `hosts[1].bridgeAddress`) when it has a default; whether it did. */
function dropField(args: ImportedOvsMesh, field: string): boolean {
    const path = field.split(/[.[\]]+/).filter((k) => k !== "");
    const leaf = path.pop();
    let at: unknown = args;
    for (const k of path) at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[k] : undefined;
    if (leaf === undefined || REQUIRED.has(leaf) || typeof at !== "object" || at === null || Array.isArray(at) || !(leaf in at)) return false;
    delete (at as Record<string, unknown>)[leaf];
    return true;
}
