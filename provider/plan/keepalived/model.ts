/**
 * The shapes of a keepalived cluster: resolved (`Unwrap` of the Args in args.ts, where every field is
 * documented) as the parser takes them, and parsed (`ParsedKeepalived`: defaults applied, addresses
 * read through the address model) as the planner, renderer and host work take them.
 */
import type { Unwrap } from "@pulumi/pulumi/output";
import type { IpFamily, ParsedAddress } from "../../model/address";
import type {
    GlobalDefsArgs, HealthCheckArgs, KeepalivedClusterInput, KeepalivedScriptFileArgs, LvsScheduler, NotifyArgs, RealServerArgs, TrackInterfaceArgs, TrackScriptRefArgs, VipArgs,
    VirtualServerArgs, VrrpInstanceArgs, VrrpScriptArgs,
} from "./args";

export type KeepalivedClusterSpec = KeepalivedClusterInput;
export type KeepalivedNodeSpec = KeepalivedClusterInput["nodes"][number];
export type VrrpInstanceSpec = Unwrap<VrrpInstanceArgs>;
type VipSpec = Unwrap<VipArgs>;
type TrackScriptRef = Unwrap<TrackScriptRefArgs>;
export type VirtualServerSpec = Unwrap<VirtualServerArgs>;
export type HealthCheckSpec = Unwrap<HealthCheckArgs>;

/** A node as `parseKeepalived` returns it: its address parsed, its `router_id` resolved. */
interface ParsedKeepalivedNode {
    name: string;
    interface: string;
    /** The node's address on the VRRP interface, through the address model (`.address` is bare and canonical). */
    address: ParsedAddress;
    /** The node's `routerId`, else `globalDefs.routerId`, else its name. */
    routerId: string;
}

/** A VIP as given (its text is rendered as is), with its address parsed. */
type ParsedVip = VipSpec & { parsed: ParsedAddress };

/** An instance with its defaults applied. */
export type ParsedVrrpInstance = Omit<VrrpInstanceSpec, "interface" | "vips" | "master" | "priorities" | "advertInt" | "preempt" | "trackScripts" | "trackInterfaces" | "notify"> & {
    /** Per node name, the interface it runs on there: `interface`, else the node's own. */
    interfaces: Record<string, string>;
    vips: ParsedVip[];
    /** The family of its VIPs. */
    family: IpFamily;
    /** Every node's priority: as given, else derived from `master` (the first node by default). */
    priorities: Record<string, number>;
    advertInt: number;
    preempt: boolean;
    /** The multicast group its adverts use when multicast: `mcastGroup`, else `globalDefs.vrrpMcastGroup4` (IPv4), else keepalived's. */
    advertGroup: string;
    trackScripts: TrackScriptRef[];
    trackInterfaces: Unwrap<TrackInterfaceArgs>[];
    notify: Unwrap<NotifyArgs>;
};

/** A real server with its weight applied. */
export type ParsedRealServer = Omit<Unwrap<RealServerArgs>, "weight"> & { weight: number };

/** A virtual server with its protocol, scheduler and method applied. */
export type ParsedVirtualServer = Omit<VirtualServerSpec, "protocol" | "lbAlgo" | "lbKind" | "realServers"> & {
    protocol: "TCP" | "UDP" | "SCTP";
    lbAlgo: LvsScheduler;
    lbKind: "NAT" | "DR" | "TUN";
    realServers: ParsedRealServer[];
};

/** A cluster that `parseKeepalived` accepted, every default applied once: what the planner, renderer and host work take. */
export interface ParsedKeepalived {
    nodes: ParsedKeepalivedNode[];
    instances: ParsedVrrpInstance[];
    /** As given (`{}` when none): each field is rendered only when set. */
    globalDefs: Unwrap<GlobalDefsArgs>;
    /** `script_user`: `globalDefs.scriptUser`, else "root" when any script is configured, else none. */
    scriptUser?: string;
    scripts: Record<string, Unwrap<VrrpScriptArgs>>;
    scriptFiles: (Omit<Unwrap<KeepalivedScriptFileArgs>, "mode"> & { mode: string })[];
    virtualServers: ParsedVirtualServer[];
    maintenance: string[];
}

/** Where secrets sit in the cluster's input: masked (the SDK's `maskSecrets`) in the copy files are rendered from. */
export const KEEPALIVED_SECRET_PATHS = ["instances[].auth.password"];

/** Where keepalived reads its configuration (a script file may not take its place). */
export const KEEPALIVED_CONF_PATH = "/etc/keepalived/keepalived.conf";
export const DEFAULT_ADVERT_INT = 1;
/** LVS defaults: `protocol`, `lvs_sched`, `lvs_method`, a real server's `weight`. */
export const DEFAULT_VS_PROTOCOL = "TCP";
export const DEFAULT_LVS_SCHEDULER: LvsScheduler = "rr";
export const DEFAULT_LVS_METHOD = "NAT";
export const DEFAULT_REAL_SERVER_WEIGHT = 1;
/** The mode of a script file given none. */
export const DEFAULT_SCRIPT_FILE_MODE = "0755";
/**
 * The flag every node's config tracks (`track_file`): "1" puts the node in maintenance, "0" takes it
 * out. keepalived rereads it on change (inotify), so moving a node in or out rewrites only this file:
 * keepalived.conf stays the same and is not reloaded.
 */
export const MAINTENANCE_FLAG_PATH = "/etc/keepalived/pulumi-onprem-maintenance";
/** The `track_file` name of the flag. */
export const MAINTENANCE_TRACK_FILE = "pulumi_onprem_maintenance";
/** keepalived's own default group for VRRP over IPv4. */
export const DEFAULT_MCAST_GROUP4 = "224.0.0.18";
/** keepalived's group for VRRP over IPv6. */
export const DEFAULT_MCAST_GROUP6 = "ff02::12";
/** The user scripts run as when none is given (see the planner's note on keepalived 2.2.7). */
export const DEFAULT_SCRIPT_USER = "root";

/** Whether a node in maintenance leaves an instance through FAULT rather than a lowered priority (see the renderer). */
export function leavesThroughFault(instance: Pick<ParsedVrrpInstance, "preempt" | "preemptDelay">): boolean {
    return !instance.preempt || instance.preemptDelay !== undefined;
}

/** The VIP as an object, whichever form it was given in. */
export function vipOf(vip: VipSpec | string): VipSpec {
    return typeof vip === "string" ? { address: vip } : vip;
}

/** A track script reference as an object. */
export function trackScriptOf(ref: TrackScriptRef | string): TrackScriptRef {
    return typeof ref === "string" ? { name: ref } : ref;
}

/** Whether any script is configured: `vrrp_script`s, notify commands or MISC_CHECK checkers. */
export function hasScripts(spec: Pick<KeepalivedClusterSpec, "instances" | "scripts" | "virtualServers">): boolean {
    const instances = spec.instances ?? [];
    const tracked = Object.keys(spec.scripts ?? {}).length > 0 || instances.some((i) => (i.trackScripts ?? []).length > 0);
    const notified = instances.some((i) => Object.values(i.notify ?? {}).some((c) => typeof c === "string"));
    const misc = (spec.virtualServers ?? []).some((vs) => (vs.realServers ?? []).some((rs) => rs.check?.type === "MISC_CHECK"));
    return tracked || notified || misc;
}
