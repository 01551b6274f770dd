/**
 * The resolved (plain, non-Input) shape of an Open vSwitch mesh for multi-host Docker networking, as the
 * validator, the planner and the renderers see it: the declaration (`OvsMeshSpec`, mirroring the SDK's
 * `OvsMeshArgs` once its inputs are known) and what the planner derives from it per host (`HostMeshPlan`).
 */

/** The encapsulation between hosts. */
export type TunnelType = "gre" | "vxlan" | "geneve";
/** Which hosts get a tunnel to which: every pair, a ring, or each to one hub. */
export type MeshTopology = "full-mesh" | "ring" | "star";
/** The OVS datapath: the kernel's ("system") or the userspace one ("netdev", as with DPDK). */
export type DatapathType = "system" | "netdev";
/** Where Docker's options go: daemon.json keys, the legacy DOCKER_OPTS file, or nowhere. */
export type DockerConfigMode = "daemon-json" | "default-file" | "none";
/** How the Docker bridge persists across reboots: Debian interfaces.d stanzas, RHEL ifcfg files, or not at all. */
export type OsConfigFormat = "interfaces" | "ifcfg" | "none";

/** One host of the mesh. */
export interface OvsHostSpec {
    /** Unique name ("host1"): keys the slot, names the tunnel ports that lead to it, and the child resource. Letters, digits, `_`, `.`, `-`; at most 63 characters. No default. */
    name: string;
    /** The tunnel endpoint: the address other hosts send tunnel packets to, bare ("1.1.1.1") or as CIDR ("10.0.0.1/24"; required with datapathType "netdev", where the address moves onto the underlay bridge). All hosts in one address family. No default. */
    underlayAddress: string;
    /** Fixed slice index, 1 or more (slice 0 is reserved for bridge addresses). Default: the slot this host had before (see `planOvsMesh`'s `previous`), else the lowest free slot. */
    slot?: number;
    /** This host's address on the Docker bridge, bare or as CIDR with the container network's prefix length. Default: the `slot`-th address of `bridgeAddressBlock`. */
    bridgeAddress?: string;
    /** The physical interface put on the underlay bridge (datapathType "netdev"). Default: `underlayBridge.port`. */
    underlayPort?: string;
    /** How this host's network config is persisted. Default: the mesh's `osConfig.format`. */
    osConfig?: OsConfigFormat;
}

/** The tunnels between hosts. */
export interface OvsTunnelSpec {
    /** Encapsulation. No default. */
    type: TunnelType;
    /** GRE key (0-4294967295) or VXLAN/Geneve VNI (0-16777215); "flow" lets OpenFlow rules set it (seed 004). Default: none (GRE without a key; VNI 0). */
    key?: number | "flow";
    /** VXLAN/Geneve VNI, 0-16777215: another name for `key` on those types. Default: none. */
    vni?: number;
    /** UDP destination port (VXLAN/Geneve only), 1-65535. Default: OVS's (4789 for VXLAN, 6081 for Geneve). */
    dstPort?: number;
    /** Bytes of Geneve TLV options the tunnel will carry (a multiple of 4, 0-252): counted in the MTU. Default: 0. */
    optionsLength?: number;
}

/** TLS for a TCP Docker API listener: paths on the host. */
interface DockerTlsSpec {
    /** `tlscacert`: the CA that signs client certificates (absolute path). No default. */
    caCert: string;
    /** `tlscert`: the daemon's certificate (absolute path). No default. */
    cert: string;
    /** `tlskey`: the daemon's key (absolute path). No default. */
    key: string;
}

/** How the Docker daemon is told about the bridge, its slice and the MTU. */
export interface DockerSpec {
    /** "daemon-json": merge owned keys into /etc/docker/daemon.json; "default-file": the legacy DOCKER_OPTS line in /etc/default/docker (seed 003); "none": leave Docker alone. Default: "daemon-json". */
    mode?: DockerConfigMode;
    /** API listeners (`-H`/`hosts`): "unix:///path", "fd://", or "tcp://addr:port" only together with `tls`. Default: none (Docker's own, the unix socket). */
    hosts?: string[];
    /** TLS for TCP listeners; turns on `tlsverify`. Default: none. */
    tls?: DockerTlsSpec;
}

/** The OVS bridge that holds the tunnel endpoint address (datapathType "netdev"). */
interface UnderlayBridgeSpec {
    /** The bridge's name. Default: "br-phy". */
    name?: string;
    /** The physical interface to put on it, e.g. "eth1"; its address moves to the bridge. Default: none (each host's `underlayPort` is then required). */
    port?: string;
}

