/**
 * The OvsMesh planner: from a validated declaration to what each host needs (subnet, bridge address,
 * MTU, tunnel ports, OVS records, OpenFlow rules, Docker options), and what the user should know.
 * Pure, and linear in the hosts beyond the tunnels the topology itself asks for.
 */
import { createHash } from "node:crypto";
import { OnpremError } from "../../contract/errors";
import { hasPrefix, parseAddress, ParsedAddress } from "../../model/address";
import {
    DEFAULT_BRIDGE,
    DEFAULT_DATAPATH,
    DEFAULT_DOCKER_BRIDGE,
    DEFAULT_DOCKER_MODE,
    DEFAULT_HOST_PREFIX_LENGTH,
    DEFAULT_OS_CONFIG,
    DEFAULT_TOPOLOGY,
    DEFAULT_UNDERLAY_BRIDGE,
    DEFAULT_UNDERLAY_MTU,
    DockerPlan,
    DockerSpec,
    FlowPlan,
    HostMeshPlan,
    OvsMeshPlan,
    OvsMeshSpec,
    OWNER_KEY,
    UnderlayPlan,
} from "./model";
import { resolveMtu } from "./mtu";
import { ovsRecords } from "./records";
import { planSubnets } from "./subnets";
import { hasLoop, peersByHost, topologyLinks, tunnelPortsByHost } from "./topology";

/** Beyond this many hosts a full mesh is mostly STP-blocked tunnels (seed 003's advice). */
const FULL_MESH_NOTE_ABOVE = 6;

/**
 * Plans every host of a mesh that `validateOvsMesh` accepted. `previous` is the slot map returned by the
 * last plan (`slots`), kept in the resource's state: passing it back is what keeps every host's subnet
 * and bridge address fixed while others are added or removed.
 */
