/** Transactions on one host run one at a time in this process: services and backups are shared. */
const tails = new Map<string, Promise<unknown>>();

export async function withHostLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const mine = previous.then(fn, fn);
    const tail = mine.catch(() => undefined);
    tails.set(key, tail);
    try {
        return await mine;
    } finally {
        if (tails.get(key) === tail) tails.delete(key);
    }
}
