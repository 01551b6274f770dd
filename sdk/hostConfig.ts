import * as pulumi from "./pulumi";
import { createHash } from "crypto";
import type { CommandSpec, ConfirmSpec, FileSpec, PackageSpec, ServiceSpec, StateSpec } from "../provider/contract/desired";
import { validateHostConfig } from "../provider/contract/fileRules";
import { ConnectionArgs } from "./connection";
import { ShimResource } from "./providerShim";

/** Inputs of `HostConfig`: one host's desired files, services and checks. */
export interface HostConfigArgs {
    /** How to reach the host. */
    connection: pulumi.Input<ConnectionArgs>;
    /** What this is, in messages and in the host's state directory name: "keepalived", "file" (letters, digits, `_ . -`; at most 64). No default. */
    kind: string;
    /** The files to manage (absolute, normalised paths; octal modes; owners and groups by name); contents may hold `{{secret:NAME}}` placeholders. No default. */
    files: pulumi.Input<pulumi.Input<FileSpec>[]>;
    /** Values for the placeholders; always stored and shown as secrets. Defaults to none. */
    secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Packages to install when missing. Defaults to none. */
    packages?: pulumi.Input<pulumi.Input<PackageSpec>[]>;
    /** Services to reload, restart, start or enable when files change. Defaults to none. */
    services?: pulumi.Input<pulumi.Input<ServiceSpec>[]>;
    /** Checks run on the staged files before they replace the live ones. Defaults to none. */
    validators?: pulumi.Input<pulumi.Input<CommandSpec>[]>;
    /** Checks run after activation; a failure rolls the host back. Defaults to none. */
    verifiers?: pulumi.Input<pulumi.Input<CommandSpec>[]>;
    /** Live state managed through commands (read/expected/apply/remove), applied after the files. Defaults to none. */
    states?: pulumi.Input<pulumi.Input<StateSpec>[]>;
    /** Install missing packages. Defaults to true. */
    ensurePackages?: pulumi.Input<boolean>;
    /** Seconds after which the host undoes an apply whose controller vanished. Defaults to 120. */
    rollbackTimeoutSeconds?: pulumi.Input<number>;
    /** Seconds each remote command may run (a config test, a package install, a reload) before it is stopped and the host rolled back. Defaults to 600. */
    commandTimeoutSeconds?: pulumi.Input<number>;
    /** Commit-confirm: apply live states detached and commit only through a connection made afterwards, to one of these addresses; otherwise the host undoes the change after `rollbackTimeoutSeconds`. A change of `connection.host` then does not replace the resource. Defaults to none. */
    confirm?: pulumi.Input<ConfirmSpec>;
    /** Rules the owning component found broken: the provider refuses them at check, before connecting. Defaults to none. */
    inputErrors?: pulumi.Input<string[]>;
}

/**
 * One host's share of a pulumi-onprem resource: applied as one transaction, read back on refresh,
 * restored on delete. The building block under every component of this package.
 */
export class HostConfig extends ShimResource {
    /** The host key fingerprint the provider verified. */
    declare readonly hostKeyFingerprint: pulumi.Output<string>;
    /** The files as last applied or read back (templates; secrets stay placeholders). */
    declare readonly files: pulumi.Output<FileSpec[]>;
    /** Live states as last applied or read back: `expected` is what the host showed when it drifted. */
    declare readonly states: pulumi.Output<StateSpec[] | undefined>;

    constructor(name: string, args: HostConfigArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            "hostConfigProvider",
            "HostConfig",
            name,
            () => ({
                ...args,
                inputErrors: inputErrors(args),
                key: hostStateKey(args.kind, name),
                target: targetOf(args.connection),
                connection: pulumi.secret(args.connection),
                secrets: pulumi.secret(args.secrets ?? {}),
                hostKeyFingerprint: undefined,
            }),
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection", "secrets"] }),
        );
    }
}

/**
 * What the provider refuses at check: the owning component's lines (in its own field names), else the
 * broken rules of `kind` and `files` themselves; unset when there are none, so state written before the
 * check holds no change. The component's lines do not wait for the files, whose content may be unknown
 * at preview. The lines quote paths, modes and names, never a file's content.
 */
function inputErrors(args: HostConfigArgs): pulumi.Output<string[] | undefined> {
    const lines = pulumi.output(args.inputErrors ?? []).apply((given) =>
        given.length > 0 ? pulumi.output(given) : pulumi.output(args.files).apply((files) => validateHostConfig({ kind: args.kind, files }).map((i) => i.message)),
    );
    return pulumi.unsecret(lines.apply((l) => (l.length > 0 ? l : undefined)));
}

/**
 * `user@host[:port]` in clear, beside the secret connection: previews and pull-request diffs then say
 * which machine a change lands on. The address is not the secret part of a connection; keys are.
 */
function targetOf(connection: pulumi.Input<ConnectionArgs>): pulumi.Output<string> {
    return pulumi.unsecret(
        pulumi.output(connection).apply((c) => `${c.user ?? "root"}@${c.host}${c.port !== undefined && c.port !== 22 ? `:${c.port}` : ""}`),
    );
}

/** Names the resource's state directory on the host: stable for a stack and resource name. */
export function hostStateKey(kind: string, name: string): string {
    return `${kind}-${createHash("sha256").update(`${pulumi.getProject()}/${pulumi.getStack()}/${name}`).digest("hex").slice(0, 16)}`;
}

/**
 * Runs each host's `validators` on the files its `HostConfig` would write, in a temp directory, changing
 * nothing: resources that depend on it are left alone when any host's check fails. One resource for
 * all hosts; it connects only to the hosts whose inputs changed. Each host's `HostConfig` still shows
 * that host's own diff.
 */
export class ClusterCheck extends ShimResource {
    /**
     * True when, as the check was created, no host ran any of its `services` yet: nothing is live that an
     * order of applies could disturb. False once the check was updated, and in state from before 0.2.
     */
    declare readonly freshStart: pulumi.Output<boolean | undefined>;

    constructor(
        name: string,
        // probes: host name -> read-only commands run at check, before anything changes (see `PROBE_REFUSES_EXIT`); probeAlways: on every check, not only a host's first.
        args: { kind: string; hosts: Record<string, HostConfigArgs>; probes?: pulumi.Input<Record<string, CommandSpec[]>>; probeAlways?: pulumi.Input<boolean> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        const names = Object.keys(args.hosts);
        const each = <T>(f: (h: HostConfigArgs) => T) => Object.fromEntries(names.map((n) => [n, f(args.hosts[n])]));
        super(
            "clusterCheckProvider",
            "ClusterCheck",
            name,
            () => ({
                kind: args.kind,
                key: hostStateKey(args.kind, name),
                hosts: each((h) => ({
                    target: targetOf(h.connection),
                    files: h.files,
                    packages: h.packages,
                    validators: h.validators,
                    services: h.services,
                    ensurePackages: h.ensurePackages,
                    commandTimeoutSeconds: h.commandTimeoutSeconds,
                })),
                connections: pulumi.secret(each((h) => h.connection)),
                secrets: pulumi.secret(each((h) => h.secrets ?? {})),
                probes: args.probes ?? {},
                probeAlways: args.probeAlways ?? false,
                freshStart: undefined,
            }),
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connections", "secrets"] }),
        );
    }
}
