/**
 * The inputs of `OvsMesh`, declared once: the SDK exports these, and the validator takes them resolved
 * (`OvsMeshInput`, every Input unwrapped), so a field is added here and nowhere else. Only the host list
 * and each host's name are plain: they decide the child resources, which cannot wait for an Output.
 */
import type { Input, Unwrap } from "@pulumi/pulumi/output";
import type { ConnectionArgs } from "../../contract/connection";

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

/** The tunnels between hosts. */
export interface OvsTunnelSpec {
    /** Encapsulation. No default. */
    type: Input<TunnelType>;
    /** GRE key (0-4294967295) or VXLAN/Geneve VNI (0-16777215); "flow" lets OpenFlow rules set it (seed 004). Defaults to none (GRE without a key; VNI 0). */
    key?: Input<number | "flow">;
    /** VXLAN/Geneve VNI, 0-16777215: another name for `key` on those types. Defaults to none. */
    vni?: Input<number>;
    /** UDP destination port (VXLAN/Geneve only), 1-65535. Defaults to OVS's (4789 for VXLAN, 6081 for Geneve). */
    dstPort?: Input<number>;
    /** Bytes of Geneve TLV options the tunnel will carry (a multiple of 4, 0-252): counted in the MTU. Defaults to 0. */
    optionsLength?: Input<number>;
}

/** TLS for a TCP Docker API listener: paths on the host. */
export interface DockerTlsSpec {
    /** `tlscacert`: the CA that signs client certificates (absolute path). No default. */
    caCert: Input<string>;
    /** `tlscert`: the daemon's certificate (absolute path). No default. */
    cert: Input<string>;
    /** `tlskey`: the daemon's key (absolute path). No default. */
    key: Input<string>;
}

/** How the Docker daemon is told about the bridge, its slice and the MTU. */
export interface DockerSpec {
    /** "daemon-json": merge owned keys into /etc/docker/daemon.json; "default-file": the legacy DOCKER_OPTS line in /etc/default/docker (seed 003); "none": leave Docker alone. Defaults to "daemon-json". */
    mode?: Input<DockerConfigMode>;
    /** API listeners (`-H`/`hosts`): "unix:///path", "fd://", or "tcp://addr:port" only together with `tls`. Defaults to none (Docker's own, the unix socket). */
    hosts?: Input<Input<string>[]>;
    /** TLS for TCP listeners; turns on `tlsverify`. Defaults to none. */
    tls?: Input<DockerTlsSpec>;
}

/** The OVS bridge that holds the tunnel endpoint address (datapathType "netdev"). */
export interface UnderlayBridgeSpec {
    /** The bridge's name. Defaults to "br-phy". */
    name?: Input<string>;
    /** The physical interface to put on it, e.g. "eth1"; its address moves to the bridge. Defaults to none (each host's `underlayPort` is then required). */
    port?: Input<string>;
}

/** A VLAN tag on a port of the mesh bridge (seed 004). */
export interface VlanSpec {
    /** The port: the mesh bridge's own name tags its local port (the Docker bridge's uplink, so all of that host's containers); any other name is an internal port that the mesh creates with this tag. No default. */
    port: Input<string>;
    /** The 802.1Q tag, 1-4094. No default. */
    tag: Input<number>;
    /** Host names the tag applies on. Defaults to every host. */
    hosts?: Input<Input<string>[]>;
}

/** An OpenFlow rule on the mesh bridge (seed 004), added with `ovs-ofctl` under the mesh's cookie. */
export interface FlowSpec {
    /** `priority`, 0-65535 (higher matches first). No default. */
    priority: Input<number>;
    /** Match fields in ovs-ofctl syntax ("in_port=vxlan-host2,dl_type=0x0800"). Defaults to none (matches everything). */
    match?: Input<string>;
    /** `actions` in ovs-ofctl syntax ("output:gre-host1", "drop", "NORMAL"). No default. */
    actions: Input<string>;
    /** OpenFlow table, 0-254. Defaults to 0. */
    table?: Input<number>;
    /** Host names the rule is added on. Defaults to every host. */
    hosts?: Input<Input<string>[]>;
}

/**
 * Where and how the bridges are written into the OS network configuration (so they come back at boot).
 * OVSDB keeps the bridges across restarts by itself, while Debian's openvswitch-switch deletes `allow-ovs`
 * bridges on every stop (taking their ports down) and recreates them from the stanzas on start, without
 * what only OVSDB holds: hence `ovs` is off unless asked for.
 */
export interface OsConfigSpec {
    /** "interfaces": Debian /etc/network/interfaces.d stanzas; "ifcfg": RHEL network-scripts; "none": OVSDB only, no Docker bridge at boot. Defaults to "interfaces". */
    format?: Input<OsConfigFormat>;
    /** Also declare the OVS bridge and its ports there (`allow-ovs`/`ovs_type`, `DEVICETYPE=ovs`) as seed 003 does. Defaults to false. */
    ovs?: Input<boolean>;
}

