import { OnpremError } from "../../contract/errors";
import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { FileChange } from "../changes";
import { DEFAULT_FILE_MODE } from "../../contract/desired";
import { originalKey, stagedPath } from "../layout";
import { shellQuote as q } from "../../contract/shell";

const WRITE_SCRIPT = `
set -e
umask 022 # directories it creates are world-readable, as their siblings are
mkdir -p "$(dirname "$1")"
umask 077 # the staged file is private until its own mode is set
cat > "$1"
chmod "$2" "$1"
chown "$3:$4" "$1"
`;

/** For a dropped file: stage its original if we kept one; print "remove" when it did not exist before. */
const STAGE_ORIGINAL_SCRIPT = `
set -e
if [ -e "$2" ]; then cp -a "$2" "$1"; echo restore; elif [ -e "$2.absent" ]; then echo remove; else echo unknown; fi
`;

/**
 * Shell (with `S` the state dir): takes the list of staged copies, so the host's cleaner can no longer
 * act on it, and stops that cleaner. Fails when the cleaner took the list first (it removed the copies).
 * SIGKILL, since the cleaner inherits the guard script's ignored SIGTERM.
 */
export const TAKE_STAGING = `{ mv -f "$S/txn/staging" "$S/txn/staging.taken" 2>/dev/null && { [ -s "$S/txn/cleaner.pid" ] && kill -s KILL -- -"$(cat "$S/txn/cleaner.pid")" 2>/dev/null; rm -f "$S/txn/cleaner.pid"; true; }; }`;

/** Shell (with `S`): removes the copies (and directories staging created) on a taken list, and the list. */
function removeListed(list: string): string {
    return `while read -r k f; do case $k in f) rm -f "$f" ;; d) rmdir "$f" 2>/dev/null ;; esac; done < "$S/txn/${list}"; rm -f "$S/txn/${list}"; rmdir "$S/txn" "$S" 2>/dev/null; true`;
}

/** Shell (with `S`): removes the staged copies of a transaction that will not swap (or was cut before it). */
export const DISCARD_STAGING = `if ${TAKE_STAGING}; then ${removeListed("staging.taken")}; fi`;

/**
 * Pure: arms the host's own clean-up of the staged copies, before the first is written. If the controller
 * falls silent for `timeoutSeconds` before the swap (a cut connection, a killed deployment), the host
 * removes them by itself, as the watchdog undoes a swap whose commit never came. The list's mtime is the
 * deadline's start; a controller still at work renews it (see `keepFresh`).
 */
export function renderStagingGuardScript(stateDir: string, stagedCopies: readonly string[], createdDirs: readonly string[], timeoutSeconds: number): string {
    const list = [...stagedCopies.map((f) => `f ${f}`), ...[...createdDirs].sort((a, b) => b.length - a.length).map((d) => `d ${d}`)];
    const cleaner = `sleep "$2"; m="$1/txn/staging"; while r=$(( $2 - $(date +%s) + $(stat -c %Y "$m" 2>/dev/null || echo 0) )); [ "$r" -gt 0 ]; do sleep "$r"; done; S=$1; if mv -f "$m" "$S/txn/staging.cleaning" 2>/dev/null; then rm -f "$S/txn/cleaner.pid"; ${removeListed("staging.cleaning")}; fi`;
    return [
        "trap '' HUP INT TERM PIPE # arm fully even if the connection drops now",
        "set -e",
        `S=${q(stateDir)}`,
        `mkdir -p "$S/txn"`,
        `cat > "$S/txn/staging" <<'ONPREM_STAGED'`,
        ...list,
        "ONPREM_STAGED",
        `setsid sh -c ${q(cleaner)} sh "$S" ${timeoutSeconds} </dev/null >/dev/null 2>&1 &`,
        `echo $! > "$S/txn/cleaner.pid"`,
        "",
    ].join("\n");
}

export type StagedChange = FileChange & { staged?: string; removes?: boolean };

/** The host cleans the staged copies by itself if the controller vanishes before the swap. */
export interface StagingGuard {
    stateDir: string;
    timeoutSeconds: number;
    /** Parent directories staging will create. */
    createdDirs: readonly string[];
}

/**
 * Writes each changed file's new bytes to a hidden sibling of its target (secrets already filled in);
 * nothing the services read is touched yet. With a guard, the host removes the staged copies by itself
 * when no swap follows in time; `discardStaged` removes them at once.
 */
export async function stage(
    conn: PooledConnection,
    stateDir: string,
    changes: readonly FileChange[],
    placeStaged: (target: string) => string = stagedPath,
    guard?: StagingGuard,
): Promise<StagedChange[]> {
    if (guard && changes.length > 0) {
        const copies = changes.map((c) => (c.action === "write" ? placeStaged(c.file.path) : stagedPath(c.path)));
        // One path a line in the host's list.
        if (copies.some((c) => c.includes("\n"))) throw new OnpremError("InvalidArgument", "a path with a line break cannot be staged", { host: conn.target });
        await runChecked(conn, renderStagingGuardScript(guard.stateDir, copies, guard.createdDirs, guard.timeoutSeconds), { step: "arm the clean-up of staged copies" });
    }
    const out: StagedChange[] = [];
    for (const change of changes) {
        if (change.action === "write") {
            const { file, filled } = change;
            const staged = placeStaged(file.path);
            await runChecked(conn, WRITE_SCRIPT, {
                args: [staged, file.mode ?? DEFAULT_FILE_MODE, file.owner ?? "root", file.group ?? "root"],
                stdin: filled,
                step: `stage ${file.path}`,
            });
            out.push({ ...change, staged });
        } else {
            const staged = stagedPath(change.path);
            const { stdout } = await runChecked(conn, STAGE_ORIGINAL_SCRIPT, {
                args: [staged, `${stateDir}/orig/${originalKey(change.path)}`],
                step: `stage the original of ${change.path}`,
            });
            const what = stdout.trim();
            if (what === "unknown") continue; // never recorded: not ours to touch
            out.push(what === "restore" ? { ...change, staged } : { ...change, removes: true });
        }
    }
    return out;
}

/**
 * Removes the staged copies of a transaction that will not swap, and disarms their clean-up, so the host
 * keeps no trace of it. `copies` too: a controller that fell silent past the deadline may have staged
 * more after the host's cleaner ran.
 */
export async function discardStaged(conn: PooledConnection, stateDir: string, copies: readonly string[]): Promise<void> {
    await runChecked(conn, `S=$1; shift; ${DISCARD_STAGING}; rm -f "$@"`, { args: [stateDir, ...copies], step: "discard staged files" });
}
