import { run, runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { backupPath, originalKey } from "../layout";
import { shellQuote as q } from "../../contract/shell";
import { KILL_WATCHDOG } from "./checkpoint";
import { durable, WATCHDOG_SCRIPT } from "../recovery";

/**
 * Disarms the watchdog and drops this transaction's backups; records the hash of each file written;
 * originals of dropped paths are forgotten.
 * Taking `pending` first means the watchdog cannot start undoing the change once the commit has begun;
 * if it already has (the controller took longer than the timeout), the commit fails.
 */
export async function commit(conn: PooledConnection, stateDir: string, touched: readonly string[], dropped: readonly string[]): Promise<void> {
    const lines = [
        `S=${q(stateDir)}`,
        `rm "$S/txn/pending" 2>/dev/null || { echo "the host's watchdog reverted the change before the commit: it took longer than the rollback timeout" >&2; exit 3; }`,
        KILL_WATCHDOG,
        `rm -f "$S/txn/watchdog.pid" "$S/txn/${WATCHDOG_SCRIPT}" "$S/txn/rollback.sh" "$S/txn/first"`,
        `mkdir -p "$S/written"`,
        // What the resource wrote, so the next apply can tell a hand edit from its own work.
        ...touched.map((t) => `rm -f ${q(backupPath(t))}; if [ -e ${q(t)} ]; then sha256sum < ${q(t)} | cut -d' ' -f1 > "$S/written/${originalKey(t)}"; fi`),
        ...dropped.map((t) => `rm -f "$S/orig/${originalKey(t)}" "$S/orig/${originalKey(t)}.absent" "$S/written/${originalKey(t)}"`),
        // Committed means kept: a power loss just after must not bring `pending` back for the boot unit to undo.
        durable([`"$S/txn"`]),
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
