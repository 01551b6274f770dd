/**
 * The inputs of `KeepalivedCluster`, declared once: the SDK exports these, the parser takes them resolved
 * (`Unwrap`) and returns them with their defaults applied (model.ts's `ParsedKeepalived`), which the
 * planner, renderer and host work take, so a field is added here and its default in the parser. Field names follow keepalived 2.2 where a keyword exists;
 * every field may be an Output of another resource (a VIP from an address allocator, a password from a
 * secret store), except the lists that decide how many child resources exist (`nodes`, `scriptFiles`).
 */
import type { Input, Unwrap } from "@pulumi/pulumi/output";
import type { ConnectionArgs } from "../../contract/connection";

/** One keepalived host. */
export interface KeepalivedNodeArgs {
    /** The node's name: names its child resources and is what `instances[].master` refers to. Plain, since it names resources. No default. */
    name: string;
    /** How to reach the host. No default. */
    connection: Input<ConnectionArgs>;
    /** The node's own address on the VRRP interface, bare or CIDR ("10.77.0.11" or "10.77.0.11/24"): unicast source, peers' target. No default. */
    address: Input<string>;
    /** The VRRP interface, e.g. "eth0". No default. */
    interface: Input<string>;
    /** The interface's address with its prefix, e.g. "10.0.0.11/24": VIPs must lie inside it. Defaults to `address` when it has a prefix, else no subnet check. */
    interfaceCidr?: Input<string>;
    /** `router_id` for this node. Defaults to `globalDefs.routerId`, else the node's name. */
    routerId?: Input<string>;
}

/** A virtual IP. A bare string is the same as `{ address }`. */
export interface VipArgs {
    /** The address, bare or CIDR ("192.168.200.17/24"). No default (keepalived then uses /32 or /128). */
    address: Input<string>;
    /** `dev`: the interface to put it on. Defaults to the instance's interface. */
    dev?: Input<string>;
    /** `label`: an alias name such as "eth0:1". Defaults to none. */
    label?: Input<string>;
    /** `brd`: the broadcast address (IPv4). Defaults to the kernel's. */
    brd?: Input<string>;
    /** `scope`. Defaults to keepalived's (global). */
    scope?: Input<VipScope>;
}

/** `scope` of a VIP. */
export type VipScope = "global" | "site" | "link" | "host" | "nowhere";

/** VRRP authentication (removed from VRRPv2 by RFC 3768; use only where needed, e.g. with unicast). */
export interface VrrpAuthArgs {
    /** `auth_type`: PASS (plain text on the wire) or AH. No default. */
    type: Input<"PASS" | "AH">;
    /** A secret, never in a rendered file (`{{secret:auth_<instance>}}` is filled in on the host); 1-8 characters. No default. */
    password: Input<string>;
}

/** A `vrrp_script`; instances refer to it by its key in `scripts`. */
export interface VrrpScriptArgs {
    /** `script`: an absolute path, optionally with arguments (no shell: use `/bin/sh -c '...'` for shell syntax). No default. */
    script: Input<string>;
    /** `interval`: seconds between runs. Defaults to keepalived's (1). */
    interval?: Input<number>;
    /** `timeout`: seconds after which a run counts as failed. Defaults to keepalived's. */
    timeout?: Input<number>;
    /** `weight`, -253..253, added to the priority (negative: on failure; positive: on success). Defaults to keepalived's (0: failure means FAULT). */
    weight?: Input<number>;
    /** `fall`: failures in a row before the script counts as down. Defaults to keepalived's. */
    fall?: Input<number>;
    /** `rise`: successes in a row before it counts as up again. Defaults to keepalived's. */
    rise?: Input<number>;
    /** `user` to run it as. Defaults to `globalDefs.scriptUser`. */
    user?: Input<string>;
}

/** A reference from an instance to a `vrrp_script`, optionally overriding its weight. */
export interface TrackScriptRefArgs {
    /** The key in `scripts`. No default. */
    name: Input<string>;
    /** `weight` for this instance only, -253..253. Defaults to the script's own. */
    weight?: Input<number>;
}

/** An extra interface whose state moves the instance. */
export interface TrackInterfaceArgs {
    /** The interface, e.g. "eth1" (not the instance's own: keepalived ignores that). No default. */
    name: Input<string>;
    /** `weight`, -253..253, applied when it goes down. Defaults to 0 (down means FAULT). */
    weight?: Input<number>;
}

