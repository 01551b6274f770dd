import * as pulumi from "./pulumi";
import type { ConfirmSpec } from "../provider/contract/desired";
import type { Issue } from "../provider/contract/issue";
import type { StaticInterfaceFormatValue } from "../provider/derive/derivations";
import { chooseFormat, FormatChoice } from "../provider/plan/staticInterface/format";
import { AUTO_FORMAT, StaticInterfaceSpec } from "../provider/plan/staticInterface/model";
import { UndecidedStaticInterfaceSpec, validateStaticInterface } from "../provider/plan/staticInterface/validate";
import { addressesOfLiveState } from "../provider/render/staticInterface/live";
import { StaticInterfaceWork, staticInterfaceWork } from "../provider/work/staticInterface";
import { ConnectionArgs } from "./connection";
import { DerivedValue } from "./derivedValue";
import { HostConfig, hostStateKey } from "./hostConfig";
import { checkInputs } from "./issues";

const KIND = "static-interface";

/** Where the configuration is written, and so which OS tool reads it. */
export type StaticInterfaceFormat = "ifcfg" | "interfaces" | "netplan" | "networkmanager";

/** A static route through the interface. */
export interface StaticRouteSpec {
    /** The destination network as a CIDR with no host bits set ("10.20.0.0/16", "2001:db8:5::/48"); for the default route use `gateway`/`gateway6`. No default. */
    destination: pulumi.Input<string>;
    /** The next hop, an address of the destination's family inside one of the interface's subnets (an IPv6 link-local next hop is always accepted). Defaults to none: the destination is on the link. */
    via?: pulumi.Input<string>;
    /** The route metric, 0-4294967295; lower wins. Defaults to the kernel's: 0 for IPv4, 1024 for IPv6. */
    metric?: pulumi.Input<number>;
    /** The routing table, 1-4294967295 (254 is `main`). Defaults to the main table. */
    table?: pulumi.Input<number>;
}

/** Inputs of `StaticInterface`. */
export interface StaticInterfaceArgs {
    /** How to reach the host: its address now (before the change). */
    connection: pulumi.Input<ConnectionArgs>;
    /** The kernel's name of the interface, e.g. "eth1" or "enp0s3": 1-15 characters, letters, digits, `_ . -`. No default. */
    device: pulumi.Input<string>;
    /** The addresses with prefix lengths, IPv4 and IPv6 ("192.168.0.193/24"); the first of each family is the primary. No default (at least one). */
    addresses: pulumi.Input<pulumi.Input<string>[]>;
    /** The IPv4 default gateway, inside one of the IPv4 subnets. Defaults to none. */
    gateway?: pulumi.Input<string>;
    /** The IPv6 default gateway, inside one of the IPv6 subnets or link-local. Defaults to none. */
    gateway6?: pulumi.Input<string>;
    /** DNS servers, at most 3, written to the file for the OS's resolver hooks (not applied live). Defaults to none. */
    dns?: pulumi.Input<pulumi.Input<string>[]>;
    /** DNS search domains, at most 6 and 256 characters in all, written to the file like `dns`. Defaults to none. */
    searchDomains?: pulumi.Input<pulumi.Input<string>[]>;
    /** Static routes through the interface (destination, via, metric, table). Defaults to none. */
    routes?: pulumi.Input<pulumi.Input<StaticRouteSpec>[]>;
    /** The link MTU, 68-65535 (1280 or more with IPv6). Defaults to none: left as it is. */
    mtu?: pulumi.Input<number>;
    /** Bring the interface up at boot. Defaults to true. */
    onBoot?: pulumi.Input<boolean>;
    /** Apply the file only to the NIC with this hardware address ("52:54:00:12:34:56"). Defaults to none: the name alone decides. */
    macAddress?: pulumi.Input<string>;
    /**
     * The file format, or "auto" to pick it from the host's /etc/os-release and tools. "auto" reads the
     * host once, read-only, over SSH, in the provider, and keeps what it read in state: the first preview
     * (before the first deploy) connects to the host, later previews do not. An explicit format never
     * connects at preview. Defaults to "auto".
     */
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

/** What the component decided: the host's work, or why it refuses the input. */
interface Outcome {
    issues: Issue[];
    format?: StaticInterfaceFormat;
    work?: StaticInterfaceWork;
}

/**
 * A static interface configuration on one host: the file its OS reads at boot (ifcfg, interfaces.d,
 * netplan or a NetworkManager keyfile), and the same addresses, routes and MTU on the running device,
 * changed with `ip` without a bounce. Every live change is commit-confirmed: the host reverts it by
 * itself unless the controller reconnects (at the new address if the connection's address moved) within
 * `confirmTimeoutSeconds`.
 */
export class StaticInterface extends pulumi.ComponentResource {
    /** Host (the connection's host) -> path -> rendered text: what preview diffs show. */
    readonly files: pulumi.Output<Record<string, Record<string, string>>>;
    /** The format written ("auto" resolved). */
    readonly format: pulumi.Output<StaticInterfaceFormat>;
    /** The addresses on the device as last verified or refreshed (an address removed by hand is missing here after `refresh`). */
    readonly liveAddresses: pulumi.Output<string[]>;

