/**
 * Static interface files for each OS family, and the `ip` commands that change a running interface
 * without bouncing it. Deterministic: addresses and routes in the order given (the first address of a
 * family is its primary), canonical address text, a "managed by pulumi-onprem" header, trailing newline.
 *
 * Choices shared by the formats:
 * - ifcfg writes `PREFIX` (what both network-scripts and NetworkManager's ifcfg-rh prefer when both are
 *   present) and also `NETMASK`, as seed 000 and tools that read only NETMASK expect; more IPv4
 *   addresses are IPADDR1/PREFIX1/NETMASK1, ...; IPv6 is IPV6ADDR plus IPV6ADDR_SECONDARIES.
 * - ifcfg route files use `ip route` argument lines, not ADDRESSn/NETMASKn/GATEWAYn: network-scripts'
 *   ifup-routes ignores METRICn in that form and has no table key, and the line form carries both and is
 *   the only form route6- files have.
 * - ifupdown 0.8 applies only the first `address` of a stanza, so every further address gets its own
 *   `iface` stanza (interfaces(5): several stanzas of one interface are all applied). Routes are added in
 *   the last stanza of their family (all addresses are up by then) and removed in the first (before
 *   anything goes down).
 * - netplan default routes are `to: 0.0.0.0/0` and `to: "::/0"`: the `default` keyword needs a newer
 *   netplan than Ubuntu 18.04 and 20.04 shipped.
 * - With no address of a family, that family is left to the kernel's defaults (IPv6 link-local stays),
 *   except that NetworkManager's IPv4 is disabled (no DHCP on a static interface).
 */
import { createHash } from "node:crypto";
import { IPv4CidrRange } from "ip-num";
import { OnpremError } from "../contract/errors";
import type { FileSpec } from "../contract/desired";
import { DEFAULT_NM_CONTROLLED, DEFAULT_ON_BOOT, StaticInterfaceFormat, StaticInterfaceSpec } from "../plan/staticInterfaceModel";
import { IpFamily, ParsedCidr, parseCidr, parseIp, routeKey, validateStaticInterface } from "../plan/staticInterfaceValidate";
import { MANAGED_HEADER } from "./managedHeader";
import { NETWORK_SCRIPTS_DIR } from "./ovs/ifcfg";
import { INTERFACES_DIR } from "./ovs/interfaces";

export type StaticInterfaceFile = Required<Pick<FileSpec, "path" | "content" | "mode">>;

export const NETPLAN_DIR = "/etc/netplan";
export const NM_CONNECTIONS_DIR = "/etc/NetworkManager/system-connections";
/** netplan warns about, and NetworkManager ignores, connection files that others can read. */
export const PRIVATE_FILE_MODE = "0600";
export const PUBLIC_FILE_MODE = "0644";
/** The UUID namespace for NetworkManager connection UUIDs derived from device names (RFC 4122 version 5). */
export const NM_UUID_NAMESPACE = "8c1f4a52-3d6e-4b0f-a7c9-5e2d1b6f9a34";

// ---------------------------------------------------------------------------------------------
// The spec, validated and in canonical form

export interface ResolvedRoute {
    family: IpFamily;
    /** The network ("10.20.0.0/16"), or "default" for a gateway. */
    destination: string;
    via?: string;
    metric?: number;
    table?: number;
    /** Family, destination, metric and table: what the kernel tells routes apart by. */
    key: string;
}

export interface ResolvedStaticInterface {
    device: string;
    format: StaticInterfaceFormat;
    ipv4: ParsedCidr[];
    ipv6: ParsedCidr[];
    /** The gateways as default routes (IPv4 first), then `routes`, in the order given. */
    routes: ResolvedRoute[];
    dns: string[];
    searchDomains: string[];
    mtu?: number;
    onBoot: boolean;
    nmControlled: boolean;
    /** Lower case, as sysfs prints it. */
    macAddress?: string;
}

