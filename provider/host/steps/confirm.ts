/**
 * Commit-confirm: live states that may cut the host off (an address on the interface the controller
 * reaches it through) are applied by a process detached from the SSH session, so a dropped session
 * cannot leave them half done; the transaction then commits only through a fresh connection made after
 * the change. When none can be made, the watchdog armed at checkpoint undoes the change on the host by
 * itself, and the controller waits for that and checks that the host answers at its old address again.
 */
import { OnpremError } from "../../contract/errors";
import { run, runChecked } from "../../ssh/exec";
import { ConnectionSpec, DEFAULT_PER_DIAL_TIMEOUT_SECONDS } from "../../ssh/connection";
import { dialUnpooled, forget, PooledConnection } from "../../ssh/pool";
import { ConfirmSpec, StateSpec } from "../../contract/desired";
import { shellQuote as q } from "../../contract/shell";

/** The detached process waits this long before changing anything, so the command that started it can report back first. */
const LAUNCH_DELAY_SECONDS = 1;
/** The reconnect gives up this long before the watchdog fires: a confirmation must never race the revert. */
const CONFIRM_MARGIN_MS = 3_000;
const RECONNECT_PAUSE_MS = 500;
/** How much longer than the host's own wait for the live change a connection may take to answer before it counts as quiet. */
const AWAIT_MARGIN_SECONDS = 5;
/** After the watchdog's time, how long the host may take to revert and answer again. */
const REVERT_SLACK_MS = 5_000;
const REVERT_ANSWER_TIMEOUT_MS = 30_000;

/** The change went through on the host, but no connection made afterwards reached it. */
export class UnconfirmedChange extends OnpremError {}

/** Pure: the detached script: each state's apply in order, then its exit code in `txn/states.rc`. */
export function renderDetachedStates(states: readonly StateSpec[]): string {
    const lines = ["trap '' HUP INT TERM PIPE", `sleep ${LAUNCH_DELAY_SECONDS}`];
    for (const s of states) lines.push(`echo ${q(`== ${s.name}`)}`, `sh -c ${q(s.apply)} || { echo $? > "$1/txn/states.rc"; exit 1; }`);
    lines.push(`echo 0 > "$1/txn/states.rc"`, "");
    return lines.join("\n");
}

/** Starts the states' apply on the host, detached from this session; returns at once. */
async function launchStates(conn: PooledConnection, stateDir: string, states: readonly StateSpec[]): Promise<void> {
    const script = [
        "set -e",
        `S=${q(stateDir)}`,
        `rm -f "$S/txn/states.rc" "$S/txn/states.log"`,
        `cat > "$S/txn/states.sh"`,
        `setsid sh "$S/txn/states.sh" "$S" </dev/null >"$S/txn/states.log" 2>&1 &`,
    ].join("\n");
    await runChecked(conn, script, { stdin: renderDetachedStates(states), step: "start the live change (detached)" });
}

/**
 * Waits on the host up to `seconds` for the detached apply to end: its exit code and log, or undefined.
 * Bounded by the clock, not by a count of sleeps: on a starved host each `sleep` takes far longer.
 */
async function awaitStates(conn: PooledConnection, stateDir: string, seconds: number): Promise<{ code: number; log: string } | undefined> {
    const script = `
S=$1; end=$(( $(date +%s) + $2 ))
while [ ! -e "$S/txn/states.rc" ] && [ "$(date +%s)" -lt $end ]; do sleep 0.1; done
[ -e "$S/txn/states.rc" ] || { echo running; exit 0; }
cat "$S/txn/states.rc"; cat "$S/txn/states.log" 2>/dev/null
`;
    const { stdout } = await runChecked(conn, script, { args: [stateDir, String(seconds)], step: "wait for the live change" });
    const [first, ...log] = stdout.split("\n");
    return first === "running" ? undefined : { code: Number(first), log: log.join("\n") };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)));
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface Confirmed {
    /** A connection made after the change: verification and commit go through it. */
    conn: PooledConnection;
    /** The address it reached. */
    host: string;
    /** The detached apply failed: roll back through `conn`. */
    failure?: OnpremError;
}

/**
 * Applies `states` detached, then reconnects to `confirm.hosts` (pinned to the host key just verified)
 * until `deadline`. A candidate confirms once it reports the apply's end: a connection made before a
 * move of its address would go quiet, so the wait on each is bounded. Throws UnconfirmedChange when no
 * candidate confirms in time.
 */
