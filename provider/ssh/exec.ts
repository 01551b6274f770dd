import { AsyncLocalStorage } from "async_hooks";
import { OnpremError } from "../contract/errors";
import { shCommand } from "../contract/shell";
import { PooledConnection } from "./pool";
import { reportProgress } from "./progress";
import { countCommand } from "./stats";

// The dynamic provider listens for each remote step that succeeds through this.
export { withProgress } from "./progress";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    /** Positional arguments for the script ("$1"...), quoted, never spliced into it. */
    args?: readonly string[];
    /** Bytes written to the command's standard input (file contents travel this way). */
    stdin?: string | Buffer;
    /** What this command does, for messages: "stage /etc/keepalived/keepalived.conf". */
    step: string;
    /** For a command that runs several steps: names the one it was in, from its output so far, when it is cut or stopped part way. */
    stepFrom?: (stdoutSoFar: string) => string;
}

/** The bound of one remote command when the resource sets none: long enough for a package install. */
const DEFAULT_COMMAND_TIMEOUT_SECONDS = 600;
/** Seconds between TERM and KILL when a command overruns, and the local grace after that. */
const KILL_AFTER_SECONDS = 5;
const commandTimeout = new AsyncLocalStorage<number>();

/** Runs `fn` with every remote command it starts bounded by `seconds` (a resource's own setting). */
export function withCommandTimeout<T>(seconds: number | undefined, fn: () => Promise<T>): Promise<T> {
    return commandTimeout.run(seconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS, fn);
}

/** The bound each remote command started now gets, in seconds. */
export function commandBoundSeconds(): number {
    return commandTimeout.getStore() ?? DEFAULT_COMMAND_TIMEOUT_SECONDS;
}

/**
 * Runs a POSIX sh script on the host as root: directly when logged in as root, else through `sudo -n`,
 * so a sudo that wants a password fails at once with a clear message instead of hanging.
 */
export async function run(conn: PooledConnection, script: string, opts: RunOptions): Promise<RunResult> {
    const seconds = commandBoundSeconds();
    // The host enforces the bound itself (TERM, then KILL), so a stuck tool does not outlive a dropped connection.
    const bounded = `timeout -k ${KILL_AFTER_SECONDS} ${seconds} ${shCommand(script, opts.args)}`;
    const command = conn.user === "root" ? bounded : `sudo -n ${bounded}`;
    const stdin = opts.stdin ?? "";
    countCommand(conn.key, Buffer.byteLength(stdin));
    const stepNow = (stdout: string) => opts.stepFrom?.(stdout) ?? opts.step;
    const result = await conn.withChannel(() => execRaw(conn, command, stdin, stepNow, seconds));
    if (conn.user !== "root" && result.code !== 0) checkSudo(conn, result);
    // timeout(1) exits 124 after TERM, 137 after KILL.
    if (result.code === 124 || result.code === 137) {
        throw new OnpremError("Timeout", `${stepNow(result.stdout)} did not finish within ${seconds} s and was stopped (raise \`commandTimeoutSeconds\`, the connection's or a HostConfig's own, if it needs longer)`, { host: conn.target });
    }
    return result;
}

/** Like `run`, but a non-zero exit is an error of `kind` naming the step, with the command's output. */
export async function runChecked(
    conn: PooledConnection,
    script: string,
    opts: RunOptions & { kind?: "Apply" | "Validation" | "Verification" | "Rollback"; redact?: (s: string) => string },
): Promise<RunResult> {
    const result = await run(conn, script, opts);
    if (result.code !== 0) throw commandFailed(conn, opts.step, result, opts.kind, opts.redact);
    reportProgress(opts.step);
    return result;
}

/** The error of a command that exited non-zero: the step, its exit code, and its output (redacted). */
export function commandFailed(
    conn: PooledConnection,
    step: string,
    result: RunResult,
    kind: "Apply" | "Validation" | "Verification" | "Rollback" = "Apply",
    redact: (s: string) => string = (s) => s,
): OnpremError {
    return new OnpremError(kind, `${step} failed (exit ${result.code})`, { host: conn.target, output: redact(`${result.stderr}${result.stdout}`) });
}

function checkSudo(conn: PooledConnection, result: RunResult): void {
    const err = result.stderr;
    if (/sudo: (a password is required|a terminal is required)/.test(err)) {
        // sudo asks for the password before it checks the rules, so "no rights" and "rights with a password" look alike.
        throw new OnpremError("Permission", `user \`${conn.user}\` cannot run commands as root: \`sudo -n\` wants a password (give it passwordless sudo, or connect as root)`, { host: conn.target });
    }
    if (/is not in the sudoers file|is not allowed to execute|may not run sudo/.test(err)) {
        throw new OnpremError("Permission", `user \`${conn.user}\` cannot run commands as root: sudo refuses it`, { host: conn.target });
    }
    if (/sudo: (command )?not found/.test(err)) {
        throw new OnpremError("Permission", `user \`${conn.user}\` is not root and the host has no sudo`, { host: conn.target });
    }
}

function execRaw(conn: PooledConnection, command: string, stdin: string | Buffer, stepNow: (stdout: string) => string, seconds: number): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const out: Buffer[] = [];
        const step = () => stepNow(Buffer.concat(out).toString("utf8"));
        if (conn.closed) {
            reject(new OnpremError("Connection", `${step()}: the connection is closed`, { host: conn.target }));
            return;
        }
        const lost = () => reject(new OnpremError("Connection", `${step()}: the connection was lost${conn.lostReason ? ` (${conn.lostReason})` : ""}`, { host: conn.target }));
        conn.client.once("close", lost);
        conn.client.exec(command, (err, stream) => {
            if (err) {
                conn.client.removeListener("close", lost);
                reject(new OnpremError("Connection", `${step()}: cannot open a session: ${err.message}`, { host: conn.target, cause: err }));
                return;
            }
            const errs: Buffer[] = [];
            let code: number | null = null;
            // The host's own bound failed to end it (no timeout(1), a wedged session): give up on the channel.
            const overrun = setTimeout(() => {
                conn.client.removeListener("close", lost);
                stream.close();
                reject(new OnpremError("Timeout", `${step()} did not finish within ${seconds} s and its session was closed`, { host: conn.target }));
            }, (seconds + 2 * KILL_AFTER_SECONDS) * 1000);
            stream.on("data", (d: Buffer) => out.push(d));
            stream.stderr.on("data", (d: Buffer) => errs.push(d));
            stream.on("exit", (c: number | null) => (code = c));
            stream.on("close", () => {
                clearTimeout(overrun);
                conn.client.removeListener("close", lost);
                if (code === null) {
                    reject(new OnpremError("Connection", `${step()}: the command ended without an exit status (connection lost?)`, { host: conn.target }));
                    return;
                }
                resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errs).toString("utf8") });
            });
            stream.end(stdin);
        });
    });
}
