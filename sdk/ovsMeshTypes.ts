/**
 * The public option types of `OvsMesh` (see sdk/ovsMesh.ts). Fields a user may wire from another
 * resource (addresses, ports, keys, paths) accept `pulumi.Input`.
 */
import * as pulumi from "./pulumi";

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
    type: TunnelType;
    /** GRE key (0-4294967295) or VXLAN/Geneve VNI (0-16777215); "flow" lets OpenFlow rules set it (seed 004). Defaults to none (GRE without a key; VNI 0). */
    key?: pulumi.Input<number | "flow">;
    /** VXLAN/Geneve VNI, 0-16777215: another name for `key` on those types. Defaults to none. */
    vni?: pulumi.Input<number>;
    /** UDP destination port (VXLAN/Geneve only), 1-65535. Defaults to OVS's (4789 for VXLAN, 6081 for Geneve). */
    dstPort?: pulumi.Input<number>;
    /** Bytes of Geneve TLV options the tunnel will carry (a multiple of 4, 0-252): counted in the MTU. Defaults to 0. */
    optionsLength?: pulumi.Input<number>;
}

/** TLS for a TCP Docker API listener: paths on the host. */
export interface DockerTlsSpec {
    /** `tlscacert`: the CA that signs client certificates (absolute path). No default. */
    caCert: pulumi.Input<string>;
    /** `tlscert`: the daemon's certificate (absolute path). No default. */
    cert: pulumi.Input<string>;
    /** `tlskey`: the daemon's key (absolute path). No default. */
    key: pulumi.Input<string>;
}

/** How the Docker daemon is told about the bridge, its slice and the MTU. */
export interface DockerSpec {
    /** "daemon-json": merge owned keys into /etc/docker/daemon.json; "default-file": the legacy DOCKER_OPTS line in /etc/default/docker (seed 003); "none": leave Docker alone. Defaults to "daemon-json". */
    mode?: DockerConfigMode;
    /** API listeners (`-H`/`hosts`): "unix:///path", "fd://", or "tcp://addr:port" only together with `tls`. Defaults to none (Docker's own, the unix socket). */
    hosts?: pulumi.Input<pulumi.Input<string>[]>;
    /** TLS for TCP listeners; turns on `tlsverify`. Defaults to none. */
    tls?: DockerTlsSpec;
}

/** The OVS bridge that holds the tunnel endpoint address (datapathType "netdev"). */
export interface UnderlayBridgeSpec {
    /** The bridge's name. Defaults to "br-phy". */
    name?: string;
    /** The physical interface to put on it, e.g. "eth1"; its address moves to the bridge. Defaults to none (each host's `underlayPort` is then required). */
    port?: pulumi.Input<string>;
}

/** A VLAN tag on a port of the mesh bridge (seed 004). */
export interface VlanSpec {
    /** The port: the mesh bridge's own name tags its local port (the Docker bridge's uplink, so all of that host's containers); any other name is an internal port that the mesh creates with this tag. No default. */
    port: string;
    /** The 802.1Q tag, 1-4094. No default. */
    tag: pulumi.Input<number>;
    /** Host names the tag applies on. Defaults to every host. */
    hosts?: string[];
}

/** An OpenFlow rule on the mesh bridge (seed 004), added with `ovs-ofctl` under the mesh's cookie. */
export interface FlowSpec {
    /** `priority`, 0-65535 (higher matches first). No default. */
    priority: number;
    /** Match fields in ovs-ofctl syntax ("in_port=vxlan-host2,dl_type=0x0800"). Defaults to none (matches everything). */
    match?: pulumi.Input<string>;
    /** `actions` in ovs-ofctl syntax ("output:gre-host1", "drop", "NORMAL"). No default. */
    actions: pulumi.Input<string>;
    /** OpenFlow table, 0-254. Defaults to 0. */
    table?: number;
    /** Host names the rule is added on. Defaults to every host. */
    hosts?: string[];
}

/**
 * Where and how the bridges are written into the OS network configuration (so they come back at boot).
 * OVSDB keeps the bridges across restarts by itself, while Debian's openvswitch-switch deletes `allow-ovs`
 * bridges on every stop (taking their ports down) and recreates them from the stanzas on start, without
 * what only OVSDB holds: hence `ovs` is off unless asked for.
 */
export interface OsConfigSpec {
    /** "interfaces": Debian /etc/network/interfaces.d stanzas; "ifcfg": RHEL network-scripts; "none": OVSDB only, no Docker bridge at boot. Defaults to "interfaces". */
    format?: OsConfigFormat;
    /** Also declare the OVS bridge and its ports there (`allow-ovs`/`ovs_type`, `DEVICETYPE=ovs`) as seed 003 does. Defaults to false. */
    ovs?: boolean;
}
