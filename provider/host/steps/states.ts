import { OnpremError } from "../../contract/errors";
import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { normalState } from "../changes";
import { StateSpec } from "../../contract/desired";


/** Each state's `read` output, by name (one command each). */
export async function readStates(conn: PooledConnection, states: readonly StateSpec[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const s of states) out[s.name] = normalState((await runChecked(conn, s.read, { step: `read ${s.name}` })).stdout);
    return out;
}

export async function applyStates(conn: PooledConnection, states: readonly StateSpec[], redact: (s: string) => string): Promise<void> {
    for (const s of states) await runChecked(conn, s.apply, { step: `apply ${s.name}`, redact });
}

/** After apply, each state reads back as expected: a verifier, with the difference in the message. */
export async function verifyStates(conn: PooledConnection, states: readonly StateSpec[], redact: (s: string) => string): Promise<void> {
    const seen = await readStates(conn, states);
    for (const s of states) {
        if (seen[s.name] !== normalState(s.expected)) {
            throw new OnpremError("Verification", `verify: ${s.name} reads back differently after apply`, {
                host: conn.target,
                output: redact(`expected:\n${normalState(s.expected)}\nfound:\n${seen[s.name]}`),
            });
        }
    }
}
