/**
 * An Open vSwitch mesh as the validator returns it (`ParsedOvsMesh`: defaults applied, addresses parsed,
 * MTU and subnets computed, once) and what the planner derives from it per host (`HostMeshPlan`). The
 * input itself is declared in args.ts.
 */
import type { Unwrap } from "@pulumi/pulumi/output";
import type { ParsedAddress } from "../../model/address";
import type { DatapathType, DockerConfigMode, DockerTlsSpec, FlowSpec, MeshTopology, OsConfigFormat, OvsTunnelSpec, TunnelType, VlanSpec } from "./args";
import type { MtuResult } from "./mtu";
import type { HostSubnet } from "./subnets";

export type { DatapathType, DockerConfigMode, MeshTopology, OsConfigFormat, TunnelType } from "./args";

/** The tunnel settings, known. */
export type Tunnel = Unwrap<OvsTunnelSpec>;

/** One host, parsed. */
interface ParsedOvsHost {
    name: string;
    underlay: ParsedAddress;
    underlayPort?: string;
    /** The host's own format, else the mesh's. */
    osFormat: OsConfigFormat;
    /** Its slot, slice and bridge address. */
    subnet: HostSubnet;
    /** Its tunnel ports' names by peer, where given (ports made by hand); the others are `<type>-<peer>`. */
    tunnelPortNames?: Record<string, string>;
}

/** A mesh the validator accepted, every default applied: all the planner takes. */
export interface ParsedOvsMesh {
    name: string;
    hosts: ParsedOvsHost[];
    bridge: string;
    dockerBridge: string;
    datapathType: DatapathType;
    /** Present with an underlay bridge (datapathType "netdev"). */
    underlayBridge?: { name: string; port?: string };
    tunnel: Tunnel;
    topology: MeshTopology;
    hub?: string;
    /** Whether the topology has a loop, and the spanning tree (the explicit one, else on where there is a loop). */
    loop: boolean;
    stp: boolean | "rstp";
    underlayMtu: number;
    mtu: MtuResult;
    /** Every host's slot, to keep in state. */
    slots: Record<string, number>;
    /** What slot assignment wants the user to know (slots reused or moved). */
    slotNotes: string[];
    vlans: Unwrap<VlanSpec>[];
    flows: Unwrap<FlowSpec>[];
    docker: { mode: DockerConfigMode; hosts?: string[]; tls?: Unwrap<DockerTlsSpec> };
    osConfig: { format: OsConfigFormat; ovs: boolean };
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
/** The documented default of `osConfig.ovs`: OVSDB alone keeps the bridges (see `OsConfigSpec`). */
export const DEFAULT_OS_CONFIG_OVS = false;
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
    tls?: Unwrap<DockerTlsSpec>;
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
