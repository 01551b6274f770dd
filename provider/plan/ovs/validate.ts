/**
 * Parses an OvsMesh declaration: every problem, each naming its field (the one channel for bad input),
 * or, with none, the mesh with its defaults applied, its addresses parsed and its MTU and subnets
 * computed: the value the planner takes, so nothing is resolved twice.
 */
import type { Unwrap } from "@pulumi/pulumi/output";
import { hostPathProblem, portProblem } from "../../contract/inputRules";
import { type Issue, type Parsed, quoted as q } from "../../contract/issue";
import { hasPrefix, notUnicast, parseAddress, ParsedAddress } from "../../model/address";
import { DEVICE_NAME_RULE, isValidDeviceName } from "../../model/interfaceName";
import type { DockerSpec, OvsMeshInput, TunnelType } from "./args";
import {
    DEFAULT_BRIDGE,
    DEFAULT_DATAPATH,
    DEFAULT_DOCKER_BRIDGE,
    DEFAULT_DOCKER_MODE,
    DEFAULT_HOST_PREFIX_LENGTH,
    DEFAULT_OS_CONFIG,
    DEFAULT_OS_CONFIG_OVS,
    DEFAULT_TOPOLOGY,
    DEFAULT_UNDERLAY_BRIDGE,
    DEFAULT_UNDERLAY_MTU,
    ParsedOvsMesh,
    Tunnel,
} from "./model";
import { MtuResult, resolveMtu } from "./mtu";
import { planSubnets } from "./subnets";
import { hasLoop, peersByHost, topologyLinks, tunnelPortName } from "./topology";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const TUNNEL_TYPES = ["gre", "vxlan", "geneve"] as const;
const TOPOLOGIES = ["full-mesh", "ring", "star"] as const;
const DATAPATHS = ["system", "netdev"] as const;
const DOCKER_MODES = ["daemon-json", "default-file", "none"] as const;
const OS_FORMATS = ["interfaces", "ifcfg", "none"] as const;
const GRE_KEY_MAX = 4294967295;
const VNI_MAX = 16777215;
const GENEVE_OPTIONS_MAX = 252;
/** Flow fields the planner sets itself. */
const RESERVED_FLOW_FIELDS = ["table", "priority", "cookie", "actions"];

type Add = (field: string, text: string) => void;

/**
 * Every problem with the declaration, or the mesh ready to plan. `previous` is the slot map kept in
 * state: a pinned slot that another host held before is refused.
 */
