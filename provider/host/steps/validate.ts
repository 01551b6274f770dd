import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { CommandSpec } from "../../contract/desired";
import { shellQuote } from "../../contract/shell";
import { StagedChange } from "./stage";

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
