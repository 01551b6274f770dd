import { OnpremError } from "../../contract/errors";
import { commandFailed, run, runChecked } from "../../ssh/exec";
import { reportProgress } from "../../ssh/progress";
import { PooledConnection } from "../../ssh/pool";
import { FileChange, StagedChange } from "../changes";
import { CommandSpec, DEFAULT_FILE_MODE } from "../../contract/desired";
import { phaseFailure, renderPhases, runningPhase } from "./phases";
import { validate, validatorPhases } from "./validate";
import { originalKey, stagedPath } from "../layout";
import { shellQuote as q } from "../../contract/shell";
import { CLEANER_SCRIPT, durable, renderInstallRecoveryUnit, renderSleeper } from "../recovery";

/**
 * Stages every changed file in one command. "$@" holds one record per file: `w STAGED MODE OWNER GROUP
 * BYTES` takes the next BYTES of standard input (the files' bytes, one after another: GNU head reads no
 * further than it is asked), `o STAGED ORIGINAL` stages a dropped file's original if one was kept and
 * prints "restore", else "remove" when it did not exist before, else "unknown".
 */
const STAGE_SCRIPT = `
while [ $# -gt 0 ]; do
  case $1 in
  w) f=$2; d=\${f%/*}; d=\${d:-/}
     umask 022 # directories it creates are world-readable, as their siblings are
     [ -d "$d" ] || mkdir -p "$d"
     umask 077 # the staged file is private until its own mode is set
     head -c "$6" > "$f"
     chmod "$3" "$f"
     chown "$4:$5" "$f"
     shift 6 ;;
  o) if [ -e "$3" ]; then cp -a "$3" "$2"; echo restore; elif [ -e "$3.absent" ]; then echo remove; else echo unknown; fi
     shift 3 ;;
  *) echo "stage: unknown record $1" >&2; exit 2 ;;
  esac
done
`;

/**
 * Shell (with `S` the state dir): takes the list of staged copies, so the host's cleaner can no longer
 * act on it, and stops that cleaner. Fails when the cleaner took the list first (it removed the copies).
 * SIGKILL, since the cleaner inherits the guard script's ignored SIGTERM.
 */
export const TAKE_STAGING = `{ mv -f "$S/txn/staging" "$S/txn/staging.taken" 2>/dev/null && { [ -s "$S/txn/cleaner.pid" ] && kill -s KILL -- -"$(cat "$S/txn/cleaner.pid")" 2>/dev/null; rm -f "$S/txn/cleaner.pid" "$S/txn/${CLEANER_SCRIPT}"; true; }; }`;

/** Shell (with `S`): removes the copies (and directories staging created) on a taken list, and the list. */
function removeListed(list: string): string {
    return `while read -r k f; do case $k in f) rm -f "$f" ;; d) rmdir "$f" 2>/dev/null ;; esac; done < "$S/txn/${list}"; rm -f "$S/txn/${list}" "$S/txn/${CLEANER_SCRIPT}"; rmdir "$S/txn" "$S" 2>/dev/null; true`;
}

/** Shell (with `S`): removes the staged copies of a transaction that will not swap (or was cut before it). */
export const DISCARD_STAGING = `if ${TAKE_STAGING}; then ${removeListed("staging.taken")}; fi`;

/**
 * Pure: arms the host's own clean-up of the staged copies, before the first is written. If the controller
 * falls silent for `timeoutSeconds` before the swap (a cut connection, a killed deployment), the host
 * removes them by itself, as the watchdog undoes a swap whose commit never came. The list's mtime is the
 * deadline's start; a controller still at work renews it (see `keepFresh`). The cleaner is a script in the
 * state dir, synced with the list before any copy exists: after a power loss the boot unit runs it again.
 */
export function renderStagingGuardScript(stateDir: string, stagedCopies: readonly string[], createdDirs: readonly string[], timeoutSeconds: number): string {
    const list = [...stagedCopies.map((f) => `f ${f}`), ...[...createdDirs].sort((a, b) => b.length - a.length).map((d) => `d ${d}`)];
    const clean = `if mv -f "$m" "$S/txn/staging.cleaning" 2>/dev/null; then rm -f "$S/txn/cleaner.pid"; ${removeListed("staging.cleaning")}; fi`;
    return [
        "trap '' HUP INT TERM PIPE # arm fully even if the connection drops now",
        "set -e",
        `S=${q(stateDir)}`,
        `mkdir -p "$S/txn"`,
        `cat > "$S/txn/staging" <<'ONPREM_STAGED'`,
        ...list,
        "ONPREM_STAGED",
        // A new file (never rewritten in place): a cleaner still reading the old one is not confused.
        `cat > "$S/txn/${CLEANER_SCRIPT}.new" <<'ONPREM_SLEEPER'`,
        renderSleeper(stateDir, "staging", timeoutSeconds, clean).trimEnd(),
        "ONPREM_SLEEPER",
        `mv -f "$S/txn/${CLEANER_SCRIPT}.new" "$S/txn/${CLEANER_SCRIPT}"`,
        durable([`"$S/txn/staging"`, `"$S/txn/${CLEANER_SCRIPT}"`, `"$S/txn"`]),
        ...renderInstallRecoveryUnit(stateDir),
        `setsid sh "$S/txn/${CLEANER_SCRIPT}" </dev/null >/dev/null 2>&1 &`,
        `echo $! > "$S/txn/cleaner.pid"`,
        "",
    ].join("\n");
}

/** Shell, with the shell's pid and a directory as arguments: removes the directory once that shell has ended, polled each second. */
const SCRATCH_WATCHER = `setsid sh -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; rm -rf "$2"' sh`;

