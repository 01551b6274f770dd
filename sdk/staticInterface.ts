import * as pulumi from "@pulumi/pulumi";
import type { ConnectionSpec } from "../provider/ssh/connection";
import { stateDir } from "../provider/host/layout";
import type { Issue } from "../provider/contract/issue";
import { chooseFormat, FormatChoice, StaticInterfaceFormat, StaticInterfaceSpec, StaticRouteSpec } from "../provider/plan/staticInterfaceModel";
import { parseCidr, parseIp, subnetContains, validateStaticInterface } from "../provider/plan/staticInterfaceValidate";
import { renderStaticInterface } from "../provider/render/staticInterface";
import { staticInterfaceValidators } from "../provider/render/staticInterfaceChecks";
import { addressesOfLiveState, staticInterfaceLiveState } from "../provider/render/staticInterfaceLive";
import { ConnectionArgs } from "./connection";
import { HostConfig, hostStateKey } from "./hostConfig";
import { issueLines } from "./issues";

/** How long the host waits for the controller to confirm a change before it reverts it by itself. */
export const DEFAULT_CONFIRM_TIMEOUT_SECONDS = 60;
const MIN_CONFIRM_TIMEOUT_SECONDS = 10;
const KIND = "static-interface";

/** Inputs of `StaticInterface`. */
export interface StaticInterfaceArgs {
    /** How to reach the host: its address now (before the change). */
    connection: pulumi.Input<ConnectionArgs>;
    /** The interface, e.g. "eth1" or "enp0s3". */
    device: pulumi.Input<string>;
    /** The addresses with prefix lengths, IPv4 and IPv6 ("192.168.0.193/24"); the first of each family is the primary. */
    addresses: pulumi.Input<pulumi.Input<string>[]>;
    /** The IPv4 default gateway, inside one of the IPv4 subnets. Defaults to none. */
    gateway?: pulumi.Input<string>;
    /** The IPv6 default gateway, inside one of the IPv6 subnets or link-local. Defaults to none. */
    gateway6?: pulumi.Input<string>;
    /** DNS servers, at most 3, written to the file for the OS's resolver hooks (not applied live). Defaults to none. */
    dns?: pulumi.Input<pulumi.Input<string>[]>;
    /** DNS search domains, written to the file like `dns`. Defaults to none. */
    searchDomains?: pulumi.Input<pulumi.Input<string>[]>;
    /** Static routes through the interface (destination, via, metric, table). Defaults to none. */
    routes?: pulumi.Input<pulumi.Input<StaticRouteSpec>[]>;
    /** The link MTU, 68-65535 (1280 or more with IPv6). Defaults to none: left as it is. */
    mtu?: pulumi.Input<number>;
    /** Bring the interface up at boot. Defaults to true. */
    onBoot?: pulumi.Input<boolean>;
    /** Apply the file only to the NIC with this hardware address. Defaults to none. */
    macAddress?: pulumi.Input<string>;
    /** The file format, or "auto" to pick it from the host's /etc/os-release and tools (read over SSH by the program, at preview too). Defaults to "auto". */
    format?: pulumi.Input<StaticInterfaceFormat | "auto">;
    /** ifcfg only: `NM_CONTROLLED=yes`. Ignored for other formats when false. Defaults to false. */
    nmControlled?: pulumi.Input<boolean>;
    /** Also bring the running interface in line with `ip` (no bounce); false writes the files only, for the next boot. Defaults to true. */
    apply?: pulumi.Input<boolean>;
    /** Seconds the host waits for the controller to reconnect after a live change before it reverts the change by itself; at least 10. Defaults to 60. */
    confirmTimeoutSeconds?: pulumi.Input<number>;
    /** Where to reconnect after the change when the connection's address moves to another subnet. Defaults to the connection's host, or the new address in its subnet. */
    confirmAddress?: pulumi.Input<string>;
}

/** What the component decided, or why it refuses the input. */
type Outcome =
    | { inputErrors: string[] }
    | {
          inputErrors: [];
          spec: StaticInterfaceSpec;
          files: { path: string; content: string; mode: string }[];
          confirmHosts: string[];
          apply: boolean;
          timeout: number;
      };

/** Host facts looked up by this program, by host: one connection per host, whatever the number of interfaces. */
const factsCache = new Map<string, Promise<FormatChoice>>();

/**
 * A static interface configuration on one host: the file its OS reads at boot (ifcfg, interfaces.d,
 * netplan or a NetworkManager keyfile), and the same addresses, routes and MTU on the running device,
 * changed with `ip` without a bounce. Every live change is commit-confirmed: the host reverts it by
 * itself unless the controller reconnects (at the new address if the connection's address moved) within
 * `confirmTimeoutSeconds`.
 */
export class StaticInterface extends pulumi.ComponentResource {
    /** The rendered files by path: what preview diffs show. */
    readonly files: pulumi.Output<Record<string, string>>;
    /** The format written ("auto" resolved). */
    readonly format: pulumi.Output<StaticInterfaceFormat>;
    /** The addresses on the device as last verified or refreshed (an address removed by hand is missing here after `refresh`). */
    readonly liveAddresses: pulumi.Output<string[]>;

