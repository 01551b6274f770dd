import * as pulumi from "./pulumi";
import type { ConfirmSpec } from "../provider/contract/desired";
import type { Issue } from "../provider/contract/issue";
import type { StaticInterfaceFormatValue } from "../provider/derive/derivations";
import type { StaticInterfaceArgs, StaticInterfaceFormat, StaticInterfaceInput } from "../provider/plan/staticInterface/args";
import { chooseFormat, FormatChoice } from "../provider/plan/staticInterface/format";
import { AUTO_FORMAT } from "../provider/plan/staticInterface/model";
import { parseStaticInterface } from "../provider/plan/staticInterface/validate";
import { addressesOfLiveState } from "../provider/render/staticInterface/live";
import { StaticInterfaceWork, staticInterfaceWork } from "../provider/work/staticInterface";
import { ConnectionArgs } from "./connection";
import { DerivedValue } from "./derivedValue";
import { HostConfig, hostStateKey } from "./hostConfig";
import { resolveInputs } from "./inputs";
import { checkInputs } from "./issues";

export type { StaticInterfaceArgs, StaticInterfaceFormat, StaticRouteSpec } from "../provider/plan/staticInterface/args";

const KIND = "static-interface";

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
        const input = resolveInputs(args, ["connection"]);
        const wanted = input.apply((i) => i.format ?? AUTO_FORMAT);
        // Everything "auto" does not decide, checked before the host is read: bad input is reported as
        // such, never as the failed read of a host it would not have been applied to.
        const early = input.apply((i): Issue[] => {
            const parsed = parseStaticInterface(i);
            return parsed.ok ? [] : parsed.issues;
        });

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
            .all([input, facts.value, host])
            .apply(([i, kept, h]) => decide(i, formatChoice(i.format ?? AUTO_FORMAT, kept, i.device), { host: h, stateKey: hostStateKey(KIND, childName) }));

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

/** Pure: parses the input with its format decided and, when it is sound, plans the host's work. */
function decide(input: StaticInterfaceInput, choice: FormatChoice, where: { host: string; stateKey: string }): Outcome {
    if (!choice.ok) return { issues: [{ field: "format", message: choice.message }] };
    const parsed = parseStaticInterface({ ...input, format: choice.format });
    if (!parsed.ok) return { issues: parsed.issues };
    return { issues: [], format: parsed.value.format, work: staticInterfaceWork({ resolved: parsed.value, ...where }) };
}
