/**
 * One error type for everything the provider reports. `kind` decides handling (retry, rollback);
 * the message starts with the host and names the field or step, and never holds a secret.
 */
export type ErrorKind =
    | "InvalidArgument"
    | "Connection"
    | "HostKey"
    | "Permission"
    | "Validation"
    | "Apply"
    | "Verification"
    | "Timeout"
    | "Rollback"
    | "Bug";

export class OnpremError extends Error {
    readonly kind: ErrorKind;
    /** The host this error is about, when there is one. */
    readonly host?: string;
    /** The tool's own output (redacted), kept apart so callers can print it under the message. */
    readonly output?: string;
    /** When a rollback ran after this error and itself failed, its error. */
    readonly rollbackError?: Error;
    /** The message without the host prefix, output or rollback lines: for wrapping in another error. */
    readonly detail: string;

    constructor(
        kind: ErrorKind,
        message: string,
        opts: { host?: string; output?: string; cause?: unknown; rollbackError?: Error } = {},
    ) {
        const prefix = opts.host ? `${opts.host}: ` : "";
        const output = opts.output?.trim() ? `\n${indent(opts.output.trim())}` : "";
        const rollback = opts.rollbackError ? `\nrollback also failed: ${opts.rollbackError.message}` : "";
        super(`${prefix}${message}${output}${rollback}`, opts.cause === undefined ? undefined : { cause: opts.cause });
        this.name = "OnpremError";
        this.detail = message;
        this.kind = kind;
        this.host = opts.host;
        this.output = opts.output;
        this.rollbackError = opts.rollbackError;
    }
}

function indent(text: string): string {
    const lines = text.split("\n");
    const shown = lines.length > 40 ? [...lines.slice(0, 40), `... (${lines.length - 40} more lines)`] : lines;
    return shown.map((l) => `    ${l}`).join("\n");
}

export function isOnpremError(e: unknown, kind?: ErrorKind): e is OnpremError {
    return e instanceof OnpremError && (kind === undefined || e.kind === kind);
}
