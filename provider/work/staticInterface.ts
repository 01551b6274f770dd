/**
 * What a static interface asks of its host: the file its OS reads (by format), the OS's own check of
 * each staged file, the live state of the device (addresses, routes, MTU changed with `ip`), and where
 * the controller reconnects to confirm a live change. The one place that builds the resource's
 * FileSpec, CommandSpec and StateSpec.
 */
import { CommandSpec, ConfirmSpec, FileSpec, stateDir, StateSpec } from "../contract/desired";
import { OnpremError } from "../contract/errors";
import { shellQuote as q } from "../contract/shell";
import { ParsedCidr, parseIp, subnetContains } from "../model/address";
import type { ResolvedStaticInterface } from "../plan/staticInterface/model";
import { ifcfgPath, ifcfgRoutePath, renderIfcfg, renderIfcfgRoutes } from "../render/staticInterface/ifcfg";
import { interfacesPath, renderInterfaces } from "../render/staticInterface/interfaces";
import { liveScripts } from "../render/staticInterface/live";
import { netplanPath, renderNetplan } from "../render/staticInterface/netplan";
import { nmConnectionPath, renderNmKeyfile } from "../render/staticInterface/nmKeyfile";

/** netplan warns about, and NetworkManager ignores, connection files that others can read. */
const PRIVATE_FILE_MODE = "0600";
const PUBLIC_FILE_MODE = "0644";

/** A parsed static interface (plan/staticInterface/validate.ts) and where it lands. */
export interface StaticInterfaceWorkInput {
    resolved: ResolvedStaticInterface;
    /** The connection's host (address or name) now, before the change. */
    host: string;
    /** The resource's state key on the host (sdk/hostConfig.ts `hostStateKey`). */
    stateKey: string;
}

/** One host's share, in the engine's terms (HostConfig's inputs). */
export interface StaticInterfaceWork {
    files: FileSpec[];
    validators: CommandSpec[];
    states: StateSpec[];
    /** Present when the device changes live: a change is kept only once the controller reconnects. */
    confirm?: ConfirmSpec;
    rollbackTimeoutSeconds: number;
}

export function staticInterfaceWork({ resolved: r, host, stateKey }: StaticInterfaceWorkInput): StaticInterfaceWork {
    const live: StateSpec = { name: `addresses, routes and MTU of ${r.device}`, ...liveScripts(r, stateDir(stateKey)) };
    return {
        files: staticInterfaceFiles(r),
        validators: staticInterfaceValidators(r),
        states: r.apply ? [live] : [],
        ...(r.apply ? { confirm: { hosts: confirmHosts(host, [...r.ipv4, ...r.ipv6], r.confirmAddress) } } : {}),
        rollbackTimeoutSeconds: r.confirmTimeoutSeconds,
    };
}

/** A whole file of this resource: its mode is always set. */
type StaticInterfaceFile = Required<Pick<FileSpec, "path" | "content" | "mode">>;

/** Every file the format needs, sorted by path. */
export function staticInterfaceFiles(r: ResolvedStaticInterface): StaticInterfaceFile[] {
    const file = (path: string, content: string, mode = PUBLIC_FILE_MODE): StaticInterfaceFile => ({ path, content, mode });
    const files = ((): StaticInterfaceFile[] => {
        switch (r.format) {
            case "ifcfg":
                return [
                    file(ifcfgPath(r.device), renderIfcfg(r)),
                    ...([4, 6] as const).flatMap((family) => {
                        const routes = renderIfcfgRoutes(r, family);
                        return routes === undefined ? [] : [file(ifcfgRoutePath(r.device, family), routes)];
                    }),
                ];
            case "interfaces":
                return [file(interfacesPath(r.device), renderInterfaces(r))];
            case "netplan":
                return [file(netplanPath(r.device), renderNetplan(r), PRIVATE_FILE_MODE)];
            case "networkmanager":
                return [file(nmConnectionPath(r.device), renderNmKeyfile(r), PRIVATE_FILE_MODE)];
            default:
                return assertNever(r.format);
        }
    })();
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The OS's own reader run on each staged file before it replaces the live one. */
function staticInterfaceValidators(r: ResolvedStaticInterface): CommandSpec[] {
    switch (r.format) {
        case "interfaces":
            return [
                {
                    description: `ifupdown reads the stanzas (ifup --no-act ${r.device})`,
                    // A private state dir: the dry run must not see (or touch) the host's ifstate.
                    command: `d=$(mktemp -d) && ifup --no-act --no-loopback --force -i {{staged:${interfacesPath(r.device)}}} --state-dir="$d" ${q(r.device)}; rc=$?; rm -rf "$d"; exit $rc`,
                },
            ];
        case "ifcfg":
            // network-scripts source ifcfg files: they must at least be valid sh.
            return [{ description: "ifcfg file is valid sh (sh -n)", command: `sh -n {{staged:${ifcfgPath(r.device)}}}` }];
        case "netplan":
            return [
                {
                    description: "netplan generates from it (netplan generate --root-dir)",
                    command: `command -v netplan >/dev/null || exit 0; d=$(mktemp -d) && mkdir -p "$d/etc/netplan" && cp {{staged:${netplanPath(r.device)}}} "$d/etc/netplan/" && netplan generate --root-dir "$d"; rc=$?; rm -rf "$d"; exit $rc`,
                },
            ];
        case "networkmanager":
            // NetworkManager has no offline check of a single keyfile; it reads it on reload.
            return [];
        default:
            return assertNever(r.format);
    }
}

/**
 * Where to reconnect after a change. The connection's host, then (if it is an address) the new
 * addresses in its subnet: a management address that moves within its subnet is found again there.
 * Addresses in other subnets are not tried unless named, since the controller may have no route to them.
 */
export function confirmHosts(host: string, addresses: readonly ParsedCidr[], confirmAddress?: string): string[] {
    const ip = parseIp(host);
    const moved = ip ? addresses.filter((a) => a.family === ip.family && subnetContains(a.subnet, ip.ip)).map((a) => a.address) : [];
    return [...new Set([host, ...(confirmAddress ? [confirmAddress] : []), ...moved])];
}

function assertNever(x: never): never {
    throw new OnpremError("Bug", `unhandled static interface format ${JSON.stringify(x)}`);
}
