import { OnpremError } from "../../contract/errors";
import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { CommandSpec } from "../../contract/desired";
import { shellQuote } from "../../contract/shell";
import { StagedChange } from "../changes";

/** Pure: a validator command with each `{{staged:/path}}` pointing at the staged copy (or the live file). */
function bindStaged(command: string, staged: readonly StagedChange[]): string {
    return command.replace(/\{\{staged:([^}]+)\}\}/g, (_, target: string) => {
        const hit = staged.find((c) => (c.action === "write" ? c.file.path : c.path) === target);
        return shellQuote(hit?.staged ?? target);
    });
}

/** Runs the service's own checker on the staged files; its output, redacted, is the error. */
export async function validate(
    conn: PooledConnection,
    validators: readonly CommandSpec[],
    staged: readonly StagedChange[],
    redact: (s: string) => string,
): Promise<void> {
    for (const v of validators) {
        await runChecked(conn, bindStaged(v.command, staged), { step: v.description, kind: "Validation", redact });
    }
}

/** A line on standard output as each validator inside a larger command starts: its index. */
const RUNNING = "pulumi-onprem: validating";
/** The last line of standard error when a validator inside a larger command fails: its index and exit code. */
const FAILED = "pulumi-onprem: validator failed:";

/**
 * Pure: shell lines that run the validators inside another command (the staging one), in order, each
 * with no standard input. Each announces itself on standard output (see `runningValidator`); the first
 * to fail ends the command: its output, then a line naming it, on standard error (see `validationFailure`).
 */
export function renderValidators(validators: readonly CommandSpec[], staged: readonly StagedChange[]): string[] {
    return validators.map(
        (v, i) => `echo "${RUNNING} ${i}"; out=$(sh -c ${shellQuote(bindStaged(v.command, staged))} 2>&1 </dev/null) || { rc=$?; printf '%s\\n' "$out" >&2; echo "${FAILED} ${i} $rc" >&2; exit 3; }`,
    );
}

/** The validator a command was running, from its standard output so far (see `renderValidators`). */
export function runningValidator(validators: readonly CommandSpec[], stdout: string): CommandSpec | undefined {
    const started = [...stdout.matchAll(new RegExp(`^${RUNNING} (\\d+)$`, "gm"))];
    return started.length ? validators[Number(started[started.length - 1][1])] : undefined;
}

/** The error of the validator a command's standard error names (see `renderValidators`), as if it had run alone. */
export function validationFailure(host: string, validators: readonly CommandSpec[], stderr: string, redact: (s: string) => string): OnpremError | undefined {
    const m = new RegExp(`(?:^|\\n)${FAILED} (\\d+) (\\d+)\\n?$`).exec(stderr);
    const v = m ? validators[Number(m[1])] : undefined;
    if (!m || !v) return undefined;
    return new OnpremError("Validation", `${v.description} failed (exit ${m[2]})`, { host, output: redact(stderr.slice(0, m.index + 1)) });
}
