/**
 * Which hosts get a tunnel to which, what the tunnel ports are called, and whether the result has a
 * loop that needs spanning tree.
 *
 * - full-mesh: every pair. Any host survives the loss of any other, at the price of loops (STP blocks
 *   the redundant links) and n(n-1)/2 tunnels; seed 003 advises against it for many hosts.
 * - ring: hosts in slot order, each to the next and the last back to the first. Slot order keeps the
 *   ring stable: adding or removing a host changes only its neighbours' links.
 * - star: every host to the hub only; no loop, but the hub is a single point of failure.
 *
 * Port names are `<type>-<peer>` ("gre-host2"), so a port keeps its name whatever else changes; names
 * longer than 15 characters (the kernel's interface name limit, which OVS shares) or with unusual
 * characters become `<type>-<head><hash>`, the hash taken from the full peer name.
 */
import { createHash } from "node:crypto";
import { DEVICE_NAME_MAX, isValidDeviceName } from "../../model/interfaceName";
import type { HostMeshPlan, MeshTopology, Tunnel, TunnelPort, TunnelType } from "./model";

const PORT_PREFIX: Record<TunnelType, string> = { gre: "gre", vxlan: "vxlan", geneve: "gnv" };
const HASH_CHARS = 4;

/** The port on one host that leads to `peer`. */
export function tunnelPortName(type: TunnelType, peer: string): string {
    const prefix = PORT_PREFIX[type];
    const plain = `${prefix}-${peer}`;
    if (isValidDeviceName(plain)) return plain;
    const hash = createHash("sha256").update(peer).digest("hex").slice(0, HASH_CHARS);
    const room = DEVICE_NAME_MAX - prefix.length - 1 - HASH_CHARS;
    const head = peer.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, room);
    return `${prefix}-${head}${hash}`;
}

/** An undirected link between two hosts, by name. */
export interface Link {
    a: string;
    b: string;
}

/**
 * The links of a topology. `ordered` are the host names in slot order; `hub` is the star's centre.
 * Deterministic: the same inputs give the same links in the same order.
 */
export function topologyLinks(topology: MeshTopology, ordered: readonly string[], hub?: string): Link[] {
    const n = ordered.length;
    switch (topology) {
        case "full-mesh": {
            const links: Link[] = [];
            for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) links.push({ a: ordered[i], b: ordered[j] });
            return links;
        }
        case "ring": {
            if (n < 2) return [];
            if (n === 2) return [{ a: ordered[0], b: ordered[1] }];
            return ordered.map((name, i) => ({ a: name, b: ordered[(i + 1) % n] }));
        }
        case "star":
            if (hub === undefined || !ordered.includes(hub)) return [];
            return ordered.filter((h) => h !== hub).map((h) => ({ a: hub, b: h }));
        default:
            return assertNever(topology);
    }
}

/** Whether the topology over `hostCount` hosts has a loop (and so needs STP/RSTP or loop-free flows). */
export function hasLoop(topology: MeshTopology, hostCount: number): boolean {
    switch (topology) {
        case "full-mesh":
        case "ring":
            return hostCount >= 3;
        case "star":
            return false;
        default:
            return assertNever(topology);
    }
}

/** Interface options for a tunnel to `remoteIp`, as OVS spells them. */
function tunnelOptions(tunnel: Tunnel, remoteIp: string): Record<string, string> {
    const options: Record<string, string> = { remote_ip: remoteIp };
    const key = tunnel.key ?? tunnel.vni;
    if (key !== undefined) options.key = String(key);
    if (tunnel.dstPort !== undefined && tunnel.type !== "gre") options.dst_port = String(tunnel.dstPort);
    return options;
}

/** Each host's peers over `links`: one pass, so a full mesh costs its n(n-1)/2 links and no more. */
export function peersByHost(links: readonly Link[]): Map<string, string[]> {
    const peers = new Map<string, string[]>();
    const add = (host: string, peer: string) => {
        const list = peers.get(host);
        if (list) list.push(peer);
        else peers.set(host, [peer]);
    };
    for (const link of links) {
        add(link.a, link.b);
        add(link.b, link.a);
    }
    return peers;
}