/** One host of the mesh. */
export interface OvsMeshHostArgs {
    /** The host's name: keys its slot, names the tunnel ports that lead to it and its child resource (so a plain string, known when the program runs). No default. */
    name: string;
    /** How to reach the host. No default. */
    connection: Input<ConnectionArgs>;
    /** The tunnel endpoint other hosts send to, bare ("192.0.2.11") or as CIDR ("192.0.2.11/24", required with datapathType "netdev"). No default. */
    underlayAddress: Input<string>;
    /** Fixed slice index (1 or more) of the container network. Defaults to the slot the host had before, else the lowest free one. */
    slot?: Input<number>;
    /** The host's address on the Docker bridge. Defaults to the `slot`-th address of `bridgeAddressBlock`. */
    bridgeAddress?: Input<string>;
    /** The physical interface put on the underlay bridge (datapathType "netdev"). Defaults to `underlayBridge.port`. */
    underlayPort?: Input<string>;
    /** How this host's network config is persisted: "interfaces" (Debian), "ifcfg" (RHEL) or "none". Defaults to the mesh's `osConfig.format`. */
    osConfig?: Input<OsConfigFormat>;
    /** The names of this host's tunnel ports, by peer host name, for ports made by hand before (seed 003's gre0, gre1): kept instead of re-created. Defaults to `<type>-<peer>` for every peer. */
    tunnelPortNames?: Input<Record<string, string>>;
}

/** Inputs of `OvsMesh`. */
export interface OvsMeshArgs {
    /** The hosts; a plain list, since it decides how many child resources exist. No default. */
    hosts: OvsMeshHostArgs[];
    /** The OVS bridge on every host. Defaults to "br0". */
    bridge?: Input<string>;
    /** Tunnel type ("gre", "vxlan", "geneve") and its key/VNI, UDP port, Geneve option length. No default. */
    tunnel: Input<OvsTunnelSpec>;
    /** Which host pairs get a tunnel: "full-mesh", "ring" (in slot order) or "star" around `hub`. Defaults to "full-mesh". */
    topology?: Input<MeshTopology>;
    /** The star's centre (topology "star"). No default. */
    hub?: Input<string>;
    /** Spanning tree on the bridge: true (STP), "rstp" or false. Defaults to true when the topology has a loop. */
    stp?: Input<boolean | "rstp">;
    /** MTU of the network that carries the tunnels. Defaults to 1500. */
    underlayMtu?: Input<number>;
    /** MTU on the bridges and in Docker; at most the underlay MTU minus the tunnel overhead. Defaults to that maximum (1462 for GRE). */
    mtu?: Input<number>;
    /** The container network all hosts share, e.g. "172.17.0.0/16"; slice 0 holds the bridge addresses. No default. */
    containerNetwork: Input<string>;
    /** Prefix length of each host's slice (Docker's fixed-cidr). Defaults to 24. */
    hostPrefixLength?: Input<number>;
    /** Where bridge addresses come from: a CIDR inside slice 0 (seed 003: "172.17.42.0/24"). Defaults to slice 0. */
    bridgeAddressBlock?: Input<string>;
    /** The Linux bridge Docker attaches containers to, joined to the OVS bridge: "docker0" is told to Docker as `bip` (its address), another name as `bridge`. Defaults to "docker0". */
    dockerBridge?: Input<string>;
    /** Docker daemon options: mode "daemon-json" (owned keys merged into daemon.json), "default-file" (DOCKER_OPTS) or "none"; API `hosts`, `tls`. Defaults to `{ mode: "daemon-json" }`. */
    docker?: Input<DockerSpec>;
    /** OVS datapath: "system" (kernel) or "netdev" (userspace, e.g. DPDK; needs `underlayBridge`). Defaults to "system". */
    datapathType?: Input<DatapathType>;
    /** The OVS bridge that takes over the tunnel endpoint address (datapathType "netdev"): name and physical port. Defaults to none. */
    underlayBridge?: Input<UnderlayBridgeSpec>;
    /** VLAN tags on ports of the mesh bridge (the bridge's own name tags the Docker uplink). Defaults to none. */
    vlans?: Input<Input<VlanSpec>[]>;
    /** OpenFlow rules on the mesh bridge, kept under the mesh's cookie. Defaults to none (the bridge's NORMAL flow). */
    flows?: Input<Input<FlowSpec>[]>;
    /** OS network config: `format` ("interfaces", "ifcfg", "none") and `ovs`, whether it also declares the OVS bridges and ports (seed 003's `allow-ovs` stanzas). Defaults to `{ format: "interfaces", ovs: false }`. */
    osConfig?: Input<OsConfigSpec>;
    /** Install Open vSwitch where it is missing. Defaults to true. */
    ensurePackages?: Input<boolean>;
}

/** One host as the validator takes it: known, without its connection (which only its host child needs). */
export type OvsHostInput = Unwrap<Omit<OvsMeshHostArgs, "connection">>;

/** The mesh as the validator takes it: every Input known, and the mesh's name (the resource's). */
export type OvsMeshInput = Unwrap<Omit<OvsMeshArgs, "hosts">> & { name: string; hosts: OvsHostInput[] };
