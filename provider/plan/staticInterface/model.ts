/**
 * The resolved (plain, non-Input) shape of a static interface configuration, as the validator, the
 * renderers and the live-change planner see it, and the choice of file format from a host's facts.
 * Each field says its default.
 */
import { OnpremError } from "../contract/errors";

/** Where the configuration is written, and so which OS tool reads it. */
export type StaticInterfaceFormat = "ifcfg" | "interfaces" | "netplan" | "networkmanager";

/** Every format, in a fixed order (messages list them in it). */
export const STATIC_INTERFACE_FORMATS: readonly StaticInterfaceFormat[] = ["ifcfg", "interfaces", "netplan", "networkmanager"];

/** A static route through the interface. */
export interface StaticRouteSpec {
    /** The destination network as a CIDR with no host bits set ("10.20.0.0/16", "2001:db8:5::/48"); for the default route use `gateway`/`gateway6`. No default. */
    destination: string;
    /** The next hop, an address of the destination's family inside one of the interface's subnets (an IPv6 link-local next hop is always accepted). Default: none (the destination is on the link). */
    via?: string;
    /** The route metric, 0-4294967295; lower wins. Default: none (the kernel's: 0 for IPv4, 1024 for IPv6). */
    metric?: number;
    /** The routing table, 1-4294967295 (254 is `main`). Default: none (the main table). */
    table?: number;
}

/** One interface with static addresses on one host. */
export interface StaticInterfaceSpec {
    /** The kernel's name of the interface, e.g. "enp0s3": 1-15 characters, letters, digits, `_ . -`, starting with a letter or digit. No default. */
    device: string;
    /** The addresses with their prefix lengths, IPv4 and IPv6 ("192.168.0.193/24", "2001:db8::10/64"); the first of each family is the primary. No default (at least one). */
    addresses: string[];
    /** The IPv4 default gateway, inside the subnet of one of the IPv4 addresses. Default: none (no IPv4 default route through this interface). */
    gateway?: string;
    /** The IPv6 default gateway, inside the subnet of one of the IPv6 addresses or link-local (fe80::/10). Default: none. */
    gateway6?: string;
    /** DNS servers, IPv4 or IPv6, at most 3 (the resolver reads no more). Default: none (the resolver configuration is left alone). */
    dns?: string[];
    /** DNS search domains, at most 6 and 256 characters in all (older glibc ignores the rest). Default: none. */
    searchDomains?: string[];
    /** Static routes through this interface. Default: none. */
    routes?: StaticRouteSpec[];
    /** The link MTU, 68-65535, 1280 or more when there is an IPv6 address. Default: none (left as the driver set it, usually 1500). */
    mtu?: number;
    /** Bring the interface up at boot. Default: true. */
    onBoot?: boolean;
    /** The file format; a resource's `auto` is resolved with `formatFor` before this spec is built. No default. */
    format: StaticInterfaceFormat;
    /** ifcfg only: let NetworkManager manage the interface (`NM_CONTROLLED=yes`) instead of the legacy network scripts. Default: false. */
    nmControlled?: boolean;
    /** The NIC's hardware address ("52:54:00:12:34:56"): the configuration applies only to a NIC with this address (ifcfg HWADDR, netplan match, NetworkManager mac-address, an ifupdown pre-up check). Default: none (the name alone decides). */
    macAddress?: string;
}

export const DEFAULT_ON_BOOT = true;
export const DEFAULT_NM_CONTROLLED = false;

// ---------------------------------------------------------------------------------------------
// `auto`: the format a host's own tools read

/** The host facts the format choice needs (a subset of the provider's HostFacts). */
export interface FormatFacts {
    osFamily: "debian" | "rhel" | "other";
    /** `ID` from /etc/os-release: "centos", "rhel", "rocky", "ubuntu", "debian", ... */
    osId: string;
    /** `VERSION_ID` from /etc/os-release: "7", "8.9", "22.04", ... */
    osVersion: string;
    /** Tools found on PATH, by name. */
    tools: Record<string, boolean>;
}

/** The tool that reads (or applies) each format; its absence makes the format useless on the host. */
export const FORMAT_TOOL: Readonly<Record<StaticInterfaceFormat, string>> = {
    ifcfg: "ifup",
    interfaces: "ifup",
    netplan: "netplan",
    networkmanager: "nmcli",
};