export function parseOvsMesh(spec: OvsMeshInput, previous: Readonly<Record<string, number>> = {}): Parsed<ParsedOvsMesh> {
    const issues: Issue[] = [];
    const add: Add = (field, text) => issues.push({ field, message: `\`${field}\`: ${text}` });
    if (typeof spec !== "object" || spec === null) return { ok: false, issues: [{ field: "", message: "the mesh declaration is not an object" }] };
    if (typeof spec.name !== "string" || !NAME_RE.test(spec.name)) {
        add("name", `${JSON.stringify(spec.name)} must be 1-63 letters, digits, "_", "." or "-", starting with a letter or digit`);
    }

    // Bridges and names.
    const bridge = spec.bridge ?? DEFAULT_BRIDGE;
    const dockerBridge = spec.dockerBridge ?? DEFAULT_DOCKER_BRIDGE;
    const datapathType = spec.datapathType ?? DEFAULT_DATAPATH;
    const underlayBridge = spec.underlayBridge ? (spec.underlayBridge.name ?? DEFAULT_UNDERLAY_BRIDGE) : undefined;
    checkIfName(add, "bridge", bridge);
    checkIfName(add, "dockerBridge", dockerBridge);
    if (bridge === dockerBridge) add("dockerBridge", `${JSON.stringify(dockerBridge)} is also the OVS bridge's name: Docker needs a Linux bridge of its own`);
    if (!oneOf(DATAPATHS, datapathType)) add("datapathType", `${JSON.stringify(datapathType)} is not one of ${DATAPATHS.join(", ")}`);
    if (spec.underlayBridge !== undefined) {
        checkIfName(add, "underlayBridge.name", underlayBridge ?? "");
        if (underlayBridge === bridge || underlayBridge === dockerBridge) {
            add("underlayBridge.name", `${JSON.stringify(underlayBridge)} is already the mesh's ${underlayBridge === bridge ? "OVS" : "Docker"} bridge`);
        }
        if (spec.underlayBridge.port !== undefined) checkIfName(add, "underlayBridge.port", spec.underlayBridge.port);
    } else if (datapathType === "netdev") {
        add("underlayBridge", `required with datapathType "netdev": the userspace datapath routes tunnel packets only through an address on an OVS bridge`);
    }

    // Hosts.
    const hosts = Array.isArray(spec.hosts) ? spec.hosts : [];
    if (!Array.isArray(spec.hosts) || hosts.length === 0) add("hosts", "at least one host is needed");
    const hostIndex = new Map<string, number>();
    const underlayOwner = new Map<string, number>();
    const underlays: ParsedAddress[] = [];
    let family: 4 | 6 | undefined;
    hosts.forEach((h, i) => {
        const at = `hosts[${i}]`;
        if (typeof h?.name !== "string" || !NAME_RE.test(h.name)) {
            add(`${at}.name`, `${JSON.stringify(h?.name)} must be 1-63 letters, digits, "_", "." or "-", starting with a letter or digit`);
        } else if (hostIndex.has(h.name)) {
            add(`${at}.name`, `${JSON.stringify(h.name)} is also hosts[${hostIndex.get(h.name)}]'s name`);
        } else {
            hostIndex.set(h.name, i);
        }
        const parsed = parseAddress(h?.underlayAddress);
        if (parsed) underlays[i] = parsed;
        const unusable = parsed && notUnicast(parsed);
        if (!parsed) {
            add(`${at}.underlayAddress`, `${JSON.stringify(h?.underlayAddress)} is not an IP address (bare or CIDR)`);
        } else if (unusable) {
            add(`${at}.underlayAddress`, `${parsed.address} ${unusable}, not a tunnel endpoint`);
        } else if (underlayOwner.has(parsed.address)) {
            add(`${at}.underlayAddress`, `${parsed.address} is also hosts[${underlayOwner.get(parsed.address)}]'s underlay address`);
        } else if (family !== undefined && parsed.family !== family) {
            add(`${at}.underlayAddress`, `${parsed.address} is IPv${parsed.family} but hosts[0]'s is IPv${family}: tunnel endpoints must share one family`);
        } else {
            family ??= parsed.family;
            underlayOwner.set(parsed.address, i);
            if (datapathType === "netdev" && !hasPrefix(parsed)) {
                add(`${at}.underlayAddress`, `needs a prefix length (e.g. "${parsed.address}/24") with datapathType "netdev": the address moves onto the underlay bridge`);
            }
        }
        if (h?.underlayPort !== undefined) checkIfName(add, `${at}.underlayPort`, h.underlayPort);
        if (spec.underlayBridge !== undefined && h?.underlayPort === undefined && spec.underlayBridge.port === undefined) {
            add(`${at}.underlayPort`, `required: the underlay bridge needs a physical interface on every host (or set underlayBridge.port)`);
        }
        if (h?.osConfig !== undefined && !oneOf(OS_FORMATS, h.osConfig)) {
            add(`${at}.osConfig`, `${JSON.stringify(h.osConfig)} is not one of ${OS_FORMATS.join(", ")}`);
        }
    });

    const tunnel = spec.tunnel;
    const tunnelOk = typeof tunnel === "object" && tunnel !== null && oneOf(TUNNEL_TYPES, tunnel.type);
    if (tunnelOk) checkTunnel(add, tunnel);
    else add("tunnel.type", `${JSON.stringify(tunnel?.type)} is not one of ${TUNNEL_TYPES.join(", ")}`);

    // Topology and spanning tree.
    const topology = spec.topology ?? DEFAULT_TOPOLOGY;
    if (!oneOf(TOPOLOGIES, topology)) {
        add("topology", `${JSON.stringify(topology)} is not one of ${TOPOLOGIES.join(", ")}`);
    } else if (topology === "star") {
        if (spec.hub === undefined) add("hub", `required with topology "star": the host every other host tunnels to`);
        else if (!hostIndex.has(spec.hub)) add("hub", `${JSON.stringify(spec.hub)} is not the name of a host`);
    } else if (spec.hub !== undefined) {
        add("hub", `only used with topology "star" (topology is "${topology}")`);
    }
    const flows = Array.isArray(spec.flows) ? spec.flows : [];
    if (spec.stp !== undefined && typeof spec.stp !== "boolean" && spec.stp !== "rstp") {
        add("stp", `${JSON.stringify(spec.stp)} must be true, false or "rstp"`);
    } else if (spec.stp === false && flows.length === 0 && oneOf(TOPOLOGIES, topology) && hasLoop(topology, hosts.length)) {
        // With flows, keeping frames from circling is the flows' job (the planner says so in its notes).
        add("stp", `false, but a ${topology} of ${hosts.length} hosts has loops: broadcast frames would circle forever (use true or "rstp", or a star)`);
    }

    // VLANs.
    const vlans = Array.isArray(spec.vlans) ? spec.vlans : [];
    const vlanPorts = new Map<string, number>();
    vlans.forEach((v, j) => {
        const at = `vlans[${j}]`;
        checkIfName(add, `${at}.port`, v?.port);
        if (v?.port === dockerBridge || v?.port === underlayBridge) add(`${at}.port`, `${JSON.stringify(v.port)} is not a port of the mesh bridge`);
        if (typeof v?.port === "string") {
            if (vlanPorts.has(v.port)) add(`${at}.port`, `${JSON.stringify(v.port)} is already tagged by vlans[${vlanPorts.get(v.port)}]`);
            else vlanPorts.set(v.port, j);
        }
        if (!isIntIn(v?.tag, 1, 4094)) add(`${at}.tag`, `${JSON.stringify(v?.tag)} is outside 1-4094`);
        checkHostList(add, `${at}.hosts`, v?.hosts, hostIndex);
    });

    // Flows.
    flows.forEach((f, j) => {
        const at = `flows[${j}]`;
        if (!isIntIn(f?.priority, 0, 65535)) add(`${at}.priority`, `${JSON.stringify(f?.priority)} is outside 0-65535`);
        if (f?.table !== undefined && !isIntIn(f.table, 0, 254)) add(`${at}.table`, `${JSON.stringify(f.table)} is outside 0-254`);
        if (typeof f?.actions !== "string" || f.actions.trim() === "" || /[\r\n\0]/.test(f.actions)) {
            add(`${at}.actions`, `${JSON.stringify(f?.actions)} must be a non-empty one-line ovs-ofctl action list`);
        }
        if (f?.match !== undefined) {
            if (typeof f.match !== "string" || /[\r\n\0]/.test(f.match)) {
                add(`${at}.match`, `${JSON.stringify(f.match)} must be a one-line ovs-ofctl match`);
            } else {
                const reserved = f.match
                    .split(",")
                    .map((t) => t.split("=")[0].trim())
                    .filter((k) => RESERVED_FLOW_FIELDS.includes(k));
                if (reserved.length > 0) add(`${at}.match`, `sets ${reserved.join(", ")}, which belong in their own fields (the cookie is the mesh's)`);
            }
        }
        checkHostList(add, `${at}.hosts`, f?.hosts, hostIndex);
    });

    checkDocker(add, spec.docker ?? {});

    // OS configuration.
    const osFormat = spec.osConfig?.format ?? DEFAULT_OS_CONFIG;
    if (!oneOf(OS_FORMATS, osFormat)) add("osConfig.format", `${JSON.stringify(osFormat)} is not one of ${OS_FORMATS.join(", ")}`);
    const osOvs = spec.osConfig?.ovs ?? DEFAULT_OS_CONFIG_OVS;
    if (typeof osOvs !== "boolean") add("osConfig.ovs", `${JSON.stringify(osOvs)} must be true or false`);

    const underlayMtu = spec.underlayMtu ?? DEFAULT_UNDERLAY_MTU;
    let mtu: MtuResult | undefined;
    if (tunnelOk) {
        mtu = resolveMtu({
            type: tunnel.type,
            underlayFamily: family ?? 4,
            key: tunnel.type === "gre" && tunnel.key !== undefined,
            optionsLength: tunnel.type === "geneve" ? (tunnel.optionsLength ?? 0) : 0,
            vlanTagged: vlans.length > 0,
            underlayMtu,
            mtu: spec.mtu,
        });
        issues.push(...mtu.issues);
    }

    // Subnets: planSubnets numbers only the hosts with a string name; its indexes map back to the declaration's.
    const named = hosts.flatMap((h, i) => (typeof h?.name === "string" ? [i] : []));
    const subnets = planSubnets(
        {
            containerNetwork: spec.containerNetwork,
            hostPrefixLength: spec.hostPrefixLength ?? DEFAULT_HOST_PREFIX_LENGTH,
            bridgeAddressBlock: spec.bridgeAddressBlock,
            hosts: named.map((i) => ({ name: hosts[i].name, slot: hosts[i].slot, bridgeAddress: hosts[i].bridgeAddress })),
        },
        previous ?? {},
    );
    issues.push(...subnets.issues.map((i) => (named.length === hosts.length ? i : remapHostField(i, named))));

    // Port names must be unique on each host: among tunnel ports, and against the other names we use.
    if (tunnelOk) {
        const taken = new Set([bridge, dockerBridge, ...(underlayBridge ? [underlayBridge] : []), ...vlanPorts.keys()]);
        const byName = new Map<string, string>();
        hosts.forEach((h, i) => {
            if (typeof h?.name !== "string") return;
            const port = tunnelPortName(tunnel.type, h.name);
            const other = byName.get(port);
            if (other !== undefined && other !== h.name) {
                add(`hosts[${i}].name`, `its tunnel port name ${port} is also host ${JSON.stringify(other)}'s: rename one of them`);
            }
            byName.set(port, h.name);
            if (taken.has(port)) add(`hosts[${i}].name`, `its tunnel port name ${port} is also the name of a bridge or VLAN port of the mesh`);
        });
        const naming = hosts.flatMap((h, i) => (h?.tunnelPortNames !== undefined ? [i] : []));
        if (naming.length > 0) {
            // The peers each host tunnels to, as the planner links them (a ring in slot order): only when a host names its ports.
            const ordered = [...hostIndex.keys()].sort((a, b) => (subnets.slots[a] ?? 0) - (subnets.slots[b] ?? 0));
            const linked =
                oneOf(TOPOLOGIES, topology) &&
                (topology !== "star" || (spec.hub !== undefined && hostIndex.has(spec.hub))) &&
                (topology !== "ring" || ordered.every((n) => subnets.slots[n] !== undefined));
            const peers = linked ? peersByHost(topologyLinks(topology, ordered, spec.hub)) : undefined;
            for (const i of naming) {
                const h = hosts[i];
                const own = hostIndex.get(h.name) === i ? h.name : undefined;
                checkTunnelPortNames(add, {
                    at: `hosts[${i}].tunnelPortNames`,
                    names: h.tunnelPortNames,
                    host: own,
                    type: tunnel.type,
                    peers: own !== undefined && peers !== undefined ? (peers.get(own) ?? []) : undefined,
                    topology: topology === "star" ? `a star around ${q(spec.hub)}` : `a ${topology}`,
                    hostIndex,
                    reserved: reservedPortNames({
                        bridge,
                        dockerBridge,
                        underlayBridge,
                        underlayPort: underlayBridge !== undefined ? (h.underlayPort ?? spec.underlayBridge?.port) : undefined,
                        vlans: vlans.flatMap((v, j) => (v?.hosts === undefined || (own !== undefined && v.hosts.includes(own)) ? [{ port: v?.port, j }] : [])),
                    }),
                });
            }
        }
    }
    if (issues.length > 0 || !tunnelOk || mtu === undefined) return { ok: false, issues };
    const docker = spec.docker ?? {};
    const loop = hasLoop(topology, hosts.length);
    return {
        ok: true,
        value: {
            name: spec.name,
            // Without issues, every host has its underlay address and its subnet.
            hosts: hosts.map((h, i) => ({
                name: h.name,
                underlay: underlays[i],
                underlayPort: h.underlayPort,
                osFormat: h.osConfig ?? osFormat,
                subnet: subnets.hosts.get(h.name)!,
                tunnelPortNames: h.tunnelPortNames,
            })),
            bridge,
            dockerBridge,
            datapathType,
            underlayBridge: underlayBridge === undefined ? undefined : { name: underlayBridge, port: spec.underlayBridge?.port },
            tunnel,
            topology,
            hub: spec.hub,
            loop,
            stp: spec.stp ?? loop,
            underlayMtu,
            mtu,
            slots: subnets.slots,
            slotNotes: subnets.notes,
            vlans,
            flows,
            docker: { mode: docker.mode ?? DEFAULT_DOCKER_MODE, hosts: docker.hosts, tls: docker.tls },
            osConfig: { format: osFormat, ovs: osOvs },
        },
    };
}

