/**
 * The resolved (plain, non-Input) shape of a keepalived cluster, as the planner, the validator and the
 * renderer see it. Field names follow keepalived 2.2 where a keyword exists; each field says its default.
 */

/** One host of the cluster. */
export interface KeepalivedNodeSpec {
    /** Unique name; keys the per-node outputs and the child resource. No default. */
    name: string;
    /** The node's own IP on the VRRP interface, bare or as CIDR ("10.77.0.11" or "10.77.0.11/24"); the unicast source and a peer of the others. No default. */
    address: string;
    /** The interface VRRP runs on, e.g. "eth0". No default. */
    interface: string;
    /** The interface's address with its prefix ("10.77.0.11/24"), for checking that VIPs are in its subnet. Default: `address` when that is a CIDR, else the subnet check is skipped. */
    interfaceCidr?: string;
    /** This node's `router_id`. Default: `globalDefs.routerId`, else the node `name`. */
    routerId?: string;
}

/** A virtual IP. A bare string is the same as `{ address }`. */
export interface VipSpec {
    /** The address, bare or as CIDR ("192.168.200.17/24"). No default (keepalived then uses /32 or /128). */
    address: string;
    /** `dev`: the interface to put it on. Default: the instance's interface. */
    dev?: string;
    /** `label`: an alias name such as "eth0:1". Default: none. */
    label?: string;
    /** `brd`: the broadcast address. Default: none (the kernel's). */
    brd?: string;
    /** `scope`. Default: keepalived's (global). */
    scope?: VipScope;
}

/** `scope` of a VIP. */
export type VipScope = "global" | "site" | "link" | "host" | "nowhere";

/** VRRP authentication. Removed from VRRPv2 by RFC 3768; use only where needed (e.g. with unicast). */
export interface VrrpAuthSpec {
    /** `auth_type`: PASS (simple password) or AH (IPsec AH). No default. */
    type: "PASS" | "AH";
    /** The password itself: a secret, never rendered; the file carries `{{secret:auth_<instance>}}` and the value is filled in on the host. 1-8 characters (keepalived uses only the first 8). No default. */
    password: string;
}

/** A cluster-level `vrrp_script`; instances refer to it by its key in `scripts`. */
export interface VrrpScriptSpec {
    /** `script`: an absolute path, optionally followed by arguments (no shell: use `/bin/sh -c '...'` for shell syntax). No default. */
    script: string;
    /** `interval`: seconds between runs. Default: keepalived's (1). */
    interval?: number;
    /** `timeout`: seconds after which a run counts as failed. Default: keepalived's. */
    timeout?: number;
    /** `weight`: -253..253 added to the priority (negative: on failure; positive: on success). Default: keepalived's (0: failure means FAULT). */
    weight?: number;
    /** `fall`: failures in a row before the script counts as down. Default: keepalived's. */
    fall?: number;
    /** `rise`: successes in a row before it counts as up again. Default: keepalived's. */
    rise?: number;
    /** `user`: the user to run it as. Default: `globalDefs.scriptUser`. */
    user?: string;
}

/** A reference from an instance to a `vrrp_script`, optionally overriding its weight. */
export interface TrackScriptRef {
    /** The key in `KeepalivedClusterSpec.scripts`. No default. */
    name: string;
    /** `weight` for this instance only, -253..253. Default: the script's own weight. */
    weight?: number;
}

/** An extra interface whose state moves the instance. */
export interface TrackInterfaceSpec {
    /** The interface, e.g. "eth1" (not the instance's own: keepalived ignores that). No default. */
    name: string;
    /** `weight` -253..253 applied when it goes down. Default: 0 (down means FAULT). */
    weight?: number;
}

/** Commands keepalived runs on state changes; each an absolute path optionally followed by arguments. */
export interface NotifySpec {
    /** `notify_master`. Default: none. */
    master?: string;
    /** `notify_backup`. Default: none. */
    backup?: string;
    /** `notify_fault`. Default: none. */
    fault?: string;
    /** `notify_stop`: run when the instance stops. Default: none. */
    stop?: string;
    /** `notify`: run on any transition, with GROUP|INSTANCE, name, state and priority appended. Default: none. */
    notify?: string;
}

