import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { FileChange } from "../changes";
import { DEFAULT_FILE_MODE } from "../../contract/desired";
import { originalKey, stagedPath } from "../layout";

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

export type StagedChange = FileChange & { staged?: string; removes?: boolean };

/**
 * Writes each changed file's new bytes to a hidden sibling of its target (secrets already filled in);
 * nothing the services read is touched yet. A cut connection here leaves only stale siblings, which
 * the next `prepare` removes.
 */
export async function stage(
    conn: PooledConnection,
    stateDir: string,
    changes: readonly FileChange[],
    placeStaged: (target: string) => string = stagedPath,
): Promise<StagedChange[]> {
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

/** Removes staged copies after a rejected validation, so the host keeps no trace of the attempt. */
export async function discardStaged(conn: PooledConnection, staged: readonly StagedChange[]): Promise<void> {
    const paths = staged.flatMap((c) => (c.staged ? [c.staged] : []));
    if (paths.length > 0) await runChecked(conn, `rm -f "$@"`, { args: paths, step: "discard staged files" });
}