/** The host cleans the staged copies by itself if the controller vanishes before the swap. */
interface StagingGuard {
    stateDir: string;
    timeoutSeconds: number;
    /** Parent directories staging will create. */
    createdDirs: readonly string[];
}

function stagedCopyOf(placement: StagePlacement): (c: FileChange) => string {
    return (c) => (c.action === "write" ? placement.place(c.file.path) : stagedPath(c.path));
}

/** Where staging puts its copies: beside each target (the default), or in a private directory it makes. */
interface StagePlacement {
    place: (target: string) => string;
    /** Made (mode 0700, and never one that exists) before the first copy, and removed when the command ends. */
    privateDir?: string;
}

export interface StageOptions {
    placement?: StagePlacement;
    /** The host removes the staged copies by itself when no swap follows in time. */
    guard?: StagingGuard;
    /** Run on the staged copies; in the staging command itself when every change is a write. */
    validators?: readonly CommandSpec[];
    redact?: (s: string) => string;
}

/** Pure: the staging command (script, its arguments, the files' bytes as standard input, its step name). */
export function renderStage(stateDir: string, changes: readonly FileChange[], { placement = { place: stagedPath }, guard, validators = [] }: StageOptions = {}) {
    const copyOf = stagedCopyOf(placement);
    const prefix: string[] = [];
    if (placement.privateDir) {
        const dir = q(placement.privateDir);
        // A cut connection (HUP, or PIPE at the next write), a timeout (TERM) or a failure: the directory goes
        // all the same. A kill no trap sees (SIGKILL, of the shell or of its whole group): a watcher in its own
        // session removes it once this shell is gone. Started after mkdir, so it never removes one that existed.
        prefix.push(`mkdir -m 0700 ${dir}`, `${SCRATCH_WATCHER} $$ ${dir} </dev/null >/dev/null 2>&1 &`, `trap 'rm -rf ${dir}' EXIT`, "trap 'exit 129' HUP INT TERM PIPE");
    }
    if (guard) prefix.push(renderStagingGuardScript(guard.stateDir, changes.map(copyOf), guard.createdDirs, guard.timeoutSeconds));
    const args: string[] = [];
    const bytes: Buffer[] = [];
    for (const c of changes) {
        if (c.action === "write") {
            const content = Buffer.from(c.filled, "utf8");
            args.push("w", copyOf(c), c.file.mode ?? DEFAULT_FILE_MODE, c.file.owner ?? "root", c.file.group ?? "root", String(content.length));
            bytes.push(content);
        } else {
            args.push("o", copyOf(c), `${stateDir}/orig/${originalKey(c.path)}`);
        }
    }
    const checks = validatorPhases(validators, changes.map((c) => ({ ...c, staged: copyOf(c) })));
    // On disk before the swap can rename them over their targets: a power loss then keeps whole files.
    const written = changes.filter((c) => c.action === "write").map((c) => q(copyOf(c)));
    const syncCopies = guard && written.length > 0 ? [durable(written)] : [];
    const stageStep = `stage ${changes.map((c) => (c.action === "write" ? c.file.path : `the original of ${c.path}`)).join(", ")}`;
    const step = [stageStep, ...validators.map((v) => v.description)].join(", then ");
    return {
        // The guard ignores HUP and TERM while it arms; the validators get them back (a hung one stops at the timeout's TERM).
        script: ["set -e", ...prefix, STAGE_SCRIPT, ...syncCopies, ...(guard && validators.length ? ["trap - HUP INT TERM PIPE"] : []), ...renderPhases(checks)].join("\n"),
        args,
        stdin: Buffer.concat(bytes),
        step,
        stepFrom: (stdout: string) => runningPhase(checks, stdout)?.description ?? step,
        stageStep,
        checks,
    };
}

/**
 * Writes each changed file's new bytes to a hidden sibling of its target (secrets already filled in);
 * nothing the services read is touched yet, then runs the validators on the copies. With a guard, the
 * host removes the staged copies by itself when no swap follows in time; `discardStaged` removes them
 * at once. One command when every change is a write: the guard is armed in it before the first copy
 * is written, and the validators run in it after the last.
 */
export async function stage(conn: PooledConnection, stateDir: string, changes: readonly FileChange[], opts: StageOptions = {}): Promise<StagedChange[]> {
    if (changes.length === 0) return [];
    const { placement = { place: stagedPath }, validators = [], redact = (s: string) => s } = opts;
    const copyOf = stagedCopyOf(placement);
    // One path a line in the host's list.
    if (opts.guard && changes.some((c) => copyOf(c).includes("\n"))) throw new OnpremError("InvalidArgument", "a path with a line break cannot be staged", { host: conn.target });
    // A dropped file's original may or may not be staged: its validators' paths are known only after staging.
    const folded = changes.every((c) => c.action === "write") ? validators : [];
    const { script, stageStep, checks, ...command } = renderStage(stateDir, changes, { ...opts, validators: folded });
    const result = await run(conn, script, command);
    if (result.code !== 0) {
        throw phaseFailure(conn.target, checks, result.stderr, redact) ?? commandFailed(conn, stageStep, result, "Apply", redact);
    }
    reportProgress(stageStep);
    for (const v of folded) reportProgress(v.description);
    // Only the originals answer (validators run only when there are none).
    const answers = result.stdout.split("\n");
    const out: StagedChange[] = [];
    for (const c of changes) {
        if (c.action === "write") {
            out.push({ ...c, staged: copyOf(c) });
            continue;
        }
        // One line per original, in order.
        const what = answers.shift();
        if (what === "unknown") continue; // never recorded: not ours to touch
        out.push(what === "restore" ? { ...c, staged: copyOf(c) } : { ...c, removes: true });
    }
    if (folded.length === 0 && out.length > 0) await validate(conn, validators, out, redact);
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