function checkTunnel(add: Add, tunnel: Tunnel): void {
    const udp = tunnel.type !== "gre";
    if (tunnel.key !== undefined && tunnel.key !== "flow") {
        const max = udp ? VNI_MAX : GRE_KEY_MAX;
        if (!isIntIn(tunnel.key, 0, max)) {
            add("tunnel.key", `${JSON.stringify(tunnel.key)} is outside 0-${max}${udp ? ` (a ${tunnel.type.toUpperCase()} VNI has 24 bits)` : ""}, and not "flow"`);
        }
    }
    if (tunnel.vni !== undefined) {
        if (!udp) add("tunnel.vni", `GRE has no VNI: use tunnel.key`);
        else if (tunnel.key !== undefined) add("tunnel.vni", `set either tunnel.key or tunnel.vni, not both`);
        else if (!isIntIn(tunnel.vni, 0, VNI_MAX)) add("tunnel.vni", `${JSON.stringify(tunnel.vni)} is outside 0-${VNI_MAX} (24 bits)`);
    }
    if (tunnel.dstPort !== undefined) {
        if (!udp) add("tunnel.dstPort", `GRE runs over IP, not UDP: it has no port`);
        else {
            const portRule = portProblem(tunnel.dstPort);
            if (portRule) add("tunnel.dstPort", portRule);
        }
    }
    if (tunnel.optionsLength !== undefined) {
        if (tunnel.type !== "geneve") add("tunnel.optionsLength", `only Geneve carries options`);
        else if (!isIntIn(tunnel.optionsLength, 0, GENEVE_OPTIONS_MAX) || tunnel.optionsLength % 4 !== 0) {
            add("tunnel.optionsLength", `${JSON.stringify(tunnel.optionsLength)} must be a multiple of 4 in 0-${GENEVE_OPTIONS_MAX}`);
        }
    }
}