/** Validates and puts every address in canonical form; throws InvalidArgument listing the issues. */
export function resolveStaticInterface(spec: StaticInterfaceSpec): ResolvedStaticInterface {
    const issues = validateStaticInterface(spec);
    if (issues.length > 0) throw new OnpremError("InvalidArgument", issues.map((i) => i.message).join("; "));
    const addresses = spec.addresses.map((a) => parseCidr(a) as ParsedCidr);
    const routes: ResolvedRoute[] = [];
    if (spec.gateway !== undefined) routes.push(defaultRoute(4, spec.gateway));
    if (spec.gateway6 !== undefined) routes.push(defaultRoute(6, spec.gateway6));
    for (const route of spec.routes ?? []) {
        const destination = parseCidr(route.destination) as ParsedCidr;
        routes.push({
            family: destination.family,
            destination: destination.network,
            via: route.via === undefined ? undefined : parseIp(route.via)?.address,
            metric: route.metric,
            table: route.table,
            key: routeKey(destination, route),
        });
    }
    return {
        device: spec.device,
        format: spec.format,
        ipv4: addresses.filter((a) => a.family === 4),
        ipv6: addresses.filter((a) => a.family === 6),
        routes,
        dns: (spec.dns ?? []).map((d) => parseIp(d)?.address as string),
        searchDomains: [...(spec.searchDomains ?? [])],
        mtu: spec.mtu,
        onBoot: spec.onBoot ?? DEFAULT_ON_BOOT,
        nmControlled: spec.nmControlled ?? DEFAULT_NM_CONTROLLED,
        macAddress: spec.macAddress?.toLowerCase(),
    };
}

function defaultRoute(family: IpFamily, gateway: string): ResolvedRoute {
    return { family, destination: "default", via: parseIp(gateway)?.address, key: `${family}|default||` };
}

/** `ip route` arguments after the verb: `DEST [via V] dev D [metric M] [table T]`. */
export function routeArgs(route: ResolvedRoute, device: string): string[] {
    return [
        route.destination,
        ...(route.via !== undefined ? ["via", route.via] : []),
        "dev",
        device,
        ...(route.metric !== undefined ? ["metric", String(route.metric)] : []),
        ...(route.table !== undefined ? ["table", String(route.table)] : []),
    ];
}

// ---------------------------------------------------------------------------------------------
// Files