    constructor(name: string, args: StaticInterfaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-onprem:index:StaticInterface", name, {}, opts);
        const childName = `${name}-config`;
        const dir = stateDir(hostStateKey(KIND, childName));

        const spec = pulumi
            .output({
                device: args.device, addresses: args.addresses, gateway: args.gateway, gateway6: args.gateway6, dns: args.dns,
                searchDomains: args.searchDomains, routes: args.routes, mtu: args.mtu, onBoot: args.onBoot, macAddress: args.macAddress,
                nmControlled: args.nmControlled,
            })
            .apply((s) => strip(s) as Omit<StaticInterfaceSpec, "format">);
        const connection = pulumi.output(args.connection) as pulumi.Output<ConnectionSpec>;
        // Only "auto" connects, and only to read facts; facts hold no secret, so they may be shown.
        const choice = pulumi.unsecret(
            pulumi.all([args.format, connection]).apply(([format, conn]): FormatChoice | Promise<FormatChoice> =>
                format === undefined || format === "auto" ? autoFormat(conn) : { ok: true, format, why: "set explicitly" },
            ),
        );
        const host = pulumi.unsecret(connection.apply((c) => c.host));

        const outcome: pulumi.Output<Outcome> = pulumi
            .all([spec, choice, host, args.apply, args.confirmTimeoutSeconds, args.confirmAddress])
            .apply(([s, c, h, apply, timeout, confirmAddress]) => decide(name, s, c, h, apply, timeout, confirmAddress));
        const ok = outcome.apply((o) => ("spec" in o ? o : undefined));

        const child = new HostConfig(
            childName,
            {
                connection: args.connection,
                kind: KIND,
                inputErrors: outcome.apply((o) => (o.inputErrors.length > 0 ? o.inputErrors : undefined)) as pulumi.Output<string[]>,
                files: ok.apply((o) => o?.files ?? []),
                validators: ok.apply((o) => (o ? staticInterfaceValidators(o.spec) : [])),
                states: ok.apply((o) => (o?.apply ? [staticInterfaceLiveState(o.spec, dir)] : [])),
                rollbackTimeoutSeconds: ok.apply((o) => o?.timeout ?? DEFAULT_CONFIRM_TIMEOUT_SECONDS),
                confirm: ok.apply((o) => (o?.apply ? { hosts: o.confirmHosts } : undefined)) as pulumi.Output<{ hosts: string[] }>,
            },
            { parent: this },
        );

        this.files = ok.apply((o) => Object.fromEntries((o?.files ?? []).map((f) => [f.path, f.content])));
        this.format = ok.apply((o) => o?.spec.format as StaticInterfaceFormat);
        this.liveAddresses = child.states.apply((states) => addressesOfLiveState(states?.[0]?.expected ?? ""));
        this.registerOutputs({ files: this.files, format: this.format, liveAddresses: this.liveAddresses });
    }
}

/** Pure: validates the resolved input and renders the files, or lists what is wrong. */
function decide(
    name: string,
    raw: Omit<StaticInterfaceSpec, "format">,
    choice: FormatChoice,
    host: string,
    apply: boolean | undefined,
    timeout: number | undefined,
    confirmAddress: string | undefined,
): Outcome {
    const what = `StaticInterface ${name}`;
    if (!choice.ok) return { inputErrors: issueLines(what, [{ field: "format", message: choice.message }]) };
    // nmControlled=false is the default everywhere; only a true on a format other than ifcfg is an error.
    const nmControlled = choice.format === "ifcfg" || raw.nmControlled === true ? raw.nmControlled : undefined;
    const spec: StaticInterfaceSpec = strip({ ...raw, nmControlled, format: choice.format });
    const issues: Issue[] = validateStaticInterface(spec);
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= MIN_CONFIRM_TIMEOUT_SECONDS)) {
        issues.push({ field: "confirmTimeoutSeconds", message: `\`confirmTimeoutSeconds\`: ${String(timeout)} is not a whole number of seconds of at least ${MIN_CONFIRM_TIMEOUT_SECONDS}` });
    }
    if (confirmAddress !== undefined && !parseIp(confirmAddress)) {
        issues.push({ field: "confirmAddress", message: `\`confirmAddress\`: ${JSON.stringify(confirmAddress)} is not an IP address` });
    }
    if (issues.length > 0) return { inputErrors: issueLines(what, issues) };
    return {
        inputErrors: [],
        spec,
        files: renderStaticInterface(spec),
        confirmHosts: confirmHosts(host, spec.addresses, confirmAddress),
        apply: apply ?? true,
        timeout: timeout ?? DEFAULT_CONFIRM_TIMEOUT_SECONDS,
    };
}

/**
 * Pure: where to reconnect after a change. The connection's host, then (if it is an address) the new
 * addresses in its subnet: a management address that moves within its subnet is found again there.
 * Addresses in other subnets are not tried unless named, since the controller may have no route to them.
 */
export function confirmHosts(host: string, addresses: readonly string[], confirmAddress?: string): string[] {
    const ip = parseIp(host);
    const moved = ip
        ? addresses
              .map((a) => parseCidr(a))
              .filter((a) => a !== undefined && a.family === ip.family && subnetContains(a.subnet, ip.ip))
              .map((a) => a!.address)
        : [];
    return [...new Set([host, ...(confirmAddress ? [confirmAddress] : []), ...moved])];
}

/** `format: "auto"`: the host's facts, read once per host by this program. */
function autoFormat(connection: ConnectionSpec): Promise<FormatChoice> {
    const key = `${connection.user ?? "root"}@${connection.host}:${connection.port ?? 22}`;
    let choice = factsCache.get(key);
    if (!choice) {
        // Loaded here, not at the top: a program that never uses "auto" never loads the SSH client.
        choice = import("../provider/host/lookupFacts").then(({ lookupHostFacts }) => lookupHostFacts(connection)).then((facts) => chooseFormat(facts));
        factsCache.set(key, choice);
    }
    return choice;
}

function strip<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
