/**
 * `format: "auto"`: the format a host's own tools read, chosen from its OS facts. Pure: the facts are
 * read elsewhere (provider/derive/staticInterfaceFormat.ts, once per host, kept in state).
 */
import type { StaticInterfaceFormat } from "./args";
import { STATIC_INTERFACE_FORMATS } from "./model";

/** The host facts the format choice needs (a subset of the provider's HostFacts). */
export interface FormatFacts {
    osFamily: "debian" | "rhel" | "other";
    /** `ID` from /etc/os-release: "centos", "rhel", "rocky", "ubuntu", "debian", ... */
    osId: string;
    /** `VERSION_ID` from /etc/os-release: "7", "8.9", "22.04", ... */
    osVersion: string;
    /** Tools found on PATH, by name. */
    tools: Record<string, boolean>;
    /**
     * Devices that a running network service already has, by device: netplan (its generated networkd or
     * NetworkManager file names the device) or NetworkManager (running, and the device not unmanaged).
     * Absent in facts kept by older versions: the OS alone decides then.
     */
    managers?: Record<string, DeviceManager>;
}

/** A service that runs a device, whose format `auto` then writes. */
export type DeviceManager = "netplan" | "networkmanager";

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
 * The format of the service that already runs `device` (netplan, NetworkManager), else the one the
 * host's distribution uses for static addresses, checked against the tools present: RHEL and its
 * rebuilds 7-8 read ifcfg files; 9 and later (and Fedora) NetworkManager keyfiles (ifcfg support is
 * deprecated there); Ubuntu 18.04 and later netplan; Debian and older Ubuntu ifupdown's interfaces.d.
 * A Debian host whose device NetworkManager runs would otherwise get a stanza that NetworkManager
 * ignores at boot, or that takes the device from it.
 */
export function chooseFormat(facts: FormatFacts, device?: string): FormatChoice {
    const manager = device !== undefined && facts.managers && Object.hasOwn(facts.managers, device) ? facts.managers[device] : undefined;
    if (manager !== undefined && facts.tools[FORMAT_TOOL[manager]]) {
        return { ok: true, format: manager, why: `${device} is run by ${manager === "netplan" ? "netplan" : "NetworkManager"}` };
    }
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
