/**
 * The OvsMesh planner: from a parsed mesh (`parseOvsMesh`: defaults, addresses, MTU and subnets already
 * resolved) to what each host needs (subnet, bridge address, MTU, tunnel ports, OVS records, OpenFlow
 * rules, Docker options), and what the user should know. Pure, and linear in the hosts beyond the
 * tunnels the topology itself asks for.
 */
import { createHash } from "node:crypto";
import { hasPrefix } from "../../model/address";
import { DEFAULT_DOCKER_BRIDGE, DockerPlan, FlowPlan, HostMeshPlan, OvsMeshPlan, OWNER_KEY, ParsedOvsMesh, UnderlayPlan } from "./model";
import { ovsRecords } from "./records";
import { peersByHost, topologyLinks, tunnelPortsByHost } from "./topology";

/** Beyond this many hosts a full mesh is mostly STP-blocked tunnels (seed 003's advice). */
const FULL_MESH_NOTE_ABOVE = 6;

/**
 * Plans every host of a parsed mesh. Its subnets were assigned against the slot map kept in state, which
 * is what keeps every host's subnet and bridge address fixed while others are added or removed.
 */
export function planOvsMesh(mesh: ParsedOvsMesh): OvsMeshPlan {
    const { bridge, dockerBridge, datapathType, topology, tunnel, hosts, vlans, flows, docker, mtu, slots, stp } = mesh;
    const underlayBridge = mesh.underlayBridge?.name;
    const notes = [...meshNotes({ bridge, topology, hostCount: hosts.length, loop: mesh.loop, stp, docker }), ...mesh.slotNotes];
    if (datapathType === "netdev" && underlayBridge) {
        notes.push(`datapathType "netdev": each host's underlay address moves onto ${underlayBridge}; remove its physical interface's own address configuration, or both will claim it`);
    }

    const ordered = hosts.map((h) => h.name).sort((a, b) => (slots[a] ?? 0) - (slots[b] ?? 0));
    const peers = peersByHost(topologyLinks(topology, ordered, mesh.hub));
    const addresses = new Map(hosts.map((h) => [h.name, h.underlay.address]));
    const names = new Map(hosts.flatMap((h) => (h.tunnelPortNames !== undefined ? [[h.name, h.tunnelPortNames] as const] : [])));
    const portsByHost = tunnelPortsByHost(peers, tunnel, addresses, names);
    const cookie = flowCookie(mesh.name);
    const out: OvsMeshPlan = { hosts: {}, slots, notes };

    for (const h of hosts) {
        const sub = h.subnet;
        const endpoint = h.underlay;
        const tunnelPorts = portsByHost.get(h.name) ?? [];
        const underlayPlan: UnderlayPlan | undefined =
            underlayBridge !== undefined
                ? {
                      bridge: underlayBridge,
                      // The validator asks for a port on every host when there is an underlay bridge.
                      port: h.underlayPort ?? mesh.underlayBridge?.port ?? "",
                      address: `${endpoint.address}/${hasPrefix(endpoint) ? endpoint.prefix : endpoint.family === 4 ? 32 : 128}`,
                      mtu: mesh.underlayMtu,
                  }
                : undefined;
        const ours = <T extends { hosts?: string[] }>(x: T) => x.hosts === undefined || x.hosts.includes(h.name);
        out.hosts[h.name] = {
            name: h.name,
            mesh: mesh.name,
            slot: sub.slot,
            slice: sub.slice,
            bridgeAddress: sub.bridgeAddress,
            mtu: mtu.mtu,
            maxMtu: mtu.max,
            underlayAddress: endpoint.address,
            bridge,
            dockerBridge,
            tunnelPorts,
            ovs: ovsRecords({ bridge, datapathType, stp, mtu: mtu.mtu, ownerIds: { [OWNER_KEY]: mesh.name }, tunnelPorts, vlans: vlans.filter(ours), underlay: underlayPlan }),
            flows: flows.filter(ours).map((f) => flowPlan(bridge, cookie, f.table ?? 0, f.priority, f.match ?? "", f.actions)),
            docker: dockerPlan(dockerBridge, sub.bridgeAddress, sub.slice, mtu.mtu, docker),
            ...(underlayPlan ? { underlay: underlayPlan } : {}),
            osConfig: { format: h.osFormat, ovs: mesh.osConfig.ovs },
        } satisfies HostMeshPlan;
    }
    return out;
}