export async function applyStatesConfirmed(
    conn: PooledConnection,
    connection: ConnectionSpec,
    stateDir: string,
    states: readonly StateSpec[],
    confirm: ConfirmSpec,
    deadline: number,
    redact: (s: string) => string,
): Promise<Confirmed> {
    await launchStates(conn, stateDir, states);
    await new Promise((r) => setTimeout(r, (LAUNCH_DELAY_SECONDS + 1) * 1000));
    const fresh = await reconnect(connection, conn.hostKeyFingerprint, confirm.hosts, deadline, stateDir);
    // The old connection cannot reach a moved address any more.
    if (fresh.host !== connection.host) forget(conn);
    const { code, log } = fresh.applied;
    if (code === 0) return { conn: fresh.conn, host: fresh.host };
    const failed = [...log.matchAll(/^== (.*)$/gm)].pop()?.[1] ?? "live state";
    const failure = new OnpremError("Apply", `apply ${failed} failed (exit ${code})`, { host: fresh.conn.target, output: redact(log.replace(/^== .*\n?/gm, "")) });
    return { conn: fresh.conn, host: fresh.host, failure };
}

type Reached = { conn: PooledConnection; host: string; applied: { code: number; log: string } };

/** Dials every candidate at once, round after round, until one reports the apply's end or the deadline passes. */
async function reconnect(connection: ConnectionSpec, fingerprint: string, hosts: readonly string[], deadline: number, stateDir: string): Promise<Reached> {
    const errors = new Map<string, string>();
    const left = () => deadline - Date.now();
    const tryHost = async (host: string, seconds: number): Promise<Reached> => {
        const c = await dialUnpooled({ ...connection, host, hostKey: fingerprint, knownHostsPath: undefined, trustOnFirstUse: false, dialErrorLimit: 1, perDialTimeout: seconds });
        // The host's own wait ends before the deadline; the margin covers starting the command on a busy host.
        const wait = Math.min(seconds, Math.max(1, Math.floor(left() / 1000) - 1));
        const applied = await withTimeout(awaitStates(c, stateDir, wait).catch(() => undefined), (wait + AWAIT_MARGIN_SECONDS) * 1000);
        if (applied === "timeout" || applied === undefined) {
            c.client.end();
            throw new OnpremError("Connection", applied === "timeout" ? "went quiet after connecting" : "the live change had not ended", { host: c.target });
        }
        return { conn: c, host, applied };
    };
    while (left() > 1000) {
        // Each dial as long as the connection allows any dial: a busy host can take seconds over a handshake.
        const seconds = Math.min(connection.perDialTimeout || DEFAULT_PER_DIAL_TIMEOUT_SECONDS, Math.max(1, Math.floor(left() / 1000) - 2));
        const attempts = hosts.map((host) =>
            tryHost(host, seconds).catch((e: Error) => {
                errors.set(host, (e as OnpremError).detail ?? e.message);
                throw e;
            }),
        );
        const first = await Promise.any(attempts).catch(() => undefined);
        for (const a of attempts) a.then((r) => r !== first && r.conn.client.end(), () => undefined);
        if (first) return first;
        await new Promise((r) => setTimeout(r, RECONNECT_PAUSE_MS));
    }
    const why = hosts.map((h) => `${h}: ${errors.get(h) ?? "not tried"}`).join("; ");
    throw new UnconfirmedChange("Connection", `no SSH connection reached the host after the change (${why})`, { host: connection.host });
}

/** When the reconnect must give up: shortly before the watchdog armed at `armedAt` fires. */
export function confirmDeadline(armedAt: number, timeoutSeconds: number): number {
    return armedAt + timeoutSeconds * 1000 - CONFIRM_MARGIN_MS;
}

/**
 * After an unconfirmed change: waits until the watchdog has had its time, then checks that the host
 * answers at `connection.host` again and holds no pending change; rolls it back itself if the watchdog
 * did not. Returns a sentence for the error message.
 */
export async function awaitRevert(connection: ConnectionSpec, stateDir: string, armedAt: number, timeoutSeconds: number): Promise<string> {
    const revertAt = armedAt + timeoutSeconds * 1000 + REVERT_SLACK_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, revertAt - Date.now())));
    const perDial = Math.ceil(REVERT_ANSWER_TIMEOUT_MS / 6000);
    let conn: PooledConnection;
    try {
        conn = await dialUnpooled({ ...connection, dialErrorLimit: 6, perDialTimeout: perDial });
    } catch (e) {
        return `the host's watchdog should have reverted it after ${timeoutSeconds} s, but the host does not answer at ${connection.host}: ${(e as OnpremError).detail ?? (e as Error).message}`;
    }
    try {
        const r = await run(conn, `S=$1; if [ -e "$S/txn/pending" ]; then sh "$S/txn/rollback.sh" >/dev/null 2>&1; echo late; else echo done; fi`, { args: [stateDir], step: "check the revert" });
        return r.stdout.trim() === "late"
            ? `the host had not reverted it after ${timeoutSeconds} s, so it was rolled back now; the host answers at ${connection.host} again`
            : `the host reverted it by itself after ${timeoutSeconds} s (previous files and live state) and answers at ${connection.host} again`;
    } finally {
        conn.client.end();
    }
}