/** One VRRP instance (`vrrp_instance`): a set of VIPs held by one node at a time. */
export interface VrrpInstanceSpec {
    /** Unique name, also the keepalived identifier ("VI_1"): letters, digits, `_`, `.`, `-`. No default. */
    name: string;
    /** `virtual_router_id`, 1-255, unique per interface and segment. No default. */
    virtualRouterId: number;
    /** The interface on every node. Default: each node's `interface`. */
    interface?: string;
    /** The VIPs (all of one address family). No default. */
    vips: (VipSpec | string)[];
    /** The node that holds the VIPs when all are up; priorities are derived from it (see the planner). Default: the first node, unless `priorities` is given. */
    master?: string;
    /** Explicit priority per node name (1-254, distinct, every node). Default: derived from `master`. */
    priorities?: Record<string, number>;
    /** `advert_int`: seconds between adverts, an integer 1-255 (VRRPv2). Default: 1. */
    advertInt?: number;
    /** Whether a higher-priority node takes the VIPs back when it returns; false renders `nopreempt`. Default: true. */
    preempt?: boolean;
    /** `preempt_delay`: seconds (0-1000) to wait before preempting at startup. Default: none. */
    preemptDelay?: number;
    /** `authentication`. Default: none. */
    auth?: VrrpAuthSpec;
    /** Send adverts by unicast to the other nodes' addresses (`unicast_src_ip`/`unicast_peer`). Default: false (multicast). */
    unicast?: boolean;
    /** `mcast_dst_ip`: the multicast group for this instance. Default: `globalDefs.vrrpMcastGroup4`, else 224.0.0.18 (ff02::12 for IPv6). */
    mcastGroup?: string;
    /** `track_script`: names of `scripts` entries (or references with a weight). Default: none. */
    trackScripts?: (TrackScriptRef | string)[];
    /** `track_interface`. Default: none. */
    trackInterfaces?: TrackInterfaceSpec[];
    /** `notify_*` commands. Default: none. */
    notify?: NotifySpec;
    /** Skip the check that each VIP lies in its node's interface subnet (seed 001 puts VIPs of other subnets on eth0). Default: false. */
    allowVipOutsideSubnet?: boolean;
}

/** `global_defs`. */
export interface GlobalDefsSpec {
    /** `notification_email`: recipients of SMTP alerts. Default: none. */
    notificationEmails?: string[];
    /** `notification_email_from`. Default: keepalived's (keepalived@<host name>). */
    notificationEmailFrom?: string;
    /** `smtp_server`: IP address or host name. Default: none. */
    smtpServer?: string;
    /** `smtp_connect_timeout` in seconds. Default: keepalived's. */
    smtpConnectTimeout?: number;
    /** `router_id` for every node without its own `routerId`. Default: the node name. */
    routerId?: string;
    /** `vrrp_skip_check_adv_addr`. Default: false. */
    vrrpSkipCheckAdvAddr?: boolean;
    /** `vrrp_strict`: strict RFC compliance; forbids unicast, authentication, preempt_delay and state MASTER below priority 255. Default: false. */
    vrrpStrict?: boolean;
    /** `vrrp_garp_interval` in seconds, greater than 0 (keepalived 2.2 rejects 0; leave unset for no delay). Default: none. */
    vrrpGarpInterval?: number;
    /** `vrrp_gna_interval` in seconds, greater than 0. Default: none. */
    vrrpGnaInterval?: number;
    /** `vrrp_mcast_group4`. Default: keepalived's (224.0.0.18). */
    vrrpMcastGroup4?: string;
    /** `enable_script_security`: required whenever any script is configured. Default: false. */
    enableScriptSecurity?: boolean;
    /** `script_user`. Default: "root" when any script is configured (see the planner's notes for why). */
    scriptUser?: string;
}

/** A file shipped with the config, e.g. a notify script. */
export interface KeepalivedScriptFile {
    /** Absolute path on every node. No default. */
    path: string;
    /** The file's text, written as given. No default. */
    content: string;
    /** Octal mode; must not be group- or other-writable (keepalived refuses such scripts). Default: "0755". */
    mode?: string;
}

/** `virtual_server` (LVS; needs IPVS in the kernel at run time). */
export interface VirtualServerSpec {
    /** The virtual address (usually a VIP). No default. */
    address: string;
    /** The virtual port, 1-65535. No default. */
    port: number;
    /** `protocol`. Default: "TCP". */
    protocol?: "TCP" | "UDP" | "SCTP";
    /** Scheduler, rendered as `lvs_sched` (keepalived 2.2's name for `lb_algo`). Default: "rr". */
    lbAlgo?: LvsScheduler;
    /** Forwarding method, rendered as `lvs_method` (keepalived 2.2's name for `lb_kind`). Default: "NAT". */
    lbKind?: "NAT" | "DR" | "TUN";
    /** `persistence_timeout` in seconds. Default: none (no persistence). */
    persistenceTimeout?: number;
    /** `delay_loop`: seconds between health checks. Default: keepalived's (60). */
    delayLoop?: number;
    /** `sorry_server`: used when no real server is up. Default: none. */
    sorryServer?: SorryServerSpec;
    /** `real_server` entries. No default. */
    realServers: RealServerSpec[];
}

/** The `sorry_server` used when every real server is down. */
export interface SorryServerSpec {
    /** Its address. No default. */
    address: string;
    /** Its port, 1-65535. Default: the virtual server's port. */
    port?: number;
}

/** LVS schedulers (`lvs_sched`). */
export type LvsScheduler = "rr" | "wrr" | "lc" | "wlc" | "lblc" | "lblcr" | "sh" | "mh" | "dh" | "fo" | "ovf" | "sed" | "nq";

/** A `real_server` behind a virtual server. */
export interface RealServerSpec {
    /** The real server's address. No default. */
    address: string;
    /** Its port, 1-65535. No default. */
    port: number;
    /** `weight`. Default: 1. */
    weight?: number;
    /** One health check. Default: none (the server is always considered up). */
    check?: HealthCheckSpec;
}