/** A VLAN tag on a port of the mesh bridge (seed 004). */
interface VlanSpec {
    /** The port: the mesh bridge's own name tags its local port (the Docker bridge's uplink, so all of that host's containers); any other name is an internal port that the mesh creates with this tag. No default. */
    port: string;
    /** The 802.1Q tag, 1-4094. No default. */
    tag: number;
    /** Host names the tag applies on. Default: every host. */
    hosts?: string[];
}

/** An OpenFlow rule on the mesh bridge (seed 004), added with `ovs-ofctl` under the mesh's cookie. */
interface FlowSpec {
    /** `priority`, 0-65535 (higher matches first). No default. */
    priority: number;
    /** Match fields in ovs-ofctl syntax ("in_port=vxlan-host2,dl_type=0x0800"). Default: none (matches everything). */
    match?: string;
    /** `actions` in ovs-ofctl syntax ("output:gre-host1", "drop", "NORMAL"). No default. */
    actions: string;
    /** OpenFlow table, 0-254. Default: 0. */
    table?: number;
    /** Host names the rule is added on. Default: every host. */
    hosts?: string[];
}

/** Where and how the bridges are written into the OS network configuration (so they come back at boot). */
interface OsConfigSpec {
    /** "interfaces": Debian /etc/network/interfaces.d stanzas; "ifcfg": RHEL network-scripts; "none": OVSDB only, no Docker bridge at boot. Default: "interfaces". */
    format?: OsConfigFormat;
    /** Also declare the OVS bridge and its ports there (`allow-ovs`/`ovs_type`, `DEVICETYPE=ovs`) as seed 003 does, so boot brings them up before the Docker bridge; OVSDB persists them either way. Default: true here (seed 003); the SDK passes false unless the user sets it. */
    ovs?: boolean;
}

/** A whole mesh: one OVS bridge per host, tunnels between them, a Docker bridge on top. */
export interface OvsMeshSpec {
    /** The mesh's name, stored as `external_ids:pulumi-onprem` on every OVS record it creates (usually the resource name). Letters, digits, `_`, `.`, `-`, at most 63. No default. */
    name: string;
    /** The hosts. No default. */
    hosts: OvsHostSpec[];
    /** The OVS bridge on every host. Default: "br0". */
    bridge?: string;
    /** Tunnel type and options. No default. */
    tunnel: OvsTunnelSpec;
    /** Which host pairs get a tunnel: every pair, a ring in slot order, or a star around `hub`. Default: "full-mesh". */
    topology?: MeshTopology;
    /** The hub's host name (topology "star"). No default. */
    hub?: string;
    /** Spanning tree on the bridge: true for STP (seed 003), "rstp" for RSTP (faster convergence), false for none. Default: true when the topology has a loop (full mesh or ring of 3 or more), else false. */
    stp?: boolean | "rstp";
    /** MTU of the underlay network that carries the tunnels. Default: 1500. */
    underlayMtu?: number;
    /** MTU on the bridges and in Docker; at most the underlay MTU minus the tunnel overhead. Default: that maximum (1462 for GRE over a 1500 underlay). */
    mtu?: number;
    /** The container network shared by all hosts, an IPv4 CIDR ("172.17.0.0/16"). No default. */
    containerNetwork: string;
    /** Prefix length of each host's slice of `containerNetwork` (Docker's `fixed-cidr`); seed 003 uses 18. Default: 24. */
    hostPrefixLength?: number;
    /** Where bridge addresses come from: a CIDR inside slice 0 of `containerNetwork`; slot N gets its N-th address (seed 003: "172.17.42.0/24"). Default: slice 0 itself. */
    bridgeAddressBlock?: string;
    /** The Linux bridge Docker attaches containers to; joined to the OVS bridge. Default: "docker0". */
    dockerBridge?: string;
    /** Docker daemon options. Default: `{ mode: "daemon-json" }`. */
    docker?: DockerSpec;
    /** OVS datapath: "system" (kernel module) or "netdev" (userspace, e.g. DPDK; needs `underlayBridge`). Default: "system". */
    datapathType?: DatapathType;
    /** The bridge holding the tunnel endpoint address; required with datapathType "netdev". Default: none. */
    underlayBridge?: UnderlayBridgeSpec;
    /** VLAN tags (seed 004). Default: none. */
    vlans?: VlanSpec[];
    /** OpenFlow rules (seed 004). Default: none (the bridge's own NORMAL flow). */
    flows?: FlowSpec[];
    /** OS network configuration. Default: `{ format: "interfaces", ovs: true }`. */
    osConfig?: OsConfigSpec;
}

