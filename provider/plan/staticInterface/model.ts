/**
 * A static interface as the validator returns it (args.ts declares the input): every address parsed,
 * every default applied. The renderers, the live state and the host's work take only this.
 */
import type { IpFamily, ParsedCidr } from "../../model/address";
import type { StaticInterfaceFormat } from "./args";

/** The format that is read from the host: decided (plan/staticInterface/format.ts) before the input is parsed for good. */
export const AUTO_FORMAT = "auto";

/** Every format, in a fixed order (messages list them in it). */
export const STATIC_INTERFACE_FORMATS: readonly StaticInterfaceFormat[] = ["ifcfg", "interfaces", "netplan", "networkmanager"];

export const DEFAULT_ON_BOOT = true;
export const DEFAULT_NM_CONTROLLED = false;
export const DEFAULT_APPLY = true;

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

/** The input in canonical form, defaults applied: what every renderer formats and the host's work takes. */
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
    /** Change the running device too, commit-confirmed; false writes the files only. */
    apply: boolean;
    confirmTimeoutSeconds: number;
    confirmAddress?: string;
}

/** What makes two routes the same kernel route: family, destination, metric and table. */
export function routeKey(destination: ParsedCidr, route: { metric?: number; table?: number }): string {
    return `${destination.family}|${destination.network}|${route.metric ?? ""}|${route.table ?? ""}`;
}

/** How long the host waits for the controller to confirm a change before it reverts it by itself. */
export const DEFAULT_CONFIRM_TIMEOUT_SECONDS = 60;
/** A reconnect after a live change needs a few seconds; less would revert changes that worked. */
export const MIN_CONFIRM_TIMEOUT_SECONDS = 10;
