import type * as dynamic from "@pulumi/pulumi/dynamic";
import { isDeepStrictEqual } from "util";
import { OnpremError, isOnpremError } from "../contract/errors";
import { preflightHost } from "../host/preflight";
import { ConnectionSpec } from "../ssh/connection";
import { withCommandTimeout } from "../ssh/exec";
import { flushStats } from "../ssh/stats";
import { check as checkHost } from "./hostConfig";
import { HostConfigInputs, desiredState } from "./hostConfigInputs";
import { containsUnknown, plain, UNKNOWN } from "./unknown";

/** One host's share of a cluster check: what its config test needs, in clear. */
type HostPart = Pick<HostConfigInputs, "target" | "files" | "packages" | "validators" | "ensurePackages" | "commandTimeoutSeconds">;

/**
 * The config test of every host of a cluster as one resource (one engine step instead of one per
 * host): it holds nothing on any host; create runs the validators on every host's would-be files,
 * update only on the hosts whose inputs changed, all in parallel. The hosts' resources depend on it,
 * so none of them changes when any host's test fails.
 */
export interface ClusterCheckInputs {
    /** What is checked, for messages: "keepalived". */
    kind: string;
    /** Stable key from the SDK: the resource's id. */
    key: string;
    /** Host name -> its files, packages and validators. */
    hosts: Record<string, HostPart>;
    /** Host name -> connection; secret. */
    connections: Record<string, ConnectionSpec>;
    /** Host name -> values for the placeholders in its files; secret. */
    secrets: Record<string, Record<string, string>>;
}

/** Host `name`'s inputs as the single-host provider takes them; unknown parts stay unknown. */
function hostInputs(i: ClusterCheckInputs, name: string): HostConfigInputs {
    const pick = <T>(m: Record<string, T> | undefined): T => ((m as unknown) === UNKNOWN || m === undefined ? (UNKNOWN as T) : m[name]);
    const part = (i.hosts as unknown) === UNKNOWN ? ({} as HostPart) : i.hosts[name];
    return { ...part, files: part.files ?? [], connection: pick(i.connections), secrets: pick(i.secrets) ?? {}, key: i.key, kind: i.kind };
}

function hostNames(i: ClusterCheckInputs): string[] {
    return i.hosts && typeof i.hosts === "object" ? Object.keys(i.hosts) : [];
}

export async function check(_olds: ClusterCheckInputs, news: ClusterCheckInputs): Promise<dynamic.CheckResult<ClusterCheckInputs>> {
    const failures: dynamic.CheckFailure[] = [];
    for (const name of hostNames(news)) {
        const r = await checkHost({} as HostConfigInputs, hostInputs(news, name));
        for (const f of r.failures ?? []) failures.push({ property: "", reason: `${name}: ${f.reason}` });
    }
    return failures.length ? { failures } : { inputs: news };
}

export async function diff(_id: string, olds: ClusterCheckInputs, news: ClusterCheckInputs): Promise<dynamic.DiffResult> {
    const { __provider: _a, ...o } = olds as ClusterCheckInputs & { __provider?: string };
    const { __provider: _b, ...n } = news as ClusterCheckInputs & { __provider?: string };
    const changes = containsUnknown(n) || !isDeepStrictEqual(plain(o), plain(n));
    // As HostConfig's diff: a change of secret inputs alone answers "unknown", so the engine marks the key.
    const clearChanged = containsUnknown(n) || !isDeepStrictEqual(plain({ ...o, connections: {}, secrets: {} }), plain({ ...n, connections: {}, secrets: {} }));
    return { changes: changes && !clearChanged ? undefined : changes, replaces: [], deleteBeforeReplace: false };
}

/** Runs the config test on `names` in parallel; one host's failure does not stop the others' tests. */
async function run(inputs: ClusterCheckInputs, names: readonly string[]): Promise<ClusterCheckInputs> {
    try {
        const results = await Promise.allSettled(
            names.map((name) => {
                const host = hostInputs(inputs, name);
                return withCommandTimeout(host.commandTimeoutSeconds, () => preflightHost(host.connection, desiredState(host)));
            }),
        );
        const failed = results.flatMap((r, i) => (r.status === "rejected" ? [{ name: names[i], error: r.reason as unknown }] : []));
        if (failed.length === 1) throw failed[0].error;
        if (failed.length > 1) {
            const lines = failed.map(({ name, error }) => (isOnpremError(error) || error instanceof Error ? error.message : `${name}: ${String(error)}`));
            const kind = failed.every(({ error }) => isOnpremError(error, "Validation")) ? "Validation" : isOnpremError(failed[0].error) ? failed[0].error.kind : "Apply";
            throw new OnpremError(kind, `${inputs.kind}: the check failed on ${failed.length} hosts:\n${lines.join("\n")}`);
        }
        return plain(inputs);
    } finally {
        flushStats();
    }
}

export async function create(inputs: ClusterCheckInputs) {
    return { id: `${inputs.key}-check`, outs: await run(inputs, hostNames(inputs)) };
}

/** Only the hosts whose inputs changed are tested (and so connected to). */
export async function update(_id: string, olds: ClusterCheckInputs, news: ClusterCheckInputs) {
    const changed = hostNames(news).filter((name) => !hostNames(olds).includes(name) || !isDeepStrictEqual(plain(hostInputs(olds, name)), plain(hostInputs(news, name))));
    return { outs: await run(news, changed) };
}

export async function remove(): Promise<void> {
    // Nothing was left on any host.
}
