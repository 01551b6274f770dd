import type * as dynamic from "@pulumi/pulumi/dynamic";
import { isDeepStrictEqual } from "util";
import type { CommandSpec } from "../contract/desired";
import { OnpremError, isOnpremError } from "../contract/errors";
import { installedLine } from "../host/packages";
import { preflightHost } from "../host/preflight";
import { probeHost } from "../host/probe";
import { ConnectionSpec } from "../ssh/connection";
import { withCommandTimeout, withProgress } from "../ssh/exec";
import { engineLog } from "./engineLog";
import { flushStats } from "../ssh/stats";
import { check as checkHost } from "./hostConfig";
import { HostConfigInputs, desiredState, commandTimeoutOf } from "./hostConfigInputs";
import { containsUnknown, plain, UNKNOWN } from "./unknown";

/**
 * One host's share of a cluster check: what its config test needs, in clear, and the services its
 * resource will run (only asked whether they run yet: see `ClusterCheckOutputs.freshStart`).
 */
type HostPart = Pick<HostConfigInputs, "target" | "files" | "packages" | "validators" | "ensurePackages" | "commandTimeoutSeconds" | "services">;

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
    /**
     * Host name -> read-only probes (see `PROBE_REFUSES_EXIT`) run at check, so at preview too and before
     * anything changes anywhere: on the hosts new to the check or whose probes changed, and on every
     * check with `probeAlways`. Neither makes a diff: the config test never runs again for them.
     */
    probes?: Record<string, CommandSpec[]>;
    probeAlways?: boolean;
}

