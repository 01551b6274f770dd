import { runChecked } from "../ssh/exec";
import { ConnectionSpec } from "../ssh/connection";
import { connect } from "../ssh/pool";
import { normalMode, normalState, sha256 } from "./changes";
import { FileSpec, ServiceSpec, StateSpec } from "../contract/desired";
import { readStates } from "./steps/states";
import { fillSecrets, redactSecrets } from "../contract/secrets";
import { FILE_MERGERS } from "../contract/mergers";
import { prepareReadOnly } from "./steps/prepare";

export interface Observed {
    /** Each live state, with `expected` replaced by what the host reads when it drifted. */
    states: StateSpec[];
    /** The resource's state directory exists: it was applied and not deleted. */
    present: boolean;
    /** Each file as the host has it; content redacted, and equal to the template when unchanged. */
    files: FileSpec[];
    services: ServiceSpec[];
}

/**
 * Reads managed files and services back for `refresh`. A file that still matches is reported as its
 * template (so nothing shows); a changed one as its host content with secret values put back as
 * placeholders, so drift is visible without leaking them.
 */
export async function inspectHost(
    connection: ConnectionSpec,
    stateDirPath: string,
    files: readonly FileSpec[],
    services: readonly ServiceSpec[],
    secrets: Record<string, string>,
    states: readonly StateSpec[] = [],
): Promise<Observed> {
    const conn = await connect(connection);
    const snap = await prepareReadOnly(conn, stateDirPath, {
        paths: files.map((f) => f.path),
        texts: files.filter((f) => f.merge).map((f) => f.path),
        services: services.map((s) => s.name),
    });
    const observedFiles: FileSpec[] = [];
    for (const f of files) {
        const now = snap.files[f.path];
        if (!now?.exists) continue; // a deleted file drops out of the list: the diff shows it
        let content = f.content;
        if (f.merge) {
            // Only the resource's own part counts: other owners' keys may change freely.
            const seen = FILE_MERGERS[f.merge].observe(snap.texts[f.path], fillSecrets(f.content, secrets), f.path);
            if (seen !== fillSecrets(f.content, secrets)) content = redactSecrets(seen, secrets);
        } else if (now.sha256 !== sha256(fillSecrets(f.content, secrets))) {
            const { stdout } = await runChecked(conn, `cat "$1"`, { args: [f.path], step: `read ${f.path}` });
            content = redactSecrets(stdout, secrets);
        }
        observedFiles.push(
            stripUndefined({
                ...f,
                content,
                mode: modeLike(f.mode, now.mode),
                owner: now.owner === (f.owner ?? "root") ? f.owner : now.owner,
                group: now.group === (f.group ?? "root") ? f.group : now.group,
            }),
        );
    }
    const observedServices = services.map((s) => {
        const now = snap.services[s.name];
        const state = s.state === undefined ? undefined : now?.active ? "running" : "stopped";
        const enabled = s.enabled === undefined ? undefined : !!now?.enabled;
        return stripUndefined({ ...s, state, enabled }) as ServiceSpec;
    });
    const seen = await readStates(conn, states);
    const observedStates = states.map((s) => (seen[s.name] === normalState(s.expected) ? s : { ...s, expected: redactSecrets(seen[s.name], secrets) }));
    return { present: snap.present, files: observedFiles, services: observedServices, states: observedStates };
}

/** Keeps the user's spelling ("0644", or nothing for the default) when the mode did not change. */
function modeLike(wanted: string | undefined, actual: string | undefined): string | undefined {
    if (actual === undefined || normalMode(wanted) === normalMode(actual)) return wanted;
    return actual.padStart(4, "0");
}

function stripUndefined<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