/** Every file the spec's format needs, sorted by path. */
export function renderStaticInterface(spec: StaticInterfaceSpec): StaticInterfaceFile[] {
    const r = resolveStaticInterface(spec);
    const files = renderResolved(r);
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function renderResolved(r: ResolvedStaticInterface): StaticInterfaceFile[] {
    switch (r.format) {
        case "ifcfg":
            return renderIfcfgFiles(r);
        case "interfaces":
            return [{ path: interfacesPath(r.device), content: renderInterfacesStanzas(r), mode: PUBLIC_FILE_MODE }];
        case "netplan":
            return [{ path: netplanPath(r.device), content: renderNetplan(r), mode: PRIVATE_FILE_MODE }];
        case "networkmanager":
            return [{ path: nmConnectionPath(r.device), content: renderNmKeyfile(r), mode: PRIVATE_FILE_MODE }];
        default:
            return assertNever(r.format);
    }
}

/**
 * Every path the format may write for this device, including route files that the current routes do
 * not need: whatever is listed here and not rendered is stale and should be removed.
 */
export function staticInterfacePaths(spec: Pick<StaticInterfaceSpec, "device" | "format">): string[] {
    switch (spec.format) {
        case "ifcfg":
            return ["ifcfg", "route", "route6"].map((kind) => `${NETWORK_SCRIPTS_DIR}/${kind}-${spec.device}`);
        case "interfaces":
            return [interfacesPath(spec.device)];
        case "netplan":
            return [netplanPath(spec.device)];
        case "networkmanager":
            return [nmConnectionPath(spec.device)];
        default:
            return assertNever(spec.format);
    }
}

/** ifupdown's `source-directory` skips names with characters other than letters, digits, _ and -. */
export function interfacesPath(device: string): string {
    return `${INTERFACES_DIR}/${device.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export function netplanPath(device: string): string {
    return `${NETPLAN_DIR}/60-pulumi-onprem-${device}.yaml`;
}

export function nmConnectionId(device: string): string {
    return `pulumi-onprem-${device}`;
}

export function nmConnectionPath(device: string): string {
    return `${NM_CONNECTIONS_DIR}/${nmConnectionId(device)}.nmconnection`;
}

// ---------------------------------------------------------------------------------------------
// ifcfg (RHEL network-scripts, and NetworkManager's ifcfg-rh plugin with NM_CONTROLLED=yes)

type Vars = [string, string | number][];

function renderIfcfgFiles(r: ResolvedStaticInterface): StaticInterfaceFile[] {
    const vars: Vars = [["DEVICE", r.device], ["TYPE", "Ethernet"]];
    if (r.macAddress !== undefined) vars.push(["HWADDR", r.macAddress]);
    // Seed 000 writes "static"; network-scripts treat "none" the same, which reads better without IPv4.
    vars.push(["BOOTPROTO", r.ipv4.length > 0 ? "static" : "none"], ["ONBOOT", r.onBoot ? "yes" : "no"]);
    r.ipv4.forEach((a, i) => {
        const n = i === 0 ? "" : String(i);
        vars.push([`IPADDR${n}`, a.address], [`PREFIX${n}`, a.prefix], [`NETMASK${n}`, ipv4Netmask(a)]);
    });
    const gateway4 = r.routes.find((x) => x.destination === "default" && x.family === 4);
    if (gateway4?.via !== undefined) vars.push(["GATEWAY", gateway4.via]);
    if (r.ipv6.length > 0) {
        vars.push(["IPV6INIT", "yes"], ["IPV6_AUTOCONF", "no"], ["IPV6ADDR", r.ipv6[0].cidr]);
        if (r.ipv6.length > 1) vars.push(["IPV6ADDR_SECONDARIES", r.ipv6.slice(1).map((a) => a.cidr).join(" ")]);
        const gateway6 = r.routes.find((x) => x.destination === "default" && x.family === 6);
        if (gateway6?.via !== undefined) vars.push(["IPV6_DEFAULTGW", gateway6.via]);
    }
    r.dns.forEach((server, i) => vars.push([`DNS${i + 1}`, server]));
    if (r.searchDomains.length > 0) vars.push(["DOMAIN", r.searchDomains.join(" ")]);
    if (r.mtu !== undefined) vars.push(["MTU", r.mtu]);
    vars.push(["NM_CONTROLLED", r.nmControlled ? "yes" : "no"]);

    const files: StaticInterfaceFile[] = [
        { path: `${NETWORK_SCRIPTS_DIR}/ifcfg-${r.device}`, content: lines([MANAGED_HEADER, ...vars.map(([k, v]) => `${k}=${shValue(String(v))}`)]), mode: PUBLIC_FILE_MODE },
    ];
    for (const family of [4, 6] as const) {
        const routes = r.routes.filter((x) => x.family === family && x.destination !== "default");
        if (routes.length === 0) continue;
        files.push({
            path: `${NETWORK_SCRIPTS_DIR}/${family === 4 ? "route" : "route6"}-${r.device}`,
            content: lines([MANAGED_HEADER, ...routes.map((x) => routeArgs(x, r.device).join(" "))]),
            mode: PUBLIC_FILE_MODE,
        });
    }
    return files;
}

function ipv4Netmask(a: ParsedCidr): string {
    return (a.subnet as IPv4CidrRange).getPrefix().toMask().toString();
}

/** ifcfg files are sourced by sh: plain values bare, anything else single-quoted. */
function shValue(value: string): string {
    if (/^[A-Za-z0-9_.:\/=@+,-]+$/.test(value)) return value;
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// /etc/network/interfaces.d (Debian ifupdown)

function renderInterfacesStanzas(r: ResolvedStaticInterface): string {
    const blocks: string[][] = [];
    let firstStanza = true;
    for (const family of [4, 6] as const) {
        const addresses = family === 4 ? r.ipv4 : r.ipv6;
        const routes = r.routes.filter((x) => x.family === family && x.destination !== "default");
        const gateway = r.routes.find((x) => x.family === family && x.destination === "default");
        const ipFamily = family === 4 ? "-4" : "-6";
        addresses.forEach((a, i) => {
            const stanza = [`iface ${r.device} ${family === 4 ? "inet" : "inet6"} static`, `    address ${a.cidr}`];
            if (i === 0 && gateway?.via !== undefined) stanza.push(`    gateway ${gateway.via}`);
            // A static IPv6 address means no router advertisements, as the other formats do.
            if (i === 0 && family === 6) stanza.push("    accept_ra 0");
            if (firstStanza) {
                firstStanza = false;
                if (r.mtu !== undefined) stanza.push(`    mtu ${r.mtu}`);
                if (r.macAddress !== undefined) {
                    // ifupdown cannot match a NIC by its address: refuse to configure another NIC instead.
                    stanza.push(`    pre-up test "$(cat /sys/class/net/${r.device}/address)" = ${r.macAddress}`);
                }
                if (r.dns.length > 0) stanza.push(`    dns-nameservers ${r.dns.join(" ")}`);
                if (r.searchDomains.length > 0) stanza.push(`    dns-search ${r.searchDomains.join(" ")}`);
            }
            if (i === addresses.length - 1) {
                for (const route of routes) stanza.push(`    post-up ip ${ipFamily} route replace ${routeArgs(route, r.device).join(" ")}`);
            }
            if (i === 0) {
                for (const route of routes) stanza.push(`    pre-down ip ${ipFamily} route del ${routeArgs(route, r.device).join(" ")}`);
            }
            blocks.push(stanza);
        });
    }
    const head = [MANAGED_HEADER];
    if (r.onBoot) head.push(`auto ${r.device}`);
    return lines([[...head, ...blocks[0]].join("\n"), ...blocks.slice(1).map((b) => b.join("\n"))], "\n\n");
}

// ---------------------------------------------------------------------------------------------
// netplan

function renderNetplan(r: ResolvedStaticInterface): string {
    const out = [MANAGED_HEADER, "network:", "  version: 2", "  ethernets:", `    ${yamlScalar(r.device)}:`];
    const put = (depth: number, text: string) => out.push(`${"  ".repeat(depth)}${text}`);
    if (r.macAddress !== undefined) {
        put(3, "match:");
        put(4, `name: ${yamlScalar(r.device)}`);
        put(4, `macaddress: ${yamlScalar(r.macAddress)}`);
    }
    put(3, "addresses:");
    for (const a of [...r.ipv4, ...r.ipv6]) put(4, `- ${yamlScalar(a.cidr)}`);
    if (r.ipv6.length > 0) put(3, "accept-ra: false");
    if (r.mtu !== undefined) put(3, `mtu: ${r.mtu}`);
    if (r.dns.length > 0 || r.searchDomains.length > 0) {
        put(3, "nameservers:");
        if (r.dns.length > 0) {
            put(4, "addresses:");
            for (const d of r.dns) put(5, `- ${yamlScalar(d)}`);
        }
        if (r.searchDomains.length > 0) {
            put(4, "search:");
            for (const d of r.searchDomains) put(5, `- ${yamlScalar(d)}`);
        }
    }
    if (r.routes.length > 0) {
        put(3, "routes:");
        for (const route of r.routes) {
            const to = route.destination === "default" ? (route.family === 4 ? "0.0.0.0/0" : "::/0") : route.destination;
            put(4, `- to: ${yamlScalar(to)}`);
            if (route.via !== undefined) put(5, `via: ${yamlScalar(route.via)}`);
            // netplan wants a next hop unless the route is declared on-link.
            else put(5, "scope: link");
            if (route.metric !== undefined) put(5, `metric: ${route.metric}`);
            if (route.table !== undefined) put(5, `table: ${route.table}`);
        }
    }
    // `activation-mode` needs netplan 0.103 or later; it is written only when asked for.
    if (!r.onBoot) put(3, "activation-mode: manual");
    return lines(out);
}

const YAML_KEYWORDS = /^(y|yes|n|no|true|false|on|off|null|~)$/i;
const YAML_NUMBER = /^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$/;

/** A string as YAML reads it back unchanged: plain when safe, else double-quoted (JSON strings are valid YAML). */
function yamlScalar(value: string): string {
    if (/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/.test(value) && !YAML_KEYWORDS.test(value) && !YAML_NUMBER.test(value)) return value;
    return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// NetworkManager keyfile

function renderNmKeyfile(r: ResolvedStaticInterface): string {
    const sections: string[][] = [
        [
            "[connection]",
            `id=${nmConnectionId(r.device)}`,
            `uuid=${nmConnectionUuid(r.device)}`,
            "type=ethernet",
            `interface-name=${r.device}`,
            `autoconnect=${r.onBoot ? "true" : "false"}`,
        ],
        [
            "[ethernet]",
            ...(r.macAddress !== undefined ? [`mac-address=${r.macAddress}`] : []),
            ...(r.mtu !== undefined ? [`mtu=${r.mtu}`] : []),
        ],
    ];
    // Search domains go with the first family that has addresses: NetworkManager keeps them per family.
    const searchFamily: IpFamily = r.ipv4.length > 0 ? 4 : 6;
    for (const family of [4, 6] as const) {
        const addresses = family === 4 ? r.ipv4 : r.ipv6;
        const section = [family === 4 ? "[ipv4]" : "[ipv6]"];
        if (addresses.length === 0) {
            section.push(`method=${family === 4 ? "disabled" : "ignore"}`);
            sections.push(section);
            continue;
        }
        section.push("method=manual");
        addresses.forEach((a, i) => section.push(`address${i + 1}=${a.cidr}`));
        const gateway = r.routes.find((x) => x.family === family && x.destination === "default");
        if (gateway?.via !== undefined) section.push(`gateway=${gateway.via}`);
        const dns = r.dns.filter((d) => parseIp(d)?.family === family);
        if (dns.length > 0) section.push(`dns=${dns.map((d) => `${d};`).join("")}`);
        if (family === searchFamily && r.searchDomains.length > 0) section.push(`dns-search=${r.searchDomains.map((d) => `${d};`).join("")}`);
        r.routes
            .filter((x) => x.family === family && x.destination !== "default")
            .forEach((route, i) => {
                const fields = [route.destination, route.via ?? "", route.metric === undefined ? "" : String(route.metric)];
                while (fields[fields.length - 1] === "") fields.pop();
                section.push(`route${i + 1}=${fields.join(",")}`);
                if (route.table !== undefined) section.push(`route${i + 1}_options=table=${route.table}`);
            });
        sections.push(section);
    }
    return lines([`${MANAGED_HEADER}\n${sections[0].join("\n")}`, ...sections.slice(1).map((x) => x.join("\n"))], "\n\n");
}

/** A version 5 UUID of the device name: the same connection keeps its UUID across renders. */
export function nmConnectionUuid(device: string): string {
    const namespace = Buffer.from(NM_UUID_NAMESPACE.replace(/-/g, ""), "hex");
    const bytes = createHash("sha1").update(Buffer.concat([namespace, Buffer.from(device, "utf8")])).digest().subarray(0, 16);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------
// Live changes

/** One command to run on the host, as an argument vector (every token is validated: no quoting needed, but quote anyway when joining for a shell). */
export interface LiveCommand {
    argv: string[];
    /** A removal: it fails when the thing is already gone (removed by hand, or with its address), which is not an error. */
    mayFail: boolean;
}

export interface LivePlan {
    /** In order. Empty when nothing live changes, or when `bounce` is set (the OS tool then does it all). */
    commands: LiveCommand[];
    /** Only a bounce (ifdown/ifup, `nmcli connection up`, `netplan apply`) can bring the interface in line. */
    bounce: boolean;
    /** Why a bounce is needed, one line per cause. */
    bounceReasons: string[];
    /** DNS servers or search domains changed: `ip` cannot apply them; the OS tool's resolver hook must. */
    resolverChanged: boolean;
    /** Changes that are neither applied live nor worth a bounce, e.g. an MTU that is no longer managed. */
    notes: string[];
}

/**
 * The `ip` commands that take the live interface from `before` to `after` without taking it down, so
 * connections on addresses that stay are never cut: the link is set up, new addresses are added before
 * old ones are removed (with promote_secondaries on, so removing an IPv4 primary keeps the other
 * addresses of its subnet), routes are replaced in place (`ip route replace`), and only then are routes
 * and addresses that went away removed. `before` undefined means the live state is unknown: everything
 * is asserted with idempotent commands and nothing is removed; pass the state read from the host as
 * `before` to also remove what should not be there.
 */
export function liveCommands(before: StaticInterfaceSpec | undefined, after: StaticInterfaceSpec): LivePlan {
    const next = resolveStaticInterface(after);
    const prev = before === undefined ? undefined : resolveStaticInterface(before);
    const plan: LivePlan = { commands: [], bounce: false, bounceReasons: [], resolverChanged: false, notes: [] };
    if (prev === undefined) {
        plan.resolverChanged = next.dns.length > 0 || next.searchDomains.length > 0;
    } else {
        plan.resolverChanged = next.dns.join(" ") !== prev.dns.join(" ") || next.searchDomains.join(" ") !== prev.searchDomains.join(" ");
        if (prev.device !== next.device) plan.bounceReasons.push(`the device changes from ${prev.device} to ${next.device}`);
        if (prev.format !== next.format) plan.bounceReasons.push(`the format changes from ${prev.format} to ${next.format}: another tool takes the interface over`);
        else if (next.format === "ifcfg" && prev.nmControlled !== next.nmControlled) {
            plan.bounceReasons.push(`NM_CONTROLLED changes to ${next.nmControlled ? "yes" : "no"}: ${next.nmControlled ? "NetworkManager takes the interface over" : "NetworkManager lets the interface go"}`);
        }
        if (prev.macAddress !== next.macAddress) plan.bounceReasons.push(`macAddress changes from ${prev.macAddress ?? "none"} to ${next.macAddress ?? "none"}: the OS tool must check the NIC again`);
        if (plan.bounceReasons.length > 0) {
            plan.bounce = true;
            return plan;
        }
    }

    const dev = next.device;
    const commands: LiveCommand[] = [];
    const run = (...argv: string[]) => commands.push({ argv, mayFail: false });
    const tryRun = (...argv: string[]) => commands.push({ argv, mayFail: true });

    if (next.mtu !== undefined && next.mtu !== prev?.mtu) run("ip", "link", "set", "dev", dev, "mtu", String(next.mtu));
    if (next.mtu === undefined && prev?.mtu !== undefined) {
        plan.notes.push(`mtu is no longer managed: the live MTU stays ${prev.mtu} until the interface is reset`);
    }

    const prevAddresses = prev === undefined ? [] : [...prev.ipv4, ...prev.ipv6];
    const nextAddresses = [...next.ipv4, ...next.ipv6];
    const has = (list: ParsedCidr[], a: ParsedCidr) => list.some((b) => b.cidr === a.cidr);
    const removed = prevAddresses.filter((a) => !has(nextAddresses, a));
    for (const a of nextAddresses) {
        if (prev !== undefined && has(prevAddresses, a)) continue;
        // The kernel keys IPv6 addresses by address alone: a new prefix needs the old entry gone first.
        const samePrefixless = a.family === 6 ? removed.find((b) => b.family === 6 && b.address === a.address) : undefined;
        if (samePrefixless) {
            tryRun("ip", "-6", "addr", "del", samePrefixless.cidr, "dev", dev);
            removed.splice(removed.indexOf(samePrefixless), 1);
        }
        run("ip", a.family === 4 ? "-4" : "-6", "addr", "replace", a.cidr, "dev", dev);
    }

    const prevRoutes = prev?.routes ?? [];
    const sameRoute = (x: ResolvedRoute, y: ResolvedRoute) => x.key === y.key && x.via === y.via;
    for (const route of next.routes) {
        if (prev !== undefined && prevRoutes.some((p) => sameRoute(p, route))) continue;
        run("ip", route.family === 4 ? "-4" : "-6", "route", "replace", ...routeArgs(route, dev));
    }
    for (const route of prevRoutes) {
        if (next.routes.some((n) => n.key === route.key)) continue;
        tryRun("ip", route.family === 4 ? "-4" : "-6", "route", "del", ...routeArgs(route, dev));
    }

    if (removed.some((a) => a.family === 4)) {
        // Without this the kernel deletes every secondary address of a subnet with its primary.
        run("sysctl", "-w", `net.ipv4.conf.${dev.replace(/\./g, "/")}.promote_secondaries=1`);
    }
    for (const a of removed) tryRun("ip", a.family === 4 ? "-4" : "-6", "addr", "del", a.cidr, "dev", dev);

    // Routes and addresses cannot be added to a link that is down; setting it up is a no-op when it is up.
    if (commands.length > 0) commands.unshift({ argv: ["ip", "link", "set", "dev", dev, "up"], mayFail: false });
    plan.commands = commands;
    return plan;
}

// ---------------------------------------------------------------------------------------------

function lines(items: string[], separator = "\n"): string {
    return `${items.join(separator)}\n`;
}

function assertNever(x: never): never {
    throw new OnpremError("Bug", `unhandled static interface format ${JSON.stringify(x)}`);
}
