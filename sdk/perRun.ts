import * as pulumi from "./pulumi";

const byRun = new Map<string, WeakMap<object, unknown[]>>();
const byStack = new Map<string, unknown[]>();

/**
 * A list shared by the components of one run of the program, for rules across components (two
 * registries on one host and port, one VRID on one segment). Keyed by the run's stack resource: two
 * stacks run from one Automation API process (or one stack run twice) never see each other's entries.
 * Without a stack resource (unit tests under mocks), one list per project and stack.
 */
export function perRun<T>(kind: string): T[] {
    const root = pulumi.getStackResource();
    if (root) {
        const runs = byRun.get(kind) ?? new WeakMap<object, unknown[]>();
        byRun.set(kind, runs);
        const list = runs.get(root) ?? [];
        runs.set(root, list);
        return list as T[];
    }
    const key = `${kind}|${pulumi.getProject()}/${pulumi.getStack()}`;
    const list = byStack.get(key) ?? [];
    byStack.set(key, list);
    return list as T[];
}
