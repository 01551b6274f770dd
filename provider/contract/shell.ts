/** Quotes a string for a POSIX shell: the only way any value reaches a remote command line. */
export function shellQuote(value: string): string {
    if (value !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `sh -c SCRIPT sh ARGS...`: the script reads its arguments as "$@", so values are never spliced into code. */
export function shCommand(script: string, args: readonly string[] = []): string {
    return ["sh", "-c", shellQuote(script), "sh", ...args.map(shellQuote)].join(" ");
}