/** Commands keepalived runs on state changes: each an absolute path, optionally with arguments. */
export interface NotifyArgs {
    /** `notify_master`. Defaults to none. */
    master?: Input<string>;
    /** `notify_backup`. Defaults to none. */
    backup?: Input<string>;
    /** `notify_fault`. Defaults to none. */
    fault?: Input<string>;
    /** `notify_stop`: when the instance stops. Defaults to none. */
    stop?: Input<string>;
    /** `notify`: on any transition, with GROUP|INSTANCE, name, state and priority appended. Defaults to none. */
    notify?: Input<string>;
}

/** A VRRP instance (`vrrp_instance`): VIPs held by one node at a time. */
export interface VrrpInstanceArgs {
    /** Unique name, also the keepalived identifier ("VI_1"): letters, digits, `_`, `.`, `-`. No default. */
    name: Input<string>;
    /** `virtual_router_id`, 1-255, unique per interface and segment. No default. */
    virtualRouterId: Input<number>;
    /** The interface on every node. Defaults to each node's `interface`. */
    interface?: Input<string>;
    /** The VIPs, all of one address family. No default. */
    vips: Input<Input<VipArgs | string>[]>;
    /**
     * The node that holds the VIPs when all are up; priorities are derived from it (100, then 90, 80, ...
     * in node order after it). Defaults to the first node, unless `priorities` is given.
     */
    master?: Input<string>;
    /** Explicit priority per node name (1-254, distinct, every node). Defaults to derived from `master`. */
    priorities?: Input<Record<string, Input<number>>>;
    /** `advert_int`: seconds between adverts, a whole number 1-255. Defaults to 1. */
    advertInt?: Input<number>;
    /** Whether a higher-priority node takes the VIPs back when it returns; false renders `nopreempt`. Defaults to true. */
    preempt?: Input<boolean>;
    /** `preempt_delay`: seconds (0-1000) to wait before preempting at startup. Defaults to none. */
    preemptDelay?: Input<number>;
    /** `authentication` of the instance's adverts. Defaults to none. */
    auth?: Input<VrrpAuthArgs>;
    /** Adverts by unicast to the other nodes' addresses (`unicast_src_ip`/`unicast_peer`). Defaults to false (multicast). */
    unicast?: Input<boolean>;
    /** `mcast_dst_ip`. Defaults to `globalDefs.vrrpMcastGroup4`, else 224.0.0.18 (ff02::12 for IPv6). */
    mcastGroup?: Input<string>;
    /** `track_script`: names of `scripts` entries, or references with a weight. Defaults to none. */
    trackScripts?: Input<Input<TrackScriptRefArgs | string>[]>;
    /** `track_interface`. Defaults to none. */
    trackInterfaces?: Input<Input<TrackInterfaceArgs>[]>;
    /** `notify_*` commands. Defaults to none. */
    notify?: Input<NotifyArgs>;
    /** Skip the check that each VIP lies in its node's interface subnet (seed 001 puts VIPs of other subnets on eth0). Defaults to false. */
    allowVipOutsideSubnet?: Input<boolean>;
}

/** `global_defs`. */
export interface GlobalDefsArgs {
    /** `notification_email`: recipients of SMTP alerts. Defaults to none. */
    notificationEmails?: Input<Input<string>[]>;
    /** `notification_email_from`. Defaults to keepalived's (keepalived@<host name>). */
    notificationEmailFrom?: Input<string>;
    /** `smtp_server`: IP address or host name. Defaults to none. */
    smtpServer?: Input<string>;
    /** `smtp_connect_timeout` in seconds. Defaults to keepalived's. */
    smtpConnectTimeout?: Input<number>;
    /** `router_id` for every node without its own `routerId`. Defaults to the node name. */
    routerId?: Input<string>;
    /** `vrrp_skip_check_adv_addr`. Defaults to false. */
    vrrpSkipCheckAdvAddr?: Input<boolean>;
    /** `vrrp_strict`: forbids unicast, authentication, preempt_delay and state MASTER below priority 255. Defaults to false. */
    vrrpStrict?: Input<boolean>;
    /** `vrrp_garp_interval` in seconds, above 0 (keepalived 2.2 rejects 0; leave unset for no delay). Defaults to none. */
    vrrpGarpInterval?: Input<number>;
    /** `vrrp_gna_interval` in seconds, above 0. Defaults to none. */
    vrrpGnaInterval?: Input<number>;
    /** `vrrp_mcast_group4`. Defaults to keepalived's (224.0.0.18). */
    vrrpMcastGroup4?: Input<string>;
    /** `enable_script_security`: required whenever any script is configured. Defaults to false. */
    enableScriptSecurity?: Input<boolean>;
    /** `script_user`. Defaults to "root" when any script is configured (keepalived 2.2.7 drops scripts when its own default user is missing). */
    scriptUser?: Input<string>;
}

