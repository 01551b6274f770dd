/**
 * The resolved (plain, known) shapes of a keepalived cluster, as the validator, the planner and the
 * renderer take them: each is `Unwrap` of the Args in args.ts, where every field is documented.
 */
import type { Unwrap } from "@pulumi/pulumi/output";
import type {
    GlobalDefsArgs, HealthCheckArgs, KeepalivedClusterInput, RealServerArgs, TrackScriptRefArgs, VipArgs, VirtualServerArgs, VrrpInstanceArgs, VrrpScriptArgs,
} from "./args";

export type { LvsScheduler } from "./args";
export type KeepalivedClusterSpec = KeepalivedClusterInput;
export type KeepalivedNodeSpec = KeepalivedClusterInput["nodes"][number];
export type VrrpInstanceSpec = Unwrap<VrrpInstanceArgs>;
export type VipSpec = Unwrap<VipArgs>;
export type VrrpScriptSpec = Unwrap<VrrpScriptArgs>;
export type TrackScriptRef = Unwrap<TrackScriptRefArgs>;
export type GlobalDefsSpec = Unwrap<GlobalDefsArgs>;
export type VirtualServerSpec = Unwrap<VirtualServerArgs>;
export type RealServerSpec = Unwrap<RealServerArgs>;
export type HealthCheckSpec = Unwrap<HealthCheckArgs>;

/** Where secrets sit in the cluster's input: masked (the SDK's `maskSecrets`) in the copy files are rendered from. */
export const KEEPALIVED_SECRET_PATHS = ["instances[].auth.password"];

/** Where keepalived reads its configuration (a script file may not take its place). */
export const KEEPALIVED_CONF_PATH = "/etc/keepalived/keepalived.conf";
export const DEFAULT_ADVERT_INT = 1;
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
export function leavesThroughFault(instance: Pick<VrrpInstanceSpec, "preempt" | "preemptDelay">): boolean {
    return instance.preempt === false || instance.preemptDelay !== undefined;
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
export function hasScripts(spec: KeepalivedClusterSpec): boolean {
    const instances = spec.instances ?? [];
    const tracked = Object.keys(spec.scripts ?? {}).length > 0 || instances.some((i) => (i.trackScripts ?? []).length > 0);
    const notified = instances.some((i) => Object.values(i.notify ?? {}).some((c) => typeof c === "string"));
    const misc = (spec.virtualServers ?? []).some((vs) => (vs.realServers ?? []).some((rs) => rs.check?.type === "MISC_CHECK"));
    return tracked || notified || misc;
}
