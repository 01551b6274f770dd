import { PooledConnection } from "../../ssh/pool";
import { CommandSpec } from "../../contract/desired";
import { shellQuote } from "../../contract/shell";
import { StagedChange } from "../changes";
import { Phase, runPhases } from "./phases";

/** Pure: a validator command with each `{{staged:/path}}` pointing at the staged copy (or the live file). */
function bindStaged(command: string, staged: readonly StagedChange[]): string {
    return command.replace(/\{\{staged:([^}]+)\}\}/g, (_, target: string) => {
        const hit = staged.find((c) => (c.action === "write" ? c.file.path : c.path) === target);
        return shellQuote(hit?.staged ?? target);
    });
}

/** Pure: the validators as steps of a command, each reading the staged copies. */
export function validatorPhases(validators: readonly CommandSpec[], staged: readonly StagedChange[]): Phase[] {
    return validators.map((v) => ({ description: v.description, kind: "Validation", command: bindStaged(v.command, staged) }));
}

/** Runs the services' own checkers on the staged files, in one command; the first refusal, redacted, is the error. */
export async function validate(
    conn: PooledConnection,
    validators: readonly CommandSpec[],
    staged: readonly StagedChange[],
    redact: (s: string) => string,
): Promise<void> {
    await runPhases(conn, validatorPhases(validators, staged), redact);
}
