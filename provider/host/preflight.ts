import { createHash, randomBytes } from "crypto";
import { runChecked } from "../ssh/exec";
import { ConnectionSpec } from "../ssh/connection";
import { connect } from "../ssh/pool";
import { FileChange } from "./changes";
import { DesiredState } from "../contract/desired";
import { hostFacts } from "./facts";
import { ensurePackages } from "./packages";
import { fillSecrets, redactSecrets } from "../contract/secrets";
import { stage } from "./steps/stage";
import { validate } from "./steps/validate";

/**
 * Runs a resource's validators on its files without touching the live ones: the files go to a private
 * temp directory, the checkers read them there, and the directory is removed. Lets a cluster test
 * every node's config before any node changes.
 */
export async function preflightHost(connection: ConnectionSpec, desired: DesiredState): Promise<void> {
    if (desired.validators.length === 0) return;
    const conn = await connect(connection);
    const facts = await hostFacts(conn);
    if (desired.ensurePackages) await ensurePackages(conn, facts, desired.packages); // the checker comes with the package
    // Named here and made by the staging command (as mktemp would: private, never one that exists).
    const dir = `/tmp/pulumi-onprem-check.${randomBytes(8).toString("hex")}`;
    try {
        const changes: FileChange[] = desired.files.map((file) => ({ action: "write", file, filled: fillSecrets(file.content, desired.secrets), reason: "content" }));
        const place = (target: string) => `${dir}/${createHash("sha256").update(target).digest("hex").slice(0, 16)}`;
        const staged = await stage(conn, "", changes, { place, privateDir: dir });
        await validate(conn, desired.validators, staged, (s) => redactSecrets(s, desired.secrets));
    } finally {
        await runChecked(conn, `rm -rf "$1"`, { args: [dir], step: "remove the temp directory" }).catch(() => undefined);
    }
}