export function planOvsMesh(spec: OvsMeshSpec, previous: Readonly<Record<string, number>> = {}): OvsMeshPlan {
    const bridge = spec.bridge ?? DEFAULT_BRIDGE;
    const dockerBridge = spec.dockerBridge ?? DEFAULT_DOCKER_BRIDGE;
    const datapathType = spec.datapathType ?? DEFAULT_DATAPATH;
    const underlayBridge = spec.underlayBridge ? (spec.underlayBridge.name ?? DEFAULT_UNDERLAY_BRIDGE) : undefined;
    const topology = spec.topology ?? DEFAULT_TOPOLOGY;
    const underlayMtu = spec.underlayMtu ?? DEFAULT_UNDERLAY_MTU;
    const vlans = spec.vlans ?? [];
    const flows = spec.flows ?? [];
    const docker = spec.docker ?? {};
    const { tunnel, hosts } = spec;

    const underlay = new Map<string, ParsedAddress>();
    for (const h of hosts) underlay.set(h.name, parseAddress(h.underlayAddress) ?? bug(`${h.name}: underlay address ${h.underlayAddress}`));
    const family = underlay.get(hosts[0]?.name)?.family ?? 4;
    const mtu = resolveMtu({
        type: tunnel.type,
        underlayFamily: family,
        key: tunnel.type === "gre" && tunnel.key !== undefined,
        optionsLength: tunnel.type === "geneve" ? (tunnel.optionsLength ?? 0) : 0,
        vlanTagged: vlans.length > 0,
        underlayMtu,
        mtu: spec.mtu,
    });
    const subnets = planSubnets(
        {
            containerNetwork: spec.containerNetwork,
            hostPrefixLength: spec.hostPrefixLength ?? DEFAULT_HOST_PREFIX_LENGTH,
            bridgeAddressBlock: spec.bridgeAddressBlock,
            hosts: hosts.map((h) => ({ name: h.name, slot: h.slot, bridgeAddress: h.bridgeAddress })),
        },
        previous,
    );
    if (mtu.issues.length + subnets.issues.length > 0) bug([...mtu.issues, ...subnets.issues].map((i) => i.message).join("; "));

    const loop = hasLoop(topology, hosts.length);
    const stp = spec.stp ?? loop;
    const notes = [...meshNotes({ bridge, topology, hostCount: hosts.length, loop, stp, docker }), ...subnets.notes];
    if (datapathType === "netdev" && underlayBridge) {
        notes.push(`datapathType "netdev": each host's underlay address moves onto ${underlayBridge}; remove its physical interface's own address configuration, or both will claim it`);
    }

    const mesh = spec.name;
    const ordered = hosts.map((h) => h.name).sort((a, b) => (subnets.slots[a] ?? 0) - (subnets.slots[b] ?? 0));
    const peers = peersByHost(topologyLinks(topology, ordered, spec.hub));
    const addresses = new Map([...underlay].map(([name, p]) => [name, p.address]));
    const portsByHost = tunnelPortsByHost(peers, tunnel, addresses);
    const cookie = flowCookie(mesh);
    const dockerMode = docker.mode ?? DEFAULT_DOCKER_MODE;
    const osConfig = { format: spec.osConfig?.format ?? DEFAULT_OS_CONFIG, ovs: spec.osConfig?.ovs ?? true };
    const out: OvsMeshPlan = { hosts: {}, slots: subnets.slots, notes };

    for (const h of hosts) {
        const sub = subnets.hosts.get(h.name) ?? bug(`no subnet for ${h.name}`);
        const endpoint = underlay.get(h.name) ?? bug(`no underlay address for ${h.name}`);
        const tunnelPorts = portsByHost.get(h.name) ?? [];
        const underlayPlan: UnderlayPlan | undefined =
            underlayBridge !== undefined
                ? {
                      bridge: underlayBridge,
                      // The validator asks for a port on every host when there is an underlay bridge.
                      port: h.underlayPort ?? spec.underlayBridge?.port ?? "",
                      address: `${endpoint.address}/${hasPrefix(endpoint) ? endpoint.prefix : endpoint.family === 4 ? 32 : 128}`,
                      mtu: underlayMtu,
                  }
                : undefined;
        const ours = <T extends { hosts?: string[] }>(x: T) => x.hosts === undefined || x.hosts.includes(h.name);
        out.hosts[h.name] = {
            name: h.name,
            mesh,
            slot: sub.slot,
            slice: sub.slice,
            bridgeAddress: sub.bridgeAddress,
            mtu: mtu.mtu,
            maxMtu: mtu.max,
            underlayAddress: endpoint.address,
            bridge,
            dockerBridge,
            tunnelPorts,
            ovs: ovsRecords({ bridge, datapathType, stp, mtu: mtu.mtu, ownerIds: { [OWNER_KEY]: mesh }, tunnelPorts, vlans: vlans.filter(ours), underlay: underlayPlan }),
            flows: flows.filter(ours).map((f) => flowPlan(bridge, cookie, f.table ?? 0, f.priority, f.match ?? "", f.actions)),
            docker: dockerPlan(dockerMode, dockerBridge, sub.bridgeAddress, sub.slice, mtu.mtu, docker),
            ...(underlayPlan ? { underlay: underlayPlan } : {}),
            osConfig: { format: h.osConfig ?? osConfig.format, ovs: osConfig.ovs },
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
function meshNotes(m: { bridge: string; topology: string; hostCount: number; loop: boolean; stp: boolean | "rstp"; docker: DockerSpec }): string[] {
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
    if ((m.docker.mode ?? DEFAULT_DOCKER_MODE) === "daemon-json" && m.docker.hosts !== undefined) {
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

function dockerPlan(mode: DockerPlan["mode"], bridge: string, bridgeAddress: string, slice: string, mtu: number, { hosts, tls }: DockerSpec): DockerPlan {
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

/** The planner met what the validator refuses: a caller skipped `validateOvsMesh`. */
function bug(what: string): never {
    throw new OnpremError("Bug", `OvsMesh planner: ${what} (the declaration was not validated)`);
}