export const DEFAULT_BRIDGE = "br0";
export const DEFAULT_DOCKER_BRIDGE = "docker0";
export const DEFAULT_UNDERLAY_BRIDGE = "br-phy";
export const DEFAULT_UNDERLAY_MTU = 1500;
export const DEFAULT_HOST_PREFIX_LENGTH = 24;
export const DEFAULT_TOPOLOGY: MeshTopology = "full-mesh";
export const DEFAULT_DATAPATH: DatapathType = "system";
export const DEFAULT_DOCKER_MODE: DockerConfigMode = "daemon-json";
export const DEFAULT_OS_CONFIG: OsConfigFormat = "interfaces";
/** The external_ids key that marks OVS records as ours; its value is the mesh name. */
export const OWNER_KEY = "pulumi-onprem";

/** A tunnel port on one host, leading to one peer. */
export interface TunnelPort {
    /** OVS port and interface name, at most 15 characters ("gre-host2"). */
    name: string;
    type: TunnelType;
    /** The peer's host name. */
    peer: string;
    /** The peer's underlay address, bare. */
    remoteIp: string;
    /** Interface `options` (remote_ip, key, dst_port), all as strings. */
    options: Record<string, string>;
}

/** An OVS Interface record we own. */
interface OvsInterfaceRecord {
    name: string;
    /** "" is a system interface (a NIC put on the bridge). */
    type: "" | "internal" | TunnelType;
    options: Record<string, string>;
    mtuRequest?: number;
    externalIds: Record<string, string>;
}

/** An OVS Port record we own, with its single interface. */
export interface OvsPortRecord {
    bridge: string;
    name: string;
    tag?: number;
    externalIds: Record<string, string>;
    interface: OvsInterfaceRecord;
}

/** An OVS Bridge record we own; its local port (same name) is an internal interface. */
export interface OvsBridgeRecord {
    name: string;
    datapathType: DatapathType;
    stpEnable: boolean;
    rstpEnable: boolean;
    otherConfig: Record<string, string>;
    externalIds: Record<string, string>;
    /** `mtu_request` on the local (internal) interface. */
    mtuRequest?: number;
    /** VLAN tag on the local port. */
    localTag?: number;
}

/** Everything in OVSDB that the mesh ensures on one host, in creation order (underlay bridge first). */
export interface OvsRecords {
    bridges: OvsBridgeRecord[];
    ports: OvsPortRecord[];
}

/** An OpenFlow rule on one host. */
export interface FlowPlan {
    bridge: string;
    table: number;
    priority: number;
    /** The mesh's cookie ("0x..."), so its rules can be dumped and deleted with `cookie=C/-1`. */
    cookie: string;
    match: string;
    actions: string;
    /** The rule as `ovs-ofctl add-flow` takes it: "table=0,priority=4,cookie=0x...,in_port=...,actions=...". */
    text: string;
}

/**
 * Docker daemon options for one host, by their dockerd names: `bip` (the bridge address) for Docker's own
 * docker0, whose address dockerd resets to the network's first host at every start; `bridge` for a bridge
 * of another name, whose address dockerd takes as it finds it. Docker refuses both together.
 */
export interface DockerOptions {
    bridge?: string;
    bip?: string;
    fixedCidr: string;
    mtu: number;
    hosts?: string[];
    tls?: DockerTlsSpec;
}

/** The Docker part of a host's plan. */
export interface DockerPlan {
    mode: DockerConfigMode;
    options: DockerOptions;
    /** The daemon.json keys the mesh owns, with their values (empty unless mode is "daemon-json"). */
    daemonJson: Record<string, unknown>;
}

/** The underlay bridge on one host (datapathType "netdev"). */
export interface UnderlayPlan {
    bridge: string;
    /** The physical interface put on it. */
    port: string;
    /** The tunnel endpoint address with its prefix, moved onto the bridge. */
    address: string;
    mtu: number;
}

/** What the mesh wants on one host. */
export interface HostMeshPlan {
    name: string;
    mesh: string;
    slot: number;
    /** This host's slice of the container network (Docker's fixed-cidr), e.g. "172.17.64.0/18". */
    slice: string;
    /** The Docker bridge's address with the container network's prefix, e.g. "172.17.42.1/16". */
    bridgeAddress: string;
    /** The MTU on the bridges and in Docker. */
    mtu: number;
    /** The largest MTU the tunnels allow. */
    maxMtu: number;
    /** This host's tunnel endpoint, bare. */
    underlayAddress: string;
    bridge: string;
    dockerBridge: string;
    tunnelPorts: TunnelPort[];
    ovs: OvsRecords;
    flows: FlowPlan[];
    docker: DockerPlan;
    underlay?: UnderlayPlan;
    osConfig: { format: OsConfigFormat; ovs: boolean };
}

/** The whole plan. */
export interface OvsMeshPlan {
    hosts: Record<string, HostMeshPlan>;
    /** Every host's slot, to persist and pass back as `previous` next time (this is what keeps slices stable). */
    slots: Record<string, number>;
    /** Things worth telling the user (loops, quarantined slots, conflicts to watch for); not errors. */
    notes: string[];
}
