/**
 * The resolved (plain, non-Input) shape of a static interface, as the validator, the renderers and the
 * live state see it, and the canonical form the renderers format (every address parsed once).
 */
import { OnpremError } from "../../contract/errors";
import { IpFamily, ParsedCidr, parseCidr, parseIp } from "../../model/address";

/** Where the configuration is written, and so which OS tool reads it. */
export type StaticInterfaceFormat = "ifcfg" | "interfaces" | "netplan" | "networkmanager";

/** The format that is read from the host: decided (plan/staticInterface/format.ts) before a spec is rendered. */
export const AUTO_FORMAT = "auto";

/** Every format, in a fixed order (messages list them in it). */
export const STATIC_INTERFACE_FORMATS: readonly StaticInterfaceFormat[] = ["ifcfg", "interfaces", "netplan", "networkmanager"];

/** A static route through the interface (the SDK's `StaticRouteSpec`, resolved). */
export interface StaticRoute {
    destination: string;
    via?: string;
    metric?: number;
    table?: number;
}

/** One interface with static addresses on one host; the SDK's Args document each field and its default. */
export interface StaticInterfaceSpec {
    device: string;
    addresses: string[];
    gateway?: string;
    gateway6?: string;
    dns?: string[];
    searchDomains?: string[];
    routes?: StaticRoute[];
    mtu?: number;
    onBoot?: boolean;
    /** Resolved: `auto` is decided (plan/staticInterface/format.ts) before this spec is built. */
    format: StaticInterfaceFormat;
    nmControlled?: boolean;
    macAddress?: string;
}

const DEFAULT_ON_BOOT = true;
const DEFAULT_NM_CONTROLLED = false;

/** A route in canonical form; a gateway is a route to "default". */
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

/** The spec in canonical form, defaults applied: what every renderer formats. */
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

/** What makes two routes the same kernel route: family, destination, metric and table. */
export function routeKey(destination: ParsedCidr, route: Pick<StaticRoute, "metric" | "table">): string {
    return `${destination.family}|${destination.network}|${route.metric ?? ""}|${route.table ?? ""}`;
}

/** Puts a validated spec in canonical form; input that does not parse is a caller's bug (validate first). */
export function resolveStaticInterface(spec: StaticInterfaceSpec): ResolvedStaticInterface {
    const cidr = (text: string) => parseCidr(text) ?? unvalidated(text);
    const ip = (text: string) => parseIp(text)?.address ?? unvalidated(text);
    const addresses = spec.addresses.map(cidr);
    const routes: ResolvedRoute[] = [];
    if (spec.gateway !== undefined) routes.push({ family: 4, destination: "default", via: ip(spec.gateway), key: "4|default||" });
    if (spec.gateway6 !== undefined) routes.push({ family: 6, destination: "default", via: ip(spec.gateway6), key: "6|default||" });
    for (const route of spec.routes ?? []) {
        const destination = cidr(route.destination);
        routes.push({
            family: destination.family,
            destination: destination.network,
            via: route.via === undefined ? undefined : ip(route.via),
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
        dns: (spec.dns ?? []).map(ip),
        searchDomains: [...(spec.searchDomains ?? [])],
        mtu: spec.mtu,
        onBoot: spec.onBoot ?? DEFAULT_ON_BOOT,
        nmControlled: spec.nmControlled ?? DEFAULT_NM_CONTROLLED,
        macAddress: spec.macAddress?.toLowerCase(),
    };
}

function unvalidated(text: string): never {
    throw new OnpremError("Bug", `static interface: ${JSON.stringify(text)} reached the renderer without validation`);
}

/** The live change's commit-confirm settings, as given (validated with the spec). */
export interface ConfirmSettings {
    timeoutSeconds?: number;
    address?: string;
}

/** How long the host waits for the controller to confirm a change before it reverts it by itself. */
export const DEFAULT_CONFIRM_TIMEOUT_SECONDS = 60;
/** A reconnect after a live change needs a few seconds; less would revert changes that worked. */
export const MIN_CONFIRM_TIMEOUT_SECONDS = 10;