/** A file shipped to every node before the config, e.g. a notify script. */
export interface KeepalivedScriptFileArgs {
    /** Absolute path on every node. No default. */
    path: Input<string>;
    /** The file's text, written as given. No default. */
    content: Input<string>;
    /** Octal mode, not group- or other-writable (keepalived refuses such scripts). Defaults to "0755". */
    mode?: Input<string>;
}

/** LVS schedulers (`lvs_sched`). */
export type LvsScheduler = "rr" | "wrr" | "lc" | "wlc" | "lblc" | "lblcr" | "sh" | "mh" | "dh" | "fo" | "ovf" | "sed" | "nq";

/** `virtual_server` (LVS; needs IPVS in the kernel, checked on every node before any change). */
export interface VirtualServerArgs {
    /** The virtual address (usually a VIP). No default. */
    address: Input<string>;
    /** The virtual port, 1-65535. No default. */
    port: Input<number>;
    /** `protocol`. Defaults to "TCP". */
    protocol?: Input<"TCP" | "UDP" | "SCTP">;
    /** Scheduler, rendered as `lvs_sched` (keepalived 2.2's name for `lb_algo`). Defaults to "rr". */
    lbAlgo?: Input<LvsScheduler>;
    /** Forwarding method, rendered as `lvs_method` (keepalived 2.2's name for `lb_kind`). Defaults to "NAT". */
    lbKind?: Input<"NAT" | "DR" | "TUN">;
    /** `persistence_timeout` in seconds. Defaults to none (no persistence). */
    persistenceTimeout?: Input<number>;
    /** `delay_loop`: seconds between health checks. Defaults to keepalived's (60). */
    delayLoop?: Input<number>;
    /** `sorry_server`: used when no real server is up. Defaults to none. */
    sorryServer?: Input<SorryServerArgs>;
    /** `real_server` entries, at least one. No default. */
    realServers: Input<Input<RealServerArgs>[]>;
}

/** The `sorry_server` used when every real server is down. */
export interface SorryServerArgs {
    /** Its address. No default. */
    address: Input<string>;
    /** Its port, 1-65535. Defaults to the virtual server's port. */
    port?: Input<number>;
}

/** A `real_server` behind a virtual server. */
export interface RealServerArgs {
    /** Its address. No default. */
    address: Input<string>;
    /** Its port, 1-65535. No default. */
    port: Input<number>;
    /** `weight`. Defaults to 1. */
    weight?: Input<number>;
    /** One health check. Defaults to none (always considered up). */
    check?: Input<HealthCheckArgs>;
}

/** The health check of a real server, by checker type (`type` is plain: it selects the fields). */
export type HealthCheckArgs = HttpGetCheckArgs | TcpCheckArgs | SmtpCheckArgs | MiscCheckArgs;

/** Options of the connecting checkers (HTTP_GET, SSL_GET, TCP_CHECK, SMTP_CHECK). */
export interface ConnectCheckArgs {
    /** `connect_ip`. Defaults to the real server's address. */
    connectIp?: Input<string>;
    /** `connect_port`, 1-65535. Defaults to the real server's port. */
    connectPort?: Input<number>;
    /** `bindto`: source address for the check. Defaults to none. */
    bindTo?: Input<string>;
    /** `connect_timeout` in seconds. Defaults to keepalived's (5). */
    connectTimeout?: Input<number>;
    /** `retry` (formerly `nb_get_retry`). Defaults to keepalived's (1). */
    retry?: Input<number>;
    /** `delay_before_retry` in seconds. Defaults to keepalived's (3 for HTTP/SSL, else 1). */
    delayBeforeRetry?: Input<number>;
}

export interface HttpGetCheckArgs extends ConnectCheckArgs {
    /** HTTP_GET, or SSL_GET for HTTPS. No default. */
    type: "HTTP_GET" | "SSL_GET";
    /** At least one URL to fetch. No default. */
    urls: Input<Input<HttpCheckUrlArgs>[]>;
}

