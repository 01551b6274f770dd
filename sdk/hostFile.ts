import * as pulumi from "./pulumi";
import { validateHostFile } from "../provider/contract/fileRules";
import { ConnectionArgs } from "./connection";
import { HostConfig } from "./hostConfig";
import { inputErrorLines } from "./issues";

/** Inputs of `HostFile`: one file on one host. */
export interface HostFileArgs {
    /** How to reach the host. */
    connection: pulumi.Input<ConnectionArgs>;
    /** Absolute, normalised path of the file on the host (no "//", "." or ".." segments, no trailing "/"). No default. */
    path: pulumi.Input<string>;
    /** The file's text; `{{secret:NAME}}` placeholders are filled from `secrets` on the way to the host. */
    content: pulumi.Input<string>;
    /** Octal mode ("0644", "0755", "4755"). Defaults to "0644", or "0600" when `content` holds a placeholder. */
    mode?: pulumi.Input<string>;
    /** Owner user, by name. Defaults to "root". */
    owner?: pulumi.Input<string>;
    /** Owner group, by name. Defaults to "root". */
    group?: pulumi.Input<string>;
    /** Values for the placeholders in `content`; secret. Defaults to none. */
    secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** A check run on the staged file before it replaces the live one; `{{staged}}` is its path. Defaults to none. */
    validate?: pulumi.Input<string>;
}

/**
 * One file on one host, written atomically, read back on refresh, and on delete put back as it was
 * (original bytes, mode and owner) or removed if it did not exist.
 */
export class HostFile extends pulumi.ComponentResource {
    /** The host key fingerprint the provider verified. */
    readonly hostKeyFingerprint: pulumi.Output<string>;
    /** The file's content as last applied or read back, secrets as placeholders. */
    readonly content: pulumi.Output<string>;

    constructor(name: string, args: HostFileArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-onprem:index:HostFile", name, {}, opts);
        // Apart from the content, which may be unknown at preview: a bad path is still refused then.
        const issues = pulumi.all([args.path, args.mode, args.owner, args.group]).apply(([path, mode, owner, group]) => validateHostFile({ path, mode, owner, group }));
        const file = pulumi.all([args.path, args.content, args.mode, args.owner, args.group]).apply(([path, content, mode, owner, group]) =>
            JSON.parse(JSON.stringify({ path, content, mode, owner, group })),
        );
        const validators = pulumi.all([args.path, args.validate]).apply(([path, validate]) =>
            validate ? [{ description: `check ${path}`, command: validate.split("{{staged}}").join(`{{staged:${path}}}`) }] : [],
        );
        const host = new HostConfig(`${name}-file`, {
            connection: args.connection,
            kind: "file",
            files: [file],
            secrets: args.secrets,
            validators,
            // HostFile's own broken rules, refused by its one host resource at check, before connecting.
            inputErrors: inputErrorLines(`HostFile ${name}`, issues),
        }, { parent: this });
        this.hostKeyFingerprint = host.hostKeyFingerprint;
        this.content = host.files.apply((files) => files[0]?.content ?? "");
        this.registerOutputs({ hostKeyFingerprint: this.hostKeyFingerprint, content: this.content });
    }
}