export type FormatChoice =
    | { ok: true; format: StaticInterfaceFormat; why: string }
    | { ok: false; natural?: StaticInterfaceFormat; message: string };

/**
 * The format a host's distribution uses for static addresses, checked against the tools present:
 * RHEL and its rebuilds 7-8 read ifcfg files; 9 and later (and Fedora) NetworkManager keyfiles (ifcfg
 * support is deprecated there); Ubuntu 18.04 and later netplan; Debian and older Ubuntu ifupdown's
 * interfaces.d. Never throws; `formatFor` is the throwing form.
 */
export function chooseFormat(facts: FormatFacts): FormatChoice {
    const natural = naturalFormat(facts);
    if (!natural.ok) return natural;
    const tool = FORMAT_TOOL[natural.format];
    if (facts.tools[tool]) return natural;
    const present = STATIC_INTERFACE_FORMATS.filter((f) => f !== natural.format && facts.tools[FORMAT_TOOL[f]]);
    const hint = present.length > 0 ? `; the host has ${present.map((f) => `${FORMAT_TOOL[f]} (format ${JSON.stringify(f)})`).join(", ")}` : "";
    return {
        ok: false,
        natural: natural.format,
        message: `\`format\`: auto picks ${JSON.stringify(natural.format)} for ${facts.osId} ${facts.osVersion}, but \`${tool}\` is not installed${hint}; install it or set \`format\``,
    };
}

/** `chooseFormat` for callers that stop on failure: the format, or an InvalidArgument error naming the missing tool. */
export function formatFor(facts: FormatFacts): StaticInterfaceFormat {
    const choice = chooseFormat(facts);
    if (!choice.ok) throw new OnpremError("InvalidArgument", choice.message);
    return choice.format;
}

const RHEL_REBUILDS = ["rhel", "centos", "rocky", "almalinux", "ol", "scientific", "eurolinux", "virtuozzo"];

function naturalFormat(facts: FormatFacts): FormatChoice {
    const id = facts.osId.toLowerCase();
    const major = majorVersion(facts.osVersion);
    const unknownVersion: FormatChoice = {
        ok: false,
        message: `\`format\`: auto cannot read the version of ${id || "this OS"} (${JSON.stringify(facts.osVersion)}); set \`format\``,
    };
    if (id === "fedora") return { ok: true, format: "networkmanager", why: "Fedora keeps connections as NetworkManager keyfiles" };
    if (id === "amzn") {
        // Amazon Linux 2 uses network-scripts; 2023 uses systemd-networkd, which no format here writes.
        if (major === 2) return { ok: true, format: "ifcfg", why: "Amazon Linux 2 reads network-scripts ifcfg files" };
        return { ok: false, message: `\`format\`: auto knows no format for amzn ${facts.osVersion} (it uses systemd-networkd); set \`format\`` };
    }
    if (facts.osFamily === "rhel" || RHEL_REBUILDS.includes(id)) {
        if (major === undefined) return unknownVersion;
        return major <= 8
            ? { ok: true, format: "ifcfg", why: `${id} ${major} reads network-scripts ifcfg files` }
            : { ok: true, format: "networkmanager", why: `${id} ${major} deprecates ifcfg files for NetworkManager keyfiles` };
    }
    if (id === "ubuntu") {
        if (major === undefined) return unknownVersion;
        return major >= 18
            ? { ok: true, format: "netplan", why: `Ubuntu ${major} configures networks with netplan` }
            : { ok: true, format: "interfaces", why: `Ubuntu ${major} uses ifupdown` };
    }
    if (facts.osFamily === "debian") return { ok: true, format: "interfaces", why: `${id || "Debian"} uses ifupdown` };
    return { ok: false, message: `\`format\`: auto knows no format for ${JSON.stringify(id)} (family ${facts.osFamily}); set \`format\`` };
}

/** "7.9" → 7, "22.04" → 22, "" → undefined. */
function majorVersion(version: string): number | undefined {
    const match = /^(\d+)/.exec(version.trim());
    return match ? Number(match[1]) : undefined;
}
