import { OnpremError } from "../../contract/errors";
import { shellQuote } from "../../contract/shell";
import { commandFailed, run } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { reportProgress } from "../../ssh/progress";

/**
 * One step of a remote command that runs several in order (staging and the validators after it;
 * activation and the checks after it): one round trip instead of one per step, each step still named
 * and failing on its own.
 */
export interface Phase {
    /** What the step does, for messages: "keepalived config test", "verify: keepalived is active". */
    description: string;
    kind: "Apply" | "Validation" | "Verification";
    /** Run with `sh -c`, no standard input; its output is the error's when it fails. */
    command: string;
    /** Tries before the step fails (default 1), `intervalMs` apart: a service that comes up slowly costs no round trip. */
    attempts?: number;
    intervalMs?: number;
}

/** A line on standard output as each step starts: its index. */
const RUNNING = "pulumi-onprem: step";
/** The last line of standard error when a step fails: its index and exit code. */
const FAILED = "pulumi-onprem: step failed:";

/**
 * Pure: shell lines that run the steps inside a command, in order. Each announces itself on standard
 * output (see `runningPhase`); the first to fail ends the command with its output, then a line naming
 * it, on standard error (see `phaseFailure`).
 */
export function renderPhases(phases: readonly Phase[]): string[] {
    return phases.map((p, i) => {
        const attempts = Math.max(1, p.attempts ?? 1);
        const fail = `{ printf '%s\\n' "$out" >&2; echo "${FAILED} ${i} $rc" >&2; exit 3; }`;
        const tryOnce = `out=$(sh -c ${shellQuote(p.command)} 2>&1 </dev/null)`;
        if (attempts === 1) return `echo "${RUNNING} ${i}"; ${tryOnce} || { rc=$?; ${fail}; }`;
        const pause = ((p.intervalMs ?? 0) / 1000).toFixed(3);
        return `echo "${RUNNING} ${i}"; n=1; while :; do ${tryOnce} && break; rc=$?; [ "$n" -ge ${attempts} ] && ${fail}; n=$((n+1)); sleep ${pause}; done`;
    });
}

/** The step a command was running, from its standard output so far (see `renderPhases`). */
export function runningPhase(phases: readonly Phase[], stdout: string): Phase | undefined {
    const started = [...stdout.matchAll(new RegExp(`^${RUNNING} (\\d+)$`, "gm"))];
    return started.length ? phases[Number(started[started.length - 1][1])] : undefined;
}

/** The error of the step a command's standard error names (see `renderPhases`), as if it had run alone. */
export function phaseFailure(host: string, phases: readonly Phase[], stderr: string, redact: (s: string) => string): OnpremError | undefined {
    const m = new RegExp(`(?:^|\\n)${FAILED} (\\d+) (\\d+)\\n?$`).exec(stderr);
    const p = m ? phases[Number(m[1])] : undefined;
    if (!m || !p) return undefined;
    return new OnpremError(p.kind, `${p.description} failed (exit ${m[2]})`, { host, output: redact(stderr.slice(0, m.index + 1)) });
}

/** The steps, in order, in one command; the first that fails is the error. */
export async function runPhases(conn: PooledConnection, phases: readonly Phase[], redact: (s: string) => string): Promise<void> {
    if (phases.length === 0) return;
    const step = phases.map((p) => p.description).join(", then ");
    const result = await run(conn, renderPhases(phases).join("\n"), { step, stepFrom: (stdout) => runningPhase(phases, stdout)?.description ?? step });
    if (result.code !== 0) throw phaseFailure(conn.target, phases, result.stderr, redact) ?? commandFailed(conn, step, result, "Apply", redact);
    for (const p of phases) reportProgress(p.description);
}
