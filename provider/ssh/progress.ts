import { AsyncLocalStorage } from "async_hooks";

/**
 * Where the SSH layer reports what it is doing (a remote step that succeeded, a dial that will be
 * retried) while an operation runs: descriptions only, never a command or a value. The dynamic provider
 * turns these into status lines in the CLI; elsewhere nothing listens.
 */
const progress = new AsyncLocalStorage<(line: string) => void>();

/** Runs `fn` sending each progress line to `report`. */
export function withProgress<T>(report: (line: string) => void, fn: () => Promise<T>): Promise<T> {
    return progress.run(report, fn);
}

export function reportProgress(line: string): void {
    progress.getStore()?.(line);
}
