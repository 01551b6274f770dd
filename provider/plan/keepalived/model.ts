/**
 * The resolved (plain, known) shape of a keepalived cluster, as the validator, the planner and the
 * renderer take it. It mirrors the public Args of `sdk/keepalivedClusterTypes.ts`, where each field is
 * documented with its default; here a line says only what is not obvious from the keepalived keyword.
 */

export interface KeepalivedNodeSpec {
    name: string;
    /** Bare or CIDR: the unicast source and a peer of the others. */
    address: string;
    interface: string;
    /** Subnet of the VRRP interface; `address` when that is a CIDR, else no subnet check. */
    interfaceCidr?: string;
    routerId?: string;
}

export interface VipSpec {
    address: string;
    dev?: string;
    label?: string;
    brd?: string;
    scope?: VipScope;
}

type VipScope = "global" | "site" | "link" | "host" | "nowhere";

interface VrrpAuthSpec {
    type: "PASS" | "AH";
    /** Never rendered: the file carries `{{secret:auth_<instance>}}`. */
    password: string;
}

export interface VrrpScriptSpec {
    script: string;
    interval?: number;
    timeout?: number;
    weight?: number;
    fall?: number;
    rise?: number;
    user?: string;
}

export interface TrackScriptRef {
    name: string;
    weight?: number;
}

interface TrackInterfaceSpec {
    name: string;
    weight?: number;
}

interface NotifySpec {
    master?: string;
    backup?: string;
    fault?: string;
    stop?: string;
    notify?: string;
}

export interface VrrpInstanceSpec {
    name: string;
    virtualRouterId: number;
    interface?: string;
    vips: (VipSpec | string)[];
    /** Default: the first node, unless `priorities` is given. */
    master?: string;
    priorities?: Record<string, number>;
    advertInt?: number;
    preempt?: boolean;
    preemptDelay?: number;
    auth?: VrrpAuthSpec;
    unicast?: boolean;
    mcastGroup?: string;
    trackScripts?: (TrackScriptRef | string)[];
    trackInterfaces?: TrackInterfaceSpec[];
    notify?: NotifySpec;
    allowVipOutsideSubnet?: boolean;
}

export interface GlobalDefsSpec {
    notificationEmails?: string[];
    notificationEmailFrom?: string;
    smtpServer?: string;
    smtpConnectTimeout?: number;
    routerId?: string;
    vrrpSkipCheckAdvAddr?: boolean;
    vrrpStrict?: boolean;
    vrrpGarpInterval?: number;
    vrrpGnaInterval?: number;
    vrrpMcastGroup4?: string;
    enableScriptSecurity?: boolean;
    scriptUser?: string;
}

interface KeepalivedScriptFile {
    path: string;
    content: string;
    mode?: string;
}

export interface VirtualServerSpec {
    address: string;
    port: number;
    protocol?: "TCP" | "UDP" | "SCTP";
    /** Rendered as `lvs_sched`. */
    lbAlgo?: LvsScheduler;
    /** Rendered as `lvs_method`. */
    lbKind?: "NAT" | "DR" | "TUN";
    persistenceTimeout?: number;
    delayLoop?: number;
    sorryServer?: SorryServerSpec;
    realServers: RealServerSpec[];
}

interface SorryServerSpec {
    address: string;
    port?: number;
}

export type LvsScheduler = "rr" | "wrr" | "lc" | "wlc" | "lblc" | "lblcr" | "sh" | "mh" | "dh" | "fo" | "ovf" | "sed" | "nq";

export interface RealServerSpec {
    address: string;
    port: number;
    weight?: number;
    check?: HealthCheckSpec;
}

export type HealthCheckSpec = HttpGetCheckSpec | TcpCheckSpec | SmtpCheckSpec | MiscCheckSpec;

interface ConnectCheckOptions {
    connectIp?: string;
    connectPort?: number;
    bindTo?: string;
    connectTimeout?: number;
    retry?: number;
    delayBeforeRetry?: number;
}

interface HttpGetCheckSpec extends ConnectCheckOptions {
    type: "HTTP_GET" | "SSL_GET";
    urls: HttpCheckUrl[];
}

interface HttpCheckUrl {
    path: string;
    statusCode?: number;
    digest?: string;
}

interface TcpCheckSpec extends ConnectCheckOptions {
    type: "TCP_CHECK";
}

interface SmtpCheckSpec extends ConnectCheckOptions {
    type: "SMTP_CHECK";
    heloName?: string;
}

interface MiscCheckSpec {
    type: "MISC_CHECK";
    path: string;
    timeout?: number;
    dynamic?: boolean;
    user?: string;
    retry?: number;
    delayBeforeRetry?: number;
}

/** A whole cluster: every node runs every instance; one keepalived.conf per node. */
export interface KeepalivedClusterSpec {
    /** In order: the order breaks ties in derived priorities. */
    nodes: KeepalivedNodeSpec[];
    instances: VrrpInstanceSpec[];
    virtualServers?: VirtualServerSpec[];
    globalDefs?: GlobalDefsSpec;
    scripts?: Record<string, VrrpScriptSpec>;
    scriptFiles?: KeepalivedScriptFile[];
    /** Node names that give up every VIP and stay out (see `MAINTENANCE_FLAG_PATH`). */
    maintenance?: string[];
}

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