/**
 * Each host's tunnel ports to its peers, sorted by port name. `addresses` maps host names to bare
 * underlay addresses; `names` holds, per host, the port names it gives some peers (ports made by hand).
 * A port to a given peer is otherwise the same on every host that has one (its name, type and options
 * depend on the peer alone), so there is one record per peer, shared by every host's list, and one sort
 * by name: a full mesh of n hosts then makes n ports, not n(n-1), and sorts them once. Only a host with
 * names of its own gets its own records for those peers, and its own sort.
 * The records are shared: treat them as read-only.
 */
export function tunnelPortsByHost(
    peers: ReadonlyMap<string, readonly string[]>,
    tunnel: Tunnel,
    addresses: ReadonlyMap<string, string>,
    names: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map(),
): Map<string, TunnelPort[]> {
    const toPeer = new Map<string, TunnelPort>();
    for (const [peer, remoteIp] of addresses) {
        if (peers.has(peer)) toPeer.set(peer, { name: tunnelPortName(tunnel.type, peer), type: tunnel.type, peer, remoteIp, options: tunnelOptions(tunnel, remoteIp) });
    }
    const byPortName = (x: TunnelPort, y: TunnelPort) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
    const byName = [...toPeer.values()].sort(byPortName);
    const rank = new Map(byName.map((port, i) => [port.peer, i]));
    const out = new Map<string, TunnelPort[]>();
    for (const [host, list] of peers) {
        const own = names.get(host);
        if (own !== undefined) {
            const ports = list.flatMap((peer) => {
                const port = toPeer.get(peer);
                if (port === undefined) return [];
                return Object.hasOwn(own, peer) ? [{ ...port, name: own[peer] }] : [port];
            });
            out.set(host, ports.sort(byPortName));
            continue;
        }
        // Each host's ports in name order: its peers' ranks sorted as numbers.
        const ranks = Int32Array.from(list.filter((peer) => rank.has(peer)), (peer) => rank.get(peer)!).sort();
        out.set(host, Array.from(ranks, (i) => byName[i]));
    }
    return out;
}

/**
 * Warnings for tunnels that run in parallel between the same two endpoints on the same bridge, for
 * example a GRE mesh and a VXLAN mesh over one `br0`: an L2 loop that STP in each mesh cannot see.
 * Give it the host plans of every mesh the program declares; with `mesh`, only the warnings that
 * involve that mesh.
 */
export function parallelTunnelWarnings(plans: Iterable<HostMeshPlan>, mesh?: string): string[] {
    // Key: bridge and the two endpoints, either way round. Value: mesh name -> its tunnel type.
    const meshes = new Map<string, Map<string, string>>();
    for (const plan of plans) {
        for (const port of plan.tunnelPorts) {
            const ends = [plan.underlayAddress, port.remoteIp].sort();
            const key = `${plan.bridge} ${ends[0]} ${ends[1]}`;
            const users = meshes.get(key) ?? new Map<string, string>();
            meshes.set(key, users.set(plan.mesh, port.type));
        }
    }
    const warnings: string[] = [];
    for (const key of [...meshes.keys()].sort()) {
        const users = meshes.get(key) ?? new Map<string, string>();
        if (users.size < 2 || (mesh !== undefined && !users.has(mesh))) continue;
        const [bridge, a, b] = key.split(" ");
        const named = [...users].map(([m, type]) => `${m} (${type})`).sort();
        warnings.push(`meshes ${named.join(" and ")} both tunnel between ${a} and ${b} on bridge ${bridge}: an L2 loop that neither mesh's STP sees; put them on different bridges`);
    }
    return warnings;
}

function assertNever(x: never): never {
    throw new Error(`unexpected value ${String(x)}`);
}
