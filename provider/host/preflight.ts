import { createHash } from "crypto";
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
    const dir = (await runChecked(conn, "mktemp -d /tmp/pulumi-onprem-check.XXXXXX", { step: "make a temp directory" })).stdout.trim();
    try {
        const changes: FileChange[] = desired.files.map((file) => ({ action: "write", file, filled: fillSecrets(file.content, desired.secrets), reason: "content" }));
        const place = (target: string) => `${dir}/${createHash("sha256").update(target).digest("hex").slice(0, 16)}`;
        const staged = await stage(conn, "", changes, place);
        await validate(conn, desired.validators, staged, (s) => redactSecrets(s, desired.secrets));
    } finally {
        await runChecked(conn, `rm -rf "$1"`, { args: [dir], step: "remove the temp directory" }).catch(() => undefined);
    }
}