    constructor(name: string, args: StaticInterfaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-onprem:index:StaticInterface", name, {}, opts);
        const childName = `${name}-config`;
        const connection = pulumi.output(args.connection);
        // The address is not the secret part of a connection; keys are.
        const host = pulumi.unsecret(connection.apply((c) => c.host));
        const target = pulumi.unsecret(connection.apply((c) => `${c.user ?? "root"}@${c.host}:${c.port ?? 22}`));
        const wanted = pulumi.output(args.format).apply((f) => f ?? AUTO_FORMAT);
        const spec = pulumi.output({
            device: args.device, addresses: args.addresses, gateway: args.gateway, gateway6: args.gateway6, dns: args.dns,
            searchDomains: args.searchDomains, routes: args.routes, mtu: args.mtu, onBoot: args.onBoot, macAddress: args.macAddress,
            nmControlled: args.nmControlled,
        });
        const confirm = pulumi.all([args.confirmTimeoutSeconds, args.confirmAddress]).apply(([timeoutSeconds, address]) => strip({ timeoutSeconds, address }));
        // Everything "auto" does not decide, checked before the host is read: bad input is reported as
        // such, never as the failed read of a host it would not have been applied to.
        const early = pulumi
            .all([spec, wanted, confirm])
            .apply(([s, format, c]) => validateStaticInterface(strip({ ...withNmDefault(strip(s), format), format }) as UndecidedStaticInterfaceSpec, c));

        // "auto": the host's facts, read by the provider once and kept in state (see `format`); the
        // provider gets the connection only for input that passed the rules above.
        const facts = new DerivedValue(
            `${name}-format`,
            {
                derivation: "staticInterfaceFormat",
                input: pulumi.output({ format: wanted, target }),
                connection: early.apply((issues) => (issues.length > 0 ? undefined : args.connection)) as pulumi.Output<ConnectionArgs>,
            },
            { parent: this },
        );
        const outcome: pulumi.Output<Outcome> = pulumi
            .all([spec, wanted, facts.value, host, args.apply, confirm])
            .apply(([s, format, kept, h, apply, c]) =>
                decide({
                    raw: strip(s) as Omit<StaticInterfaceSpec, "format">,
                    choice: formatChoice(format, kept, s.device),
                    host: h,
                    stateKey: hostStateKey(KIND, childName),
                    apply: apply ?? true,
                    confirm: c,
                }),
            );

        // The rules broken before the read, else those the host's facts decide (with the format it chose).
        const issues = early.apply((found) => (found.length > 0 ? pulumi.output(found) : outcome.apply((o) => o.issues)));
        const inputs = checkInputs(this, name, `StaticInterface ${name}`, issues);
        const work = outcome.apply((o) => o.work);
        const child = new HostConfig(
            childName,
            {
                connection: args.connection,
                kind: KIND,
                files: work.apply((w) => w?.files ?? []),
                validators: work.apply((w) => w?.validators ?? []),
                states: work.apply((w) => w?.states ?? []),
                // Unset while the input is refused: the InputCheck stops the preview before this child is touched.
                rollbackTimeoutSeconds: work.apply((w) => w?.rollbackTimeoutSeconds) as pulumi.Output<number>,
                confirm: work.apply((w) => w?.confirm) as pulumi.Output<ConfirmSpec>,
            },
            { parent: this, dependsOn: [inputs] },
        );

        this.files = pulumi.all([host, work]).apply(([h, w]) => ({ [h]: Object.fromEntries((w?.files ?? []).map((f) => [f.path, f.content])) }));
        this.format = outcome.apply((o) => o.format as StaticInterfaceFormat);
        this.liveAddresses = child.states.apply((states) => addressesOfLiveState(states?.[0]?.expected ?? ""));
        this.registerOutputs({ files: this.files, format: this.format, liveAddresses: this.liveAddresses });
    }
}

/** Pure: the format asked for, or the one the kept host facts give. */
function formatChoice(format: string, kept: StaticInterfaceFormatValue, device: string): FormatChoice {
    if (format !== AUTO_FORMAT) return { ok: true, format: format as StaticInterfaceFormat, why: "set explicitly" };
    // Facts are missing only if the provider could not read them; it says why itself.
    return kept.facts ? chooseFormat(kept.facts, device) : { ok: false, message: '`format`: "auto" has no facts of the host; set `format`' };
}

/** Pure: validates the resolved input and, when it is sound, plans the host's work. */
function decide(input: {
    raw: Omit<StaticInterfaceSpec, "format">;
    choice: FormatChoice;
    host: string;
    stateKey: string;
    apply: boolean;
    confirm: { timeoutSeconds?: number; address?: string };
}): Outcome {
    const { raw, choice } = input;
    if (!choice.ok) return { issues: [{ field: "format", message: choice.message }] };
    const spec: StaticInterfaceSpec = strip({ ...withNmDefault(raw, choice.format), format: choice.format });
    const issues = validateStaticInterface(spec, input.confirm);
    if (issues.length > 0) return { issues };
    return { issues: [], format: spec.format, work: staticInterfaceWork({ ...input, spec }) };
}

/** nmControlled=false is the default everywhere; only a true on a format other than ifcfg (or auto, still undecided) is an error. */
function withNmDefault<T extends { nmControlled?: boolean }>(raw: T, format: string): T {
    return { ...raw, nmControlled: format === "ifcfg" || format === AUTO_FORMAT || raw.nmControlled === true ? raw.nmControlled : undefined };
}

function strip<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