export interface ClusterCheckOutputs extends ClusterCheckInputs {
    /**
     * True when, as the check was created, none of its hosts ran any of its services: nothing is live
     * that an order of applies could disturb (no VIP exists yet, say), so the hosts may all start at
     * once. False after any update (the hosts were applied before); absent from state written before
     * it existed.
     */
    freshStart: boolean;
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

export async function check(olds: ClusterCheckInputs | undefined, news: ClusterCheckInputs): Promise<dynamic.CheckResult<ClusterCheckInputs>> {
    const failures: dynamic.CheckFailure[] = [];
    for (const name of hostNames(news)) {
        const r = await checkHost({} as HostConfigInputs, hostInputs(news, name));
        for (const f of r.failures ?? []) failures.push({ property: "", reason: `${name}: ${f.reason}` });
    }
    if (failures.length) return { failures };
    const probed = hostNames(news).filter((name) => news.probeAlways === true || !isDeepStrictEqual(plain(olds?.probes?.[name] ?? []), plain(news.probes?.[name] ?? [])));
    const refusals = await runProbes(news, probed);
    return refusals.length ? { failures: refusals.map((reason) => ({ property: "", reason })) } : { inputs: news };
}

/**
 * Runs the probes of `names` in parallel; returns one line per refusal, the hosts that gave the same
 * reason named together (every node hears the same foreign router). Nothing is probed while the inputs
 * are unknown (a preview whose connections come from resources not made yet).
 */
async function runProbes(i: ClusterCheckInputs, names: readonly string[]): Promise<string[]> {
    const withProbes = names.filter((name) => (i.probes?.[name] ?? []).length > 0);
    if (withProbes.length === 0 || containsUnknown(i.probes) || containsUnknown(i.connections)) return [];
    try {
        const results = await Promise.all(
            withProbes.map((name) => {
                const host = hostInputs(i, name);
                const probes = i.probes![name];
                for (const p of probes) void engineLog(`${host.target ?? name} (${i.kind} check): ${p.description}`, { ephemeral: true });
                return withCommandTimeout(commandTimeoutOf(host), () => probeHost(host.connection, probes));
            }),
        );
        const byReason = new Map<string, string[]>();
        results.forEach(({ refusals }, k) => refusals.forEach((r) => byReason.set(r, [...(byReason.get(r) ?? []), withProbes[k]])));
        // What a passing probe tells (a hand-started service adopted, say) is said with its host, at preview as at `up`.
        if (byReason.size === 0) {
            for (const [k, { notes }] of results.entries()) for (const n of notes) await engineLog(`${hostInputs(i, withProbes[k]).target ?? withProbes[k]} (${i.kind}): ${n}`);
        }
        return [...byReason].map(([reason, hosts]) => `${hosts.join(", ")}: ${reason}`);
    } finally {
        flushStats();
    }
}

/**
 * The inputs the config test depends on, from new inputs or old outputs: without the services (only
 * probed at create), the probe's answer and the provider text. A change of services alone tests nothing
 * again, and state written before the check took services shows no change.
 */
function tested(i: ClusterCheckInputs | ClusterCheckOutputs): ClusterCheckInputs {
    const { __provider: _p, freshStart: _f, probes: _pr, probeAlways: _pa, ...rest } = i as Partial<ClusterCheckOutputs> & ClusterCheckInputs & { __provider?: string };
    if (!rest.hosts || typeof rest.hosts !== "object") return rest;
    const withoutServices = (part: HostPart) => {
        if (!part || typeof part !== "object") return part;
        const { services: _s, ...others } = part;
        return others;
    };
    return { ...rest, hosts: Object.fromEntries(Object.entries(rest.hosts).map(([name, part]) => [name, withoutServices(part)])) };
}

export async function diff(_id: string, olds: ClusterCheckInputs, news: ClusterCheckInputs): Promise<dynamic.DiffResult> {
    const o = tested(olds);
    const n = tested(news);
    const changes = containsUnknown(n) || !isDeepStrictEqual(plain(o), plain(n));
    // As HostConfig's diff: a change of secret inputs alone answers "unknown", so the engine marks the key.
    const clearChanged = containsUnknown(n) || !isDeepStrictEqual(plain({ ...o, connections: {}, secrets: {} }), plain({ ...n, connections: {}, secrets: {} }));
    return { changes: changes && !clearChanged ? undefined : changes, replaces: [], deleteBeforeReplace: false };
}

/**
 * Runs the config test on `names` in parallel; one host's failure does not stop the others' tests.
 * With `probeServices`, also says whether no host ran any of its services yet.
 */
async function run(inputs: ClusterCheckInputs, names: readonly string[], probeServices: boolean): Promise<ClusterCheckOutputs> {
    try {
        const results = await Promise.allSettled(
            names.map((name) => {
                const host = hostInputs(inputs, name);
                const who = `${host.target ?? name} (${inputs.kind} check)`;
                return withProgress(
                    (step) => void engineLog(`${who}: ${step}`, { ephemeral: true }),
                    () => withCommandTimeout(commandTimeoutOf(host), () => preflightHost(host.connection, desiredState(host), { probeServices })),
                ).then(async (r) => {
                    if (r.installed.names.length > 0) await engineLog(`${who}: ${installedLine(r.installed)}`);
                    return r;
                });
            }),
        );
        const failed = results.flatMap((r, i) => (r.status === "rejected" ? [{ name: names[i], error: r.reason as unknown }] : []));
        if (failed.length === 1) throw failed[0].error;
        if (failed.length > 1) {
            const lines = failed.map(({ name, error }) => (isOnpremError(error) || error instanceof Error ? error.message : `${name}: ${String(error)}`));
            const kind = failed.every(({ error }) => isOnpremError(error, "Validation")) ? "Validation" : isOnpremError(failed[0].error) ? failed[0].error.kind : "Apply";
            throw new OnpremError(kind, `${inputs.kind}: the check failed on ${failed.length} hosts:\n${lines.join("\n")}`);
        }
        const freshStart = probeServices && results.every((r) => r.status === "fulfilled" && r.value.runningServices.length === 0);
        return { ...plain(inputs), freshStart };
    } finally {
        flushStats();
    }
}

export async function create(inputs: ClusterCheckInputs) {
    return { id: `${inputs.key}-check`, outs: await run(inputs, hostNames(inputs), true) };
}

/** Only the hosts whose tested inputs changed are tested (and so connected to). */
export async function update(_id: string, olds: ClusterCheckInputs, news: ClusterCheckInputs) {
    const o = tested(olds);
    const n = tested(news);
    const changed = hostNames(news).filter((name) => !hostNames(olds).includes(name) || !isDeepStrictEqual(plain(hostInputs(o, name)), plain(hostInputs(n, name))));
    return { outs: await run(news, changed, false) };
}

export async function remove(): Promise<void> {
    // Nothing was left on any host.
}