/** One URL an HTTP_GET or SSL_GET check fetches. */
export interface HttpCheckUrlArgs {
    /** `path`, starting with "/". No default. */
    path: Input<string>;
    /** `status_code` expected. Defaults to keepalived's (any 2xx). */
    statusCode?: Input<number>;
    /** `digest`: MD5 of the body (32 hex digits, from genhash). Defaults to none. */
    digest?: Input<string>;
}

export interface TcpCheckArgs extends ConnectCheckArgs {
    /** A TCP connect. No default. */
    type: "TCP_CHECK";
}

export interface SmtpCheckArgs extends ConnectCheckArgs {
    /** An SMTP HELO exchange. No default. */
    type: "SMTP_CHECK";
    /** `helo_name`. Defaults to keepalived's (the local host name). */
    heloName?: Input<string>;
}

/** A MISC_CHECK: a program's exit code decides whether the real server is up. */
export interface MiscCheckArgs {
    /** Needs `globalDefs.enableScriptSecurity`. No default. */
    type: "MISC_CHECK";
    /** `misc_path`: an absolute path, optionally with arguments. No default. */
    path: Input<string>;
    /** `misc_timeout` in seconds. Defaults to keepalived's. */
    timeout?: Input<number>;
    /** `misc_dynamic`: the exit code sets the weight. Defaults to false. */
    dynamic?: Input<boolean>;
    /** `user` to run it as. Defaults to `globalDefs.scriptUser`. */
    user?: Input<string>;
    /** `retry`. Defaults to keepalived's (0). */
    retry?: Input<number>;
    /** `delay_before_retry` in seconds. Defaults to keepalived's (1). */
    delayBeforeRetry?: Input<number>;
}

/** Inputs of `KeepalivedCluster`. */
export interface KeepalivedClusterArgs {
    /** The hosts, in order: the order breaks ties in derived priorities. A plain list (one child per node). No default. */
    nodes: KeepalivedNodeArgs[];
    /** The VRRP instances (two with different `master`s make a dual-master pair). No default. */
    instances: Input<Input<VrrpInstanceArgs>[]>;
    /** LVS virtual servers, the same on every node. Defaults to none. */
    virtualServers?: Input<Input<VirtualServerArgs>[]>;
    /** keepalived's `global_defs`. Defaults to `router_id` only. */
    globalDefs?: Input<GlobalDefsArgs>;
    /** `vrrp_script` checks by name, used through `instances[].trackScripts`. Defaults to none. */
    scripts?: Input<Record<string, Input<VrrpScriptArgs>>>;
    /** Files shipped to every node before the config (notify or check scripts). A plain list (it decides whether a script child exists). Defaults to none. */
    scriptFiles?: KeepalivedScriptFileArgs[];
    /** Install keepalived where it is missing. Defaults to true. */
    ensurePackages?: Input<boolean>;
    /** After apply, check that each preempting instance's VIPs are on the node that should hold them. Defaults to true. */
    verifyVips?: Input<boolean>;
    /**
     * When to listen on each node's VRRP interfaces (three advert intervals) for a router outside the cluster
     * that already uses one of its VRIDs, and refuse the preview or up naming the VRID, interface and address:
     * "firstUp" (a node's first preview and up, and when its instances change), "always" (every preview and
     * up: the check on demand), "never". Defaults to "firstUp".
     */
    foreignRouterCheck?: Input<"firstUp" | "always" | "never">;
    /**
     * Names of nodes in maintenance: each keeps its config but gives up every VIP to the next node (within
     * `failoverBoundSeconds`) and stays out until removed from the list. Only a flag file changes on the
     * node, and keepalived is not reloaded. Defaults to none.
     */
    maintenance?: Input<Input<string>[]>;
}

/** A node as the parser takes it: known, without its connection (which only its host children need). */
type KeepalivedNodeInput = Unwrap<Omit<KeepalivedNodeArgs, "connection">>;

/** The cluster as the parser (and the VRID check across clusters) takes it: every Input known, options of the host children left out. */
export type KeepalivedClusterInput = Unwrap<Omit<KeepalivedClusterArgs, "nodes" | "ensurePackages" | "verifyVips" | "foreignRouterCheck">> & {
    nodes: KeepalivedNodeInput[];
};