function checkDocker(add: Add, docker: Unwrap<DockerSpec>): void {
    const mode = docker.mode ?? DEFAULT_DOCKER_MODE;
    if (!oneOf(DOCKER_MODES, mode)) add("docker.mode", `${JSON.stringify(mode)} is not one of ${DOCKER_MODES.join(", ")}`);
    if (docker.tls !== undefined) {
        for (const k of ["caCert", "cert", "key"] as const) {
            const p = docker.tls[k];
            const problem = hostPathProblem(p) ?? (/[\s"'\\]/.test(p) ? `${JSON.stringify(p)} holds whitespace, quotes or "\\", which DOCKER_OPTS would split or escape` : undefined);
            if (problem) add(`docker.tls.${k}`, problem);
        }
    }
    (docker.hosts ?? []).forEach((listener, j) => {
        const at = `docker.hosts[${j}]`;
        if (typeof listener !== "string") return add(at, `${JSON.stringify(listener)} is not a string`);
        if (/^tcp:\/\//.test(listener)) {
            if (!/^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/.test(listener)) add(at, `${JSON.stringify(listener)} must be tcp://ADDRESS:PORT`);
            else if (docker.tls === undefined) {
                add(at, `${listener} would expose the Docker API without TLS, which is root on this host for anyone who can reach it: set docker.tls, or use a unix socket`);
            }
        } else if (!/^unix:\/\/\/[A-Za-z0-9_./-]+$/.test(listener) && !/^fd:\/\/\d*$/.test(listener)) {
            add(at, `${JSON.stringify(listener)} must be unix:///PATH, fd:// or tcp://ADDRESS:PORT`);
        }
    });
    if (mode === "none" && (docker.hosts !== undefined || docker.tls !== undefined)) {
        add(docker.hosts !== undefined ? "docker.hosts" : "docker.tls", `has no effect with docker.mode "none"`);
    }
}

/** The names a host's tunnel port cannot take, with what already holds each (a bridge's name last: it wins). */
function reservedPortNames(m: { bridge: string; dockerBridge: string; underlayBridge?: string; underlayPort?: string; vlans: { port: unknown; j: number }[] }): Map<string, string> {
    const reserved = new Map<string, string>();
    for (const { port, j } of m.vlans) if (typeof port === "string") reserved.set(port, `vlans[${j}]'s port`);
    if (m.underlayPort !== undefined) reserved.set(m.underlayPort, "this host's underlay port");
    if (m.underlayBridge !== undefined) reserved.set(m.underlayBridge, "the underlay bridge");
    reserved.set(m.dockerBridge, "the Docker bridge");
    reserved.set(m.bridge, "the mesh's OVS bridge");
    return reserved;
}

/**
 * One host's `tunnelPortNames`: each key a peer it tunnels to (`peers`, undefined when the topology or the
 * host's own name is already refused), each name a device name that no other port of the host has.
 */
function checkTunnelPortNames(
    add: Add,
    c: { at: string; names: unknown; host?: string; type: TunnelType; peers?: readonly string[]; topology: string; hostIndex: ReadonlyMap<string, number>; reserved: ReadonlyMap<string, string> },
): void {
    const { at, names } = c;
    if (typeof names !== "object" || names === null || Array.isArray(names)) return add(at, `${q(names)} must map peer host names to port names`);
    const given = names as Record<string, unknown>;
    const peers = c.peers !== undefined ? new Set(c.peers) : undefined;
    // This host's ports by name (port -> peer): the defaults of the peers not named here, then each name given.
    const ports = new Map<string, string>();
    for (const peer of peers ?? []) if (!Object.hasOwn(given, peer)) ports.set(tunnelPortName(c.type, peer), peer);
    for (const [peer, name] of Object.entries(given)) {
        const field = `${at}.${peer}`;
        if (!c.hostIndex.has(peer)) add(field, `${q(peer)} is not the name of a host of the mesh`);
        else if (peer === c.host) add(field, `${q(peer)} is this host itself: a host has no tunnel to itself`);
        else if (peers !== undefined && !peers.has(peer)) add(field, `${c.host} has no tunnel to ${q(peer)} in ${c.topology}`);
        if (!isValidDeviceName(name)) {
            add(field, `${q(name)} is not a network device name (${DEVICE_NAME_RULE})`);
            continue;
        }
        const holder = c.reserved.get(name) ?? (ports.has(name) ? `this host's tunnel port to ${q(ports.get(name))}` : undefined);
        if (holder !== undefined) add(field, `${q(name)} is also the name of ${holder}: a host's port names are unique`);
        else ports.set(name, peer);
    }
}

/** `hosts[k]...` of the named hosts' list as `hosts[i]...` of the declaration. */
function remapHostField(i: Issue, named: readonly number[]): Issue {
    const m = /^hosts\[(\d+)\]/.exec(i.field);
    if (!m) return i;
    const field = i.field.replace(/^hosts\[\d+\]/, `hosts[${named[Number(m[1])]}]`);
    return { field, message: i.message.replace(`\`${i.field}\``, `\`${field}\``) };
}

function checkIfName(add: Add, field: string, name: unknown): void {
    if (!isValidDeviceName(name)) {
        add(field, `${q(name)} is not a network device name (${DEVICE_NAME_RULE})`);
    }
}

function checkHostList(add: Add, field: string, list: unknown, hostIndex: ReadonlyMap<string, number>): void {
    if (list === undefined) return;
    if (!Array.isArray(list)) return add(field, `must be a list of host names`);
    list.forEach((name, k) => {
        if (typeof name !== "string" || !hostIndex.has(name)) add(`${field}[${k}]`, `${JSON.stringify(name)} is not the name of a host`);
    });
}

function oneOf<T extends string>(values: readonly T[], v: unknown): v is T {
    return typeof v === "string" && (values as readonly string[]).includes(v);
}

function isIntIn(v: unknown, min: number, max: number): v is number {
    return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}
