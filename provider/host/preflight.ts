import { createHash, randomBytes } from "crypto";
import { ConnectionSpec } from "../ssh/connection";
import { connect } from "../ssh/pool";
import { FileChange } from "./changes";
import { DesiredState } from "../contract/desired";
import { hostFacts } from "./facts";
import { ensurePackages, InstalledPackages, nothingInstalled } from "./packages";
import { fillSecrets, redactSecrets } from "../contract/secrets";
import { prepareReadOnly } from "./steps/prepare";
import { stage } from "./steps/stage";

export interface PreflightOptions {
    /** Also report which of the resource's services run now (one more command, beside the facts). */
    probeServices?: boolean;
}

export interface PreflightResult {
    /** The resource's services that were active before any change; empty unless asked for. */
    runningServices: string[];
    /** Packages the check had to install first (its checkers come with them). */
    installed: InstalledPackages;
}

/**
 * Runs a resource's validators on its files without touching the live ones: the files go to a private
 * temp directory, the checkers read them there, and the directory is removed, all in one command. Lets
 * a cluster test every node's config before any node changes.
 */
export async function preflightHost(connection: ConnectionSpec, desired: DesiredState, options: PreflightOptions = {}): Promise<PreflightResult> {
    const probed = options.probeServices ? desired.services.map((s) => s.name) : [];
    if (desired.validators.length === 0 && probed.length === 0) return { runningServices: [], installed: nothingInstalled() };
    const conn = await connect(connection);
    // The probe goes beside the facts query, and the package query (the checker comes with the package)
    // as soon as the facts are known (at once when an earlier resource read them): no round trip after them.
    const checking = desired.validators.length > 0 && desired.ensurePackages;
    const [installed = nothingInstalled(), snapshot] = await Promise.all([
        checking ? hostFacts(conn).then((facts) => ensurePackages(conn, facts, desired.packages)) : undefined,
        probed.length > 0 ? prepareReadOnly(conn, "", { paths: [], services: probed }) : undefined,
    ]);
    const runningServices = probed.filter((name) => snapshot?.services[name]?.active);
    if (desired.validators.length === 0) return { runningServices, installed };
    // Named here, made and removed by the staging command (as mktemp would: private, never one that exists).
    const dir = `/tmp/pulumi-onprem-check.${randomBytes(8).toString("hex")}`;
    const changes: FileChange[] = desired.files.map((file) => ({ action: "write", file, filled: fillSecrets(file.content, desired.secrets), reason: "content" }));
    const place = (target: string) => `${dir}/${createHash("sha256").update(target).digest("hex").slice(0, 16)}`;
    await stage(conn, "", changes, { placement: { place, privateDir: dir }, validators: desired.validators, redact: (s) => redactSecrets(s, desired.secrets) });
    return { runningServices, installed };
}
