import { createHash, randomBytes } from "crypto";
import { ConnectionSpec } from "../ssh/connection";
import { connect } from "../ssh/pool";
import { FileChange } from "./changes";
import { DesiredState } from "../contract/desired";
import { hostFacts } from "./facts";
import { ensurePackages } from "./packages";
import { fillSecrets, redactSecrets } from "../contract/secrets";
import { stage } from "./steps/stage";

/**
 * Runs a resource's validators on its files without touching the live ones: the files go to a private
 * temp directory, the checkers read them there, and the directory is removed, all in one command. Lets
 * a cluster test every node's config before any node changes.
 */
export async function preflightHost(connection: ConnectionSpec, desired: DesiredState): Promise<void> {
    if (desired.validators.length === 0) return;
    const conn = await connect(connection);
    const facts = await hostFacts(conn);
    if (desired.ensurePackages) await ensurePackages(conn, facts, desired.packages); // the checker comes with the package
    // Named here, made and removed by the staging command (as mktemp would: private, never one that exists).
    const dir = `/tmp/pulumi-onprem-check.${randomBytes(8).toString("hex")}`;
    const changes: FileChange[] = desired.files.map((file) => ({ action: "write", file, filled: fillSecrets(file.content, desired.secrets), reason: "content" }));
    const place = (target: string) => `${dir}/${createHash("sha256").update(target).digest("hex").slice(0, 16)}`;
    await stage(conn, "", changes, { placement: { place, privateDir: dir }, validators: desired.validators, redact: (s) => redactSecrets(s, desired.secrets) });
}
