/**
 * The OvsMesh planner: from one declaration to what each host needs (subnet, bridge address, MTU,
 * tunnel ports, OVS records, OpenFlow rules, Docker options), and the validator that rejects bad
 * input before anything connects. Pure: the SDK runs it in the program, the provider applies its result.
 */
import { createHash } from "node:crypto";
import { OnpremError } from "../../contract/errors";
import { resolveMtu } from "./mtu";
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
    FlowPlan,
    HostMeshPlan,
    OvsBridgeRecord,
    OvsMeshPlan,
    OvsMeshSpec,
    OvsPortRecord,
    OvsRecords,
    OWNER_KEY,
    TunnelPort,
    ValidationIssue,
} from "./model";
import { parseAddress, ParsedAddress, planSubnets, SubnetPlan } from "./subnets";
import { hasLoop, hostTunnelPorts, isValidIfName, topologyLinks, tunnelPortName } from "./topology";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const TUNNEL_TYPES = ["gre", "vxlan", "geneve"] as const;
const TOPOLOGIES = ["full-mesh", "ring", "star"] as const;
const DATAPATHS = ["system", "netdev"] as const;
const DOCKER_MODES = ["daemon-json", "default-file", "none"] as const;
const OS_FORMATS = ["interfaces", "ifcfg", "none"] as const;
const GRE_KEY_MAX = 4294967295;
const VNI_MAX = 16777215;
const GENEVE_OPTIONS_MAX = 252;
/** Beyond this many hosts a full mesh is mostly STP-blocked tunnels (seed 003's advice). */
const FULL_MESH_NOTE_ABOVE = 6;
/** Flow fields the planner sets itself. */
const RESERVED_FLOW_FIELDS = ["table", "priority", "cookie", "actions"];

/** Every problem with the declaration, each naming its field; empty when the mesh can be planned. */
export function validateOvsMesh(spec: OvsMeshSpec, previous: Readonly<Record<string, number>> = {}): ValidationIssue[] {
    return analyze(spec, previous).issues;
}

/**
 * Plans every host of the mesh. `previous` is the slot map returned by the last plan (`slots`), kept in
 * the resource's state: passing it back is what keeps every host's subnet and bridge address fixed
 * while others are added or removed. Throws an InvalidArgument error listing every issue.
 */
export function planOvsMesh(spec: OvsMeshSpec, previous: Readonly<Record<string, number>> = {}): OvsMeshPlan {
    const result = analyze(spec, previous);
    if (result.issues.length > 0 || !result.plan) {
        throw new OnpremError("InvalidArgument", result.issues.map((i) => i.message).join("\n") || "`hosts`: nothing to plan");
    }
    return result.plan;
}

/**
 * The OpenFlow cookie that marks one mesh's rules: derived from its name, so it needs no state. Written
 * without leading zeros, as `ovs-ofctl dump-flows` prints it, so read-back compares as text.
 */
export function flowCookie(mesh: string): string {
    const hex = createHash("sha256").update(`pulumi-onprem/${mesh}`).digest("hex").slice(0, 16);
    return `0x${BigInt(`0x${hex}`).toString(16)}`;
}

/** Names of the daemon.json keys the mesh may own (to remove them once they are no longer wanted). */
export const MESH_DAEMON_JSON_KEYS = ["bridge", "fixed-cidr", "mtu", "hosts", "tlsverify", "tlscacert", "tlscert", "tlskey"];
/** daemon.json keys Docker refuses next to one the mesh sets. */
export const DAEMON_JSON_CONFLICTS: Record<string, string[]> = { bridge: ["bip"] };

interface Analysis {
    issues: ValidationIssue[];
    plan?: OvsMeshPlan;
}

