/**
 * The inputs of `StaticInterface`, declared once: the SDK exports these, and the validator takes them
 * resolved (`StaticInterfaceInput`, every Input unwrapped), so a field is added here and nowhere else.
 */
import type { Input, Unwrap } from "@pulumi/pulumi/output";
import type { ConnectionArgs } from "../../contract/connection";

/** Where the configuration is written, and so which OS tool reads it. */
export type StaticInterfaceFormat = "ifcfg" | "interfaces" | "netplan" | "networkmanager";

/** A static route through the interface. */
export interface StaticRouteSpec {
    /** The destination network as a CIDR with no host bits set ("10.20.0.0/16", "2001:db8:5::/48"); for the default route use `gateway`/`gateway6`. No default. */
    destination: Input<string>;
    /** The next hop, an address of the destination's family inside one of the interface's subnets (an IPv6 link-local next hop is always accepted). Defaults to none: the destination is on the link. */
    via?: Input<string>;
    /** The route metric, 0-4294967295; lower wins. Defaults to the kernel's: 0 for IPv4, 1024 for IPv6. */
    metric?: Input<number>;
    /** The routing table, 1-4294967295 (254 is `main`). Defaults to the main table. */
    table?: Input<number>;
}

/** Inputs of `StaticInterface`. */
export interface StaticInterfaceArgs {
    /** How to reach the host: its address now (before the change). */
    connection: Input<ConnectionArgs>;
    /** The kernel's name of the interface, e.g. "eth1" or "enp0s3": 1-15 characters, letters, digits, `_ . -`. No default. */
    device: Input<string>;
    /** The addresses with prefix lengths, IPv4 and IPv6 ("192.168.0.193/24"); the first of each family is the primary. No default (at least one). */
    addresses: Input<Input<string>[]>;
    /** The IPv4 default gateway, inside one of the IPv4 subnets. Defaults to none. */
    gateway?: Input<string>;
    /** The IPv6 default gateway, inside one of the IPv6 subnets or link-local. Defaults to none. */
    gateway6?: Input<string>;
    /** DNS servers, at most 3, written to the file for the OS's resolver hooks (not applied live). Defaults to none. */
    dns?: Input<Input<string>[]>;
    /** DNS search domains, at most 6 and 256 characters in all, written to the file like `dns`. Defaults to none. */
    searchDomains?: Input<Input<string>[]>;
    /** Static routes through the interface (destination, via, metric, table). Defaults to none. */
    routes?: Input<Input<StaticRouteSpec>[]>;
    /** The link MTU, 68-65535 (1280 or more with IPv6). Defaults to none: left as it is. */
    mtu?: Input<number>;
    /** Bring the interface up at boot. Defaults to true. */
    onBoot?: Input<boolean>;
    /** Apply the file only to the NIC with this hardware address ("52:54:00:12:34:56"). Defaults to none: the name alone decides. */
    macAddress?: Input<string>;
    /**
     * The file format, or "auto" to pick it from the host's /etc/os-release and tools. "auto" reads the
     * host once, read-only, over SSH, in the provider, and keeps what it read in state: the first preview
     * (before the first deploy) connects to the host, later previews do not. An explicit format never
     * connects at preview. Defaults to "auto".
     */
    format?: Input<StaticInterfaceFormat | "auto">;
    /** ifcfg only: `NM_CONTROLLED=yes`. Ignored for other formats when false. Defaults to false. */
    nmControlled?: Input<boolean>;
    /** Also bring the running interface in line with `ip` (no bounce); false writes the files only, for the next boot. Defaults to true. */
    apply?: Input<boolean>;
    /** Seconds the host waits for the controller to reconnect after a live change before it reverts the change by itself; at least 10. Defaults to 60. */
    confirmTimeoutSeconds?: Input<number>;
    /** Where to reconnect after the change when the connection's address moves to another subnet. Defaults to the connection's host, or the new address in its subnet. */
    confirmAddress?: Input<string>;
}

/** The inputs once known, as the validator takes them (the connection goes to the host child alone). */
export type StaticInterfaceInput = Unwrap<Omit<StaticInterfaceArgs, "connection">>;