/**
 * The OpenFlow cookie that marks one mesh's rules: derived from its name, so it needs no state. Written
 * without leading zeros, as `ovs-ofctl dump-flows` prints it, so read-back compares as text.
 */
export function flowCookie(mesh: string): string {
    const hex = createHash("sha256").update(`pulumi-onprem/${mesh}`).digest("hex").slice(0, 16);
    return `0x${BigInt(`0x${hex}`).toString(16)}`;
}

/** What the user should know about the mesh as declared: loops and spanning tree, Docker's listeners. */
function meshNotes(m: { bridge: string; topology: string; hostCount: number; loop: boolean; stp: boolean | "rstp"; docker: ParsedOvsMesh["docker"] }): string[] {
    const notes: string[] = [];
    const what = `a ${m.topology} of ${m.hostCount} hosts`;
    if (m.loop && m.stp === false) {
        notes.push(`${m.bridge}: ${what} has loops and STP is off: the flows must keep frames from circling`);
    } else if (m.loop) {
        const slow = m.stp === true ? ` (after a change, ports take about 30 s to forward; stp: "rstp" converges faster)` : "";
        notes.push(`${m.bridge}: ${what} has loops; ${m.stp === "rstp" ? "RSTP" : "STP"} blocks the redundant tunnels${slow}`);
    }
    if (m.topology === "full-mesh" && m.hostCount > FULL_MESH_NOTE_ABOVE) {
        notes.push(`${m.hostCount} hosts in a full mesh make ${(m.hostCount * (m.hostCount - 1)) / 2} tunnels, most of them blocked by spanning tree; a ring or star converges faster`);
    }
    if (m.docker.mode === "daemon-json" && m.docker.hosts !== undefined) {
        notes.push(`docker.hosts in daemon.json conflicts with a -H flag on dockerd's command line (Debian's docker.service passes -H fd://): the service needs an override without it`);
    }
    return notes;
}

function flowPlan(bridge: string, cookie: string, table: number, priority: number, match: string, actions: string): FlowPlan {
    const m = match.trim();
    const a = actions.trim();
    const text = [`table=${table}`, `priority=${priority}`, `cookie=${cookie}`, ...(m ? [m] : []), `actions=${a}`].join(",");
    return { bridge, table, priority, cookie, match: m, actions: a, text };
}

function dockerPlan(bridge: string, bridgeAddress: string, slice: string, mtu: number, { mode, hosts, tls }: ParsedOvsMesh["docker"]): DockerPlan {
    // dockerd (20.10 at least) puts the network's first host address on docker0 at every start, whatever
    // address the bridge holds: there the address is told as "bip". A bridge of another name keeps its own.
    const which = bridge === DEFAULT_DOCKER_BRIDGE ? { bip: bridgeAddress } : { bridge };
    const options = { ...which, fixedCidr: slice, mtu, ...(hosts ? { hosts: [...hosts] } : {}), ...(tls ? { tls: { ...tls } } : {}) };
    if (mode !== "daemon-json") return { mode, options, daemonJson: {} };
    const daemonJson: Record<string, unknown> = { ...which, "fixed-cidr": slice, mtu };
    if (hosts) daemonJson.hosts = [...hosts];
    if (tls) Object.assign(daemonJson, { tlsverify: true, tlscacert: tls.caCert, tlscert: tls.cert, tlskey: tls.key });
    return { mode, options, daemonJson };
}
