import { run, runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { backupPath, originalKey } from "../layout";
import { shellQuote as q } from "../shell";

/** Disarms the watchdog and drops this transaction's backups; originals of dropped paths are forgotten. */
export async function commit(conn: PooledConnection, stateDir: string, touched: readonly string[], dropped: readonly string[]): Promise<void> {
    const lines = [
        `S=${q(stateDir)}`,
        // KILL: the watchdog ignores TERM (inherited from the swap script); left alive, it would roll back
        // the next transaction of this resource that is pending when its timer ends.
        `[ -s "$S/txn/watchdog.pid" ] && kill -s KILL -- -"$(cat "$S/txn/watchdog.pid")" 2>/dev/null`,
        `rm -f "$S/txn/pending" "$S/txn/watchdog.pid" "$S/txn/rollback.sh"`,
        ...touched.map((t) => `rm -f ${q(backupPath(t))}`),
        ...dropped.map((t) => `rm -f "$S/orig/${originalKey(t)}" "$S/orig/${originalKey(t)}.absent"`),
        "exit 0",
    ];
    await runChecked(conn, lines.join("\n"), { step: "commit" });
}

/** Runs the rollback script written at checkpoint; returns its error instead of throwing it. */
export async function rollback(conn: PooledConnection, stateDir: string): Promise<Error | undefined> {
    try {
        const r = await run(conn, `sh ${q(`${stateDir}/txn/rollback.sh`)}`, { step: "roll back" });
        return r.code === 0 ? undefined : new Error(`rollback script exited ${r.code}: ${r.stderr.trim()}`);
    } catch (e) {
        return e as Error;
    }
}
