import { OnpremError } from "../contract/errors";
import { shCommand } from "../contract/shell";
import { PooledConnection } from "./pool";
import { countCommand } from "./stats";

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
}

/**
 * Runs a POSIX sh script on the host as root: directly when logged in as root, else through `sudo -n`,
 * so a sudo that wants a password fails at once with a clear message instead of hanging.
 */
export async function run(conn: PooledConnection, script: string, opts: RunOptions): Promise<RunResult> {
    const command = conn.user === "root" ? shCommand(script, opts.args) : `sudo -n ${shCommand(script, opts.args)}`;
    const stdin = opts.stdin ?? "";
    countCommand(conn.key, Buffer.byteLength(stdin));
    const result = await conn.withChannel(() => execRaw(conn, command, stdin, opts.step));
    if (conn.user !== "root" && result.code !== 0) checkSudo(conn, result);
    return result;
}

/** Like `run`, but a non-zero exit is an error of `kind` naming the step, with the command's output. */
export async function runChecked(
    conn: PooledConnection,
    script: string,
    opts: RunOptions & { kind?: "Apply" | "Validation" | "Verification" | "Rollback"; redact?: (s: string) => string },
): Promise<RunResult> {
    const result = await run(conn, script, opts);
    if (result.code !== 0) {
        const redact = opts.redact ?? ((s: string) => s);
        throw new OnpremError(opts.kind ?? "Apply", `${opts.step} failed (exit ${result.code})`, {
            host: conn.target,
            output: redact(`${result.stderr}${result.stdout}`),
        });
    }
    return result;
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

function execRaw(conn: PooledConnection, command: string, stdin: string | Buffer, step: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        if (conn.closed) {
            reject(new OnpremError("Connection", `${step}: the connection is closed`, { host: conn.target }));
            return;
        }
        const lost = () => reject(new OnpremError("Connection", `${step}: the connection was lost`, { host: conn.target }));
        conn.client.once("close", lost);
        conn.client.exec(command, (err, stream) => {
            if (err) {
                conn.client.removeListener("close", lost);
                reject(new OnpremError("Connection", `${step}: cannot open a session: ${err.message}`, { host: conn.target, cause: err }));
                return;
            }
            const out: Buffer[] = [];
            const errs: Buffer[] = [];
            let code: number | null = null;
            stream.on("data", (d: Buffer) => out.push(d));
            stream.stderr.on("data", (d: Buffer) => errs.push(d));
            stream.on("exit", (c: number | null) => (code = c));
            stream.on("close", () => {
                conn.client.removeListener("close", lost);
                if (code === null) {
                    reject(new OnpremError("Connection", `${step}: the command ended without an exit status (connection lost?)`, { host: conn.target }));
                    return;
                }
                resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errs).toString("utf8") });
            });
            stream.end(stdin);
        });
    });
}