/** The health check of a real server, by checker type. */
export type HealthCheckSpec = HttpGetCheckSpec | TcpCheckSpec | SmtpCheckSpec | MiscCheckSpec;

/** Options shared by the connecting checkers (HTTP_GET, SSL_GET, TCP_CHECK, SMTP_CHECK). */
export interface ConnectCheckOptions {
    /** `connect_ip`. Default: the real server's address. */
    connectIp?: string;
    /** `connect_port`, 1-65535. Default: the real server's port. */
    connectPort?: number;
    /** `bindto`: source address for the check. Default: none. */
    bindTo?: string;
    /** `connect_timeout` in seconds. Default: keepalived's (5). */
    connectTimeout?: number;
    /** `retry` (formerly `nb_get_retry`). Default: keepalived's (1). */
    retry?: number;
    /** `delay_before_retry` in seconds. Default: keepalived's (3 for HTTP/SSL, else 1). */
    delayBeforeRetry?: number;
}

export interface HttpGetCheckSpec extends ConnectCheckOptions {
    /** HTTP_GET, or SSL_GET for HTTPS. No default. */
    type: "HTTP_GET" | "SSL_GET";
    /** At least one URL to fetch. No default. */
    urls: HttpCheckUrl[];
}

/** One URL an HTTP_GET or SSL_GET check fetches. */
export interface HttpCheckUrl {
    /** `path`, starting with "/". No default. */
    path: string;
    /** `status_code` expected. Default: keepalived's (any 2xx). */
    statusCode?: number;
    /** `digest`: MD5 of the body (32 hex digits, from genhash). Default: none. */
    digest?: string;
}

export interface TcpCheckSpec extends ConnectCheckOptions {
    /** A TCP connect. No default. */
    type: "TCP_CHECK";
}

export interface SmtpCheckSpec extends ConnectCheckOptions {
    /** An SMTP HELO exchange. No default. */
    type: "SMTP_CHECK";
    /** `helo_name`. Default: keepalived's (the local host name). */
    heloName?: string;
}

/** A MISC_CHECK: a program decides whether the real server is up. */
export interface MiscCheckSpec {
    /** A program whose exit code decides (needs `globalDefs.enableScriptSecurity`). No default. */
    type: "MISC_CHECK";
    /** `misc_path`: an absolute path, optionally followed by arguments. No default. */
    path: string;
    /** `misc_timeout` in seconds. Default: keepalived's. */
    timeout?: number;
    /** `misc_dynamic`: the exit code sets the weight. Default: false. */
    dynamic?: boolean;
    /** `user` to run it as. Default: `globalDefs.scriptUser`. */
    user?: string;
    /** `retry`. Default: keepalived's (0). */
    retry?: number;
    /** `delay_before_retry` in seconds. Default: keepalived's (1). */
    delayBeforeRetry?: number;
}

/** A whole cluster: every node runs every instance; one keepalived.conf per node. */
export interface KeepalivedClusterSpec {
    /** The hosts, in order (the order breaks ties in derived priorities). No default. */
    nodes: KeepalivedNodeSpec[];
    /** The VRRP instances. No default. */
    instances: VrrpInstanceSpec[];
    /** LVS virtual servers, the same on every node. Default: none. */
    virtualServers?: VirtualServerSpec[];
    /** `global_defs`. Default: only `router_id`. */
    globalDefs?: GlobalDefsSpec;
    /** `vrrp_script` blocks by name, used through `instances[].trackScripts`. Default: none. */
    scripts?: Record<string, VrrpScriptSpec>;
    /** Files shipped to every node with the config (notify or check scripts). Default: none. */
    scriptFiles?: KeepalivedScriptFile[];
}

/** Where keepalived reads its configuration. */
export const KEEPALIVED_CONF_PATH = "/etc/keepalived/keepalived.conf";
/** The config holds the auth password once filled in, so only root may read it. */
export const KEEPALIVED_CONF_MODE = "0600";
export const DEFAULT_SCRIPT_FILE_MODE = "0755";
export const DEFAULT_ADVERT_INT = 1;
/** keepalived's own default group for VRRP over IPv4. */
export const DEFAULT_MCAST_GROUP4 = "224.0.0.18";
export const DEFAULT_LVS_SCHEDULER: LvsScheduler = "rr";
export const DEFAULT_LVS_METHOD = "NAT";
export const DEFAULT_VS_PROTOCOL = "TCP";
export const DEFAULT_REAL_SERVER_WEIGHT = 1;
/** The user scripts run as when none is given (see the planner's note on keepalived 2.2.7). */
export const DEFAULT_SCRIPT_USER = "root";

/** The VIP as an object, whichever form it was given in. */
export function vipOf(vip: VipSpec | string): VipSpec {
    return typeof vip === "string" ? { address: vip } : vip;
}

/** A track script reference as an object. */
export function trackScriptOf(ref: TrackScriptRef | string): TrackScriptRef {
    return typeof ref === "string" ? { name: ref } : ref;
}