function analyze(spec: OvsMeshSpec, previous: Readonly<Record<string, number>>): Analysis {
    const issues: ValidationIssue[] = [];
    const notes: string[] = [];
    const add = (field: string, text: string) => issues.push({ field, message: `\`${field}\`: ${text}` });

    if (typeof spec !== "object" || spec === null) return { issues: [{ field: "", message: "the mesh declaration is not an object" }] };
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
    const underlay = new Map<string, ParsedAddress>();
    const underlayOwner = new Map<string, number>();
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
        if (!parsed) {
            add(`${at}.underlayAddress`, `${JSON.stringify(h?.underlayAddress)} is not an IP address (bare or CIDR)`);
        } else if (isUnusableEndpoint(parsed)) {
            add(`${at}.underlayAddress`, `${parsed.address} is a loopback, unspecified or multicast address, not a tunnel endpoint`);
        } else if (underlayOwner.has(parsed.address)) {
            add(`${at}.underlayAddress`, `${parsed.address} is also hosts[${underlayOwner.get(parsed.address)}]'s underlay address`);
        } else if (family !== undefined && parsed.family !== family) {
            add(`${at}.underlayAddress`, `${parsed.address} is IPv${parsed.family} but hosts[0]'s is IPv${family}: tunnel endpoints must share one family`);
        } else {
            family ??= parsed.family;
            underlayOwner.set(parsed.address, i);
            if (typeof h.name === "string") underlay.set(h.name, parsed);
            if (datapathType === "netdev" && parsed.prefix === undefined) {
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

    // Tunnel.
    const tunnel = spec.tunnel;
    const tunnelOk = typeof tunnel === "object" && tunnel !== null && oneOf(TUNNEL_TYPES, tunnel.type);
    if (!tunnelOk) {
        add("tunnel.type", `${JSON.stringify(tunnel?.type)} is not one of ${TUNNEL_TYPES.join(", ")}`);
    } else {
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
            else if (!isIntIn(tunnel.dstPort, 1, 65535)) add("tunnel.dstPort", `${JSON.stringify(tunnel.dstPort)} is outside 1-65535`);
        }
        if (tunnel.optionsLength !== undefined) {
            if (tunnel.type !== "geneve") add("tunnel.optionsLength", `only Geneve carries options`);
            else if (!isIntIn(tunnel.optionsLength, 0, GENEVE_OPTIONS_MAX) || tunnel.optionsLength % 4 !== 0) {
                add("tunnel.optionsLength", `${JSON.stringify(tunnel.optionsLength)} must be a multiple of 4 in 0-${GENEVE_OPTIONS_MAX}`);
            }
        }
    }

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
    const loop = oneOf(TOPOLOGIES, topology) && hasLoop(topology, hosts.length);
    const flows = Array.isArray(spec.flows) ? spec.flows : [];
    if (spec.stp !== undefined && typeof spec.stp !== "boolean" && spec.stp !== "rstp") {
        add("stp", `${JSON.stringify(spec.stp)} must be true, false or "rstp"`);
    } else if (spec.stp === false && loop) {
        if (flows.length === 0) {
            add("stp", `false, but a ${topology} of ${hosts.length} hosts has loops: broadcast frames would circle forever (use true or "rstp", or a star)`);
        } else {
            notes.push(`${bridge}: a ${topology} of ${hosts.length} hosts has loops and STP is off: the flows must keep frames from circling`);
        }
    }
    const stp = spec.stp ?? loop;
    if (loop && stp !== false) {
        notes.push(
            `${bridge}: a ${topology} of ${hosts.length} hosts has loops; ${stp === "rstp" ? "RSTP" : "STP"} blocks the redundant tunnels${stp === true ? ` (after a change, ports take about 30 s to forward; stp: "rstp" converges faster)` : ""}`,
        );
    }
    if (topology === "full-mesh" && hosts.length > FULL_MESH_NOTE_ABOVE) {
        notes.push(`${hosts.length} hosts in a full mesh make ${(hosts.length * (hosts.length - 1)) / 2} tunnels, most of them blocked by spanning tree; a ring or star converges faster`);
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

    // Docker.
    const docker = spec.docker ?? {};
    const dockerMode = docker.mode ?? DEFAULT_DOCKER_MODE;
    if (!oneOf(DOCKER_MODES, dockerMode)) add("docker.mode", `${JSON.stringify(dockerMode)} is not one of ${DOCKER_MODES.join(", ")}`);
    if (docker.tls !== undefined) {
        for (const k of ["caCert", "cert", "key"] as const) {
            const p = docker.tls[k];
            if (typeof p !== "string" || !p.startsWith("/") || /[\s"'\\]/.test(p)) add(`docker.tls.${k}`, `${JSON.stringify(p)} must be an absolute path without spaces or quotes`);
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
    if (dockerMode === "none" && (docker.hosts !== undefined || docker.tls !== undefined)) {
        add(docker.hosts !== undefined ? "docker.hosts" : "docker.tls", `has no effect with docker.mode "none"`);
    }
    if (dockerMode === "daemon-json" && docker.hosts !== undefined) {
        notes.push(`docker.hosts in daemon.json conflicts with a -H flag on dockerd's command line (Debian's docker.service passes -H fd://): the service needs an override without it`);
    }

    // OS configuration.
    const osFormat = spec.osConfig?.format ?? DEFAULT_OS_CONFIG;
    if (!oneOf(OS_FORMATS, osFormat)) add("osConfig.format", `${JSON.stringify(osFormat)} is not one of ${OS_FORMATS.join(", ")}`);
    const osOvs = spec.osConfig?.ovs ?? true;
    if (typeof osOvs !== "boolean") add("osConfig.ovs", `${JSON.stringify(osOvs)} must be true or false`);

    // MTU.
    const underlayMtu = spec.underlayMtu ?? DEFAULT_UNDERLAY_MTU;
    const mtu = tunnelOk
        ? resolveMtu({
              type: tunnel.type,
              underlayFamily: family ?? 4,
              key: tunnel.type === "gre" && tunnel.key !== undefined,
              optionsLength: tunnel.type === "geneve" ? tunnel.optionsLength ?? 0 : 0,
              vlanTagged: vlans.length > 0,
              underlayMtu,
              mtu: spec.mtu,
          })
        : undefined;
    issues.push(...(mtu?.issues ?? []));

    // Subnets.
    const subnets: SubnetPlan = planSubnets(
        {
            containerNetwork: spec.containerNetwork,
            hostPrefixLength: spec.hostPrefixLength ?? DEFAULT_HOST_PREFIX_LENGTH,
            bridgeAddressBlock: spec.bridgeAddressBlock,
            hosts: hosts.filter((h) => typeof h?.name === "string").map((h) => ({ name: h.name, slot: h.slot, bridgeAddress: h.bridgeAddress })),
        },
        previous ?? {},
    );
    issues.push(...subnets.issues.map((i) => remapHostField(i, hosts)));
    notes.push(...subnets.notes);

    // Port names must be unique on each host: among tunnel ports, and against the other names we use.
    if (tunnelOk) {
        const byName = new Map<string, string>();
        hosts.forEach((h, i) => {
            if (typeof h?.name !== "string") return;
            const port = tunnelPortName(tunnel.type, h.name);
            const other = byName.get(port);
            if (other !== undefined && other !== h.name) {
                add(`hosts[${i}].name`, `its tunnel port name ${port} is also host ${JSON.stringify(other)}'s: rename one of them`);
            }
            byName.set(port, h.name);
            const clash = [bridge, dockerBridge, underlayBridge, ...vlanPorts.keys()].includes(port);
            if (clash) add(`hosts[${i}].name`, `its tunnel port name ${port} is also the name of a bridge or VLAN port of the mesh`);
        });
    }

    if (issues.length > 0 || !tunnelOk || !mtu || family === undefined) return { issues };

    // The plan.
    const mesh = spec.name;
    const ownerIds = { [OWNER_KEY]: mesh };
    const ordered = hosts.map((h) => h.name).sort((a, b) => (subnets.slots[a] ?? 0) - (subnets.slots[b] ?? 0));
    const links = topologyLinks(topology, ordered, spec.hub);
    const addresses = new Map([...underlay].map(([name, p]) => [name, p.address]));
    const cookie = flowCookie(mesh);
    const out: OvsMeshPlan = { hosts: {}, slots: subnets.slots, notes };
    if (datapathType === "netdev" && underlayBridge) {
        notes.push(`datapathType "netdev": each host's underlay address moves onto ${underlayBridge}; remove its physical interface's own address configuration, or both will claim it`);
    }

    for (const h of hosts) {
        const sub = subnets.hosts.get(h.name);
        const endpoint = underlay.get(h.name);
        if (!sub || !endpoint) return { issues: [{ field: "hosts", message: `\`hosts\`: no subnet for ${h.name} (a bug)` }] };
        const tunnelPorts = hostTunnelPorts(h.name, links, tunnel, addresses);
        const underlayPlan =
            underlayBridge !== undefined
                ? {
                      bridge: underlayBridge,
                      // Validated above: every host has a port when there is an underlay bridge.
                      port: h.underlayPort ?? spec.underlayBridge?.port ?? "",
                      address: `${endpoint.address}/${endpoint.prefix ?? (endpoint.family === 4 ? 32 : 128)}`,
                      mtu: underlayMtu,
                  }
                : undefined;
        const hostVlans = vlans.filter((v) => v.hosts === undefined || v.hosts.includes(h.name));
        const records = ovsRecords({
            bridge,
            datapathType,
            stp,
            mtu: mtu.mtu,
            ownerIds,
            tunnelPorts,
            vlans: hostVlans,
            underlay: underlayPlan,
        });
        const hostFlows: FlowPlan[] = flows
            .filter((f) => f.hosts === undefined || f.hosts.includes(h.name))
            .map((f) => flowPlan(bridge, cookie, f.table ?? 0, f.priority, f.match ?? "", f.actions));
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
            ovs: records,
            flows: hostFlows,
            docker: dockerPlan(dockerMode, dockerBridge, sub.slice, mtu.mtu, docker.hosts, docker.tls),
            ...(underlayPlan ? { underlay: underlayPlan } : {}),
            osConfig: { format: h.osConfig ?? osFormat, ovs: osOvs },
        } satisfies HostMeshPlan;
    }
    return { issues, plan: out };
}

function ovsRecords(input: {
    bridge: string;
    datapathType: "system" | "netdev";
    stp: boolean | "rstp";
    mtu: number;
    ownerIds: Record<string, string>;
    tunnelPorts: TunnelPort[];
    vlans: { port: string; tag: number }[];
    underlay?: { bridge: string; port: string; mtu: number };
}): OvsRecords {
    const bridges: OvsBridgeRecord[] = [];
    const ports: OvsPortRecord[] = [];
    const ids = () => ({ ...input.ownerIds });
    if (input.underlay) {
        bridges.push({
            name: input.underlay.bridge,
            datapathType: input.datapathType,
            stpEnable: false,
            rstpEnable: false,
            otherConfig: {},
            externalIds: ids(),
            mtuRequest: input.underlay.mtu,
        });
        ports.push({
            bridge: input.underlay.bridge,
            name: input.underlay.port,
            externalIds: ids(),
            interface: { name: input.underlay.port, type: "", options: {}, externalIds: ids() },
        });
    }
    const localTag = input.vlans.find((v) => v.port === input.bridge)?.tag;
    bridges.push({
        name: input.bridge,
        datapathType: input.datapathType,
        stpEnable: input.stp === true,
        rstpEnable: input.stp === "rstp",
        otherConfig: {},
        externalIds: ids(),
        mtuRequest: input.mtu,
        ...(localTag !== undefined ? { localTag } : {}),
    });
    for (const t of input.tunnelPorts) {
        ports.push({
            bridge: input.bridge,
            name: t.name,
            externalIds: ids(),
            interface: { name: t.name, type: t.type, options: { ...t.options }, externalIds: ids() },
        });
    }
    for (const v of [...input.vlans].filter((v) => v.port !== input.bridge).sort((a, b) => (a.port < b.port ? -1 : 1))) {
        ports.push({
            bridge: input.bridge,
            name: v.port,
            tag: v.tag,
            externalIds: ids(),
            interface: { name: v.port, type: "internal", options: {}, mtuRequest: input.mtu, externalIds: ids() },
        });
    }
    return { bridges, ports };
}

function flowPlan(bridge: string, cookie: string, table: number, priority: number, match: string, actions: string): FlowPlan {
    const m = match.trim();
    const a = actions.trim();
    const text = [`table=${table}`, `priority=${priority}`, `cookie=${cookie}`, ...(m ? [m] : []), `actions=${a}`].join(",");
    return { bridge, table, priority, cookie, match: m, actions: a, text };
}

function dockerPlan(
    mode: DockerPlan["mode"],
    bridge: string,
    slice: string,
    mtu: number,
    hosts: string[] | undefined,
    tls: DockerPlan["options"]["tls"],
): DockerPlan {
    const options = { bridge, fixedCidr: slice, mtu, ...(hosts ? { hosts: [...hosts] } : {}), ...(tls ? { tls: { ...tls } } : {}) };
    if (mode !== "daemon-json") return { mode, options, daemonJson: {} };
    const daemonJson: Record<string, unknown> = { bridge, "fixed-cidr": slice, mtu };
    if (hosts) daemonJson.hosts = [...hosts];
    if (tls) Object.assign(daemonJson, { tlsverify: true, tlscacert: tls.caCert, tlscert: tls.cert, tlskey: tls.key });
    return { mode, options, daemonJson };
}

/**
 * The arguments of one `ovs-vsctl` transaction that creates or corrects every record of one host (after
 * global options such as `--timeout=10`), removing first the `stale` ports and bridges we own that the
 * plan no longer has. Map columns we fully own (`options`) are replaced; shared ones (`external_ids`,
 * `other_config`) are set key by key, so keys others put there stay.
 */
export function ovsVsctlArgs(records: OvsRecords, stale: { ports?: readonly string[]; bridges?: readonly string[] } = {}): string[] {
    const cmds: string[][] = [];
    for (const p of stale.ports ?? []) cmds.push(["--if-exists", "del-port", p]);
    for (const b of stale.bridges ?? []) cmds.push(["--if-exists", "del-br", b]);
    for (const b of records.bridges) {
        cmds.push(["--may-exist", "add-br", b.name]);
        cmds.push([
            "set",
            "bridge",
            b.name,
            `datapath_type=${b.datapathType}`,
            `stp_enable=${b.stpEnable}`,
            `rstp_enable=${b.rstpEnable}`,
            ...mapKeys("other_config", b.otherConfig),
            ...mapKeys("external_ids", b.externalIds),
        ]);
        if (b.mtuRequest !== undefined) cmds.push(["set", "interface", b.name, `mtu_request=${b.mtuRequest}`]);
        cmds.push(b.localTag !== undefined ? ["set", "port", b.name, `tag=${b.localTag}`] : ["clear", "port", b.name, "tag"]);
    }
    for (const p of records.ports) {
        cmds.push(["--may-exist", "add-port", p.bridge, p.name]);
        cmds.push(p.tag !== undefined ? ["set", "port", p.name, `tag=${p.tag}`] : ["clear", "port", p.name, "tag"]);
        cmds.push(["set", "port", p.name, ...mapKeys("external_ids", p.externalIds)]);
        const i = p.interface;
        const set = ["set", "interface", i.name];
        if (i.type !== "") set.push(`type=${i.type}`);
        if (i.type !== "" && i.type !== "internal") set.push(`options=${ovsMap(i.options)}`);
        if (i.mtuRequest !== undefined) set.push(`mtu_request=${i.mtuRequest}`);
        set.push(...mapKeys("external_ids", i.externalIds));
        cmds.push(set);
    }
    return cmds.flatMap((c, n) => (n === 0 ? c : ["--", ...c]));
}

/** `column:key=value` arguments, one per key, sorted. */
function mapKeys(column: string, map: Record<string, string>): string[] {
    return Object.keys(map)
        .sort()
        .map((k) => `${column}:${ovsAtom(k)}=${ovsAtom(map[k])}`);
}

/** A whole map value: `{k1=v1,k2=v2}`, sorted. */
function ovsMap(map: Record<string, string>): string {
    return `{${Object.keys(map)
        .sort()
        .map((k) => `${ovsAtom(k)}=${ovsAtom(map[k])}`)
        .join(",")}}`;
}

/** An OVSDB string atom: bare when plain, else double-quoted (IPv6 addresses contain ':'). */
export function ovsAtom(value: string): string {
    return /^[A-Za-z0-9_.-]+$/.test(value) ? value : `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function remapHostField(i: ValidationIssue, hosts: OvsMeshSpec["hosts"]): ValidationIssue {
    // planSubnets numbers only hosts with a string name; map its indexes back to the declaration's.
    const named = hosts.map((h, idx) => (typeof h?.name === "string" ? idx : -1)).filter((idx) => idx >= 0);
    if (named.length === hosts.length) return i;
    const m = /^hosts\[(\d+)\]/.exec(i.field);
    if (!m) return i;
    const real = named[Number(m[1])];
    const field = i.field.replace(/^hosts\[\d+\]/, `hosts[${real}]`);
    return { field, message: i.message.replace(`\`${i.field}\``, `\`${field}\``) };
}

function isUnusableEndpoint(p: ParsedAddress): boolean {
    return p.ip.isMulticast() || p.ip.isLoopback() || p.ip.isUnspecified();
}

function checkIfName(add: (field: string, text: string) => void, field: string, name: unknown): void {
    if (typeof name !== "string" || !isValidIfName(name)) {
        add(field, `${JSON.stringify(name)} must be 1-15 letters, digits, "_", "." or "-", starting with a letter or digit (an interface name)`);
    }
}

function checkHostList(add: (field: string, text: string) => void, field: string, list: unknown, hostIndex: Map<string, number>): void {
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
