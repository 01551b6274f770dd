import type * as dynamic from "@pulumi/pulumi/dynamic";
import { isDeepStrictEqual } from "util";
import { applyHostState } from "../host/transaction";
import { installedLine } from "../host/packages";
import { inspectHost } from "../host/inspect";
import { stateDir } from "../host/layout";
import { releaseSharedFiles } from "../host/release";
import { restoreHost } from "../host/restore";
import { accountNameProblem, fileModeProblem, hostPathProblem } from "../contract/inputRules";
import { FILE_MERGERS } from "../contract/mergers";
import { placeholdersLike, referencedSecrets } from "../contract/secrets";
import { connectionProblems } from "../ssh/connection";
import { withCommandTimeout, withProgress } from "../ssh/exec";
import { engineLog } from "./engineLog";
import { flushStats } from "../ssh/stats";
import { HostConfigInputs, HostConfigOutputs, desiredState, withSecretMode, commandTimeoutOf } from "./hostConfigInputs";
import { containsUnknown, plain, UNKNOWN } from "./unknown";

/** Inputs whose change means a different thing on a different host: replace, deleting first. */
const IDENTITY = ["connection.host", "connection.port", "key", "kind"] as const;
/** Outputs the provider adds; never compared with inputs. */
const OUTPUT_ONLY = ["hostKeyFingerprint"] as const;

type Failure = { property: string; reason: string };

export async function check(olds: HostConfigInputs, news: HostConfigInputs): Promise<dynamic.CheckResult<HostConfigInputs>> {
    if (Array.isArray(news.inputErrors) && news.inputErrors.length > 0) {
        return { failures: news.inputErrors.map((reason) => ({ property: "", reason })) };
    }
    const failures: Failure[] = [];
    if (!containsUnknown(news.connection)) failures.push(...connectionProblems(news.connection));
    const files = Array.isArray(news.files) ? news.files : [];
    const seen = new Set<string>();
    files.forEach((f, i) => {
        // Each field on its own: an unknown content (preview) must not hide a bad path. The rules are the
        // program side's (contract/fileRules), checked again here for files it could not see at preview.
        if ((f as unknown) === UNKNOWN) return;
        const at = `files[${i}]`;
        const add = (field: string, rule: string) => failures.push({ property: `${at}.${field}`, reason: `\`${at}.${field}\`: ${rule}` });
        if (f.path !== UNKNOWN) {
            const problem = f.path === "/" ? '"/" is the root directory, not a file' : hostPathProblem(f.path);
            if (problem) add("path", problem);
            else if (seen.has(f.path)) add("path", `${f.path} is listed twice`);
            else seen.add(f.path);
        }
        for (const key of ["owner", "group"] as const) {
            const problem = f[key] === undefined || (f[key] as unknown) === UNKNOWN ? undefined : accountNameProblem(f[key]);
            if (problem) add(key, problem);
        }
        if ([f.content, f.mode, f.merge].some((v) => (v as unknown) === UNKNOWN)) return;
        const modeProblem = f.mode === undefined ? undefined : fileModeProblem(f.mode);
        if (modeProblem) add("mode", modeProblem);
        if (f.merge !== undefined && !Object.hasOwn(FILE_MERGERS, f.merge)) {
            add("merge", `"${f.merge}" is not one of ${Object.keys(FILE_MERGERS).join(", ")}`);
        } else if (f.merge && typeof f.content === "string") {
            const problem = FILE_MERGERS[f.merge].problem(f.content);
            if (problem) add("content", problem);
        }
        if (typeof f.content !== "string") add("content", "must be a string");
        else if (!containsUnknown(news.secrets)) {
            for (const name of referencedSecrets(f.content)) {
                if (news.secrets?.[name] === undefined) add("content", `placeholder {{secret:${name}}} has no value in \`secrets\``);
            }
        }
    });
    const stateNames = new Set<string>();
    (Array.isArray(news.states) ? news.states : []).forEach((s, i) => {
        if (containsUnknown(s)) return;
        const missing = (["name", "read", "expected", "apply", "remove"] as const).filter((k) => typeof s[k] !== "string");
        if (missing.length) failures.push({ property: `states[${i}]`, reason: `\`states[${i}]\`: ${missing.map((k) => `\`${k}\``).join(", ")} must be strings` });
        else if (stateNames.has(s.name)) failures.push({ property: `states[${i}].name`, reason: `\`states[${i}].name\`: "${s.name}" is listed twice` });
        stateNames.add(s.name);
    });
    const confirm = news.confirm;
    if (confirm !== undefined && !containsUnknown(confirm)) {
        if (!Array.isArray(confirm.hosts) || confirm.hosts.length === 0 || confirm.hosts.some((h) => typeof h !== "string" || h === "")) {
            failures.push({ property: "confirm.hosts", reason: "`confirm.hosts`: must list at least one address to reconnect to" });
        }
    }
    const timeout = news.rollbackTimeoutSeconds;
    if (timeout !== undefined && (timeout as unknown) !== UNKNOWN && (!Number.isInteger(timeout) || timeout < 10)) {
        failures.push({ property: "rollbackTimeoutSeconds", reason: "`rollbackTimeoutSeconds`: must be a whole number of seconds, at least 10" });
    }
    const bound = news.commandTimeoutSeconds;
    if (bound !== undefined && (bound as unknown) !== UNKNOWN && (!Number.isInteger(bound) || bound < 1)) {
        failures.push({ property: "commandTimeoutSeconds", reason: "`commandTimeoutSeconds`: must be a whole number of seconds, at least 1" });
    }
    // No property: the engine would print that property's value beside the reason (noise, and for a
    // connection field possibly a credential); the reason names the field already.
    if (failures.length > 0) return { failures: failures.map(({ reason }) => ({ property: "", reason })) };
    await forecastPackages(olds, news);
    return { inputs: news };
}

const forecast = new Set<string>();

/**
 * Says, at preview as at `up`, which packages this resource newly asks of its host. Preview reads no host
 * (no connection on a no-op or a preview), so whether the host has them is known only once `up` reads it:
 * after that, the state holds them as present and nothing more is said.
 */
async function forecastPackages(olds: HostConfigInputs, news: HostConfigInputs): Promise<void> {
    if (news.ensurePackages === false || !Array.isArray(news.packages) || containsUnknown(news.packages)) return;
    const had = new Set((olds?.packages ?? []).map((p) => JSON.stringify(p)));
    const asked = news.packages.filter((p) => !had.has(JSON.stringify(p)));
    // The engine may check one resource more than once in a run: said once.
    const said = `${news.key} ${JSON.stringify(asked)}`;
    if (asked.length === 0 || forecast.has(said)) return;
    forecast.add(said);
    const names = asked.map((p) => (p.rpm && p.rpm !== (p.apt ?? p.name) ? `${p.apt ?? p.name} (rpm: ${p.rpm})` : p.apt ?? p.name)).join(", ");
    await engineLog(`${news.target ?? news.connection?.host} (${news.kind}): \`up\` installs ${names} if the host lacks them (its packages are first read by \`up\`)`);
}

function at(o: unknown, path: string): unknown {
    return path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);
}

function comparable(o: HostConfigInputs | HostConfigOutputs): Record<string, unknown> {
    const copy: Record<string, unknown> = { ...o };
    for (const k of OUTPUT_ONLY) delete copy[k];
    delete copy.__provider;
    return plain(copy);
}

export async function diff(_id: string, olds: HostConfigOutputs, news: HostConfigInputs): Promise<dynamic.DiffResult> {
    // A resource that may move the host's address (commit-confirm) is the same thing at its new address.
    const identity = news.confirm ? IDENTITY.filter((p) => p !== "connection.host") : IDENTITY;
    const replaces = identity.filter((p) => at(news, p) === UNKNOWN || !isDeepStrictEqual(at(olds, p) ?? null, at(news, p) ?? null)).map(
        (p) => p.split(".")[0],
    );
    const changes = replaces.length > 0 || containsUnknown(news) || !isDeepStrictEqual(comparable(olds), comparable(news));
    // The engine shows the keys of a change (`[diff: ~files]`) by comparing old and new inputs as the
    // display holds them, where every secret reads "[secret]": a change of a secret alone would mark no
    // key. Answering "unknown" (`changes: undefined`) makes the engine diff the real inputs itself and
    // mark each changed key, a secret as `[secret]`. Only then: a secret input changed, so the engine
    // is sure to find that change too; everything else keeps the display's own diff (with unchanged
    // context such as a file's path), and a new version of the provider's code alone stays a no-op.
    const secretChanged = changes && replaces.length === 0 && !containsUnknown(news) && !isDeepStrictEqual(secretInputs(olds), secretInputs(news));
    return { changes: secretChanged ? undefined : changes, replaces: [...new Set(replaces)], deleteBeforeReplace: true };
}

/**
 * The inputs the engine holds as secrets, as they were given: a commit-confirm apply may record a
 * new `connection.host` in the outputs only, so the host is left out.
 */
function secretInputs(o: HostConfigInputs): Record<string, unknown> {
    const { host: _, ...connection } = o.connection ?? {};
    return plain({ connection, secrets: o.secrets ?? {} });
}

/** Applies `forHost` (inputs plus what only this run needs) and returns `inputs` as the new state. */
async function apply(id: string, inputs: HostConfigInputs, dropped: string[] = [], forHost: HostConfigInputs = inputs): Promise<HostConfigOutputs> {
    try {
        const who = `${inputs.target ?? inputs.connection.host} (${inputs.kind})`;
        const result = await withProgress(
            (step) => void engineLog(`${who}: ${step}`, { ephemeral: true }),
            () => withCommandTimeout(commandTimeoutOf(inputs), () => applyHostState(inputs.connection, id, desiredState(forHost), dropped)),
        );
        await engineLog(`${who}: ${applySummary(result)}`);
        // Where the host answered after a confirmed change: refresh and delete reach it there.
        const connection = result.reachedAt ? { ...inputs.connection, host: result.reachedAt } : inputs.connection;
        return plain({ ...inputs, connection, hostKeyFingerprint: result.hostKeyFingerprint });
    } finally {
        flushStats();
    }
}

/** One line of what an apply did on its host: "changed /etc/x; reloaded keepalived; 2 checks passed", or that nothing needed to. */
function applySummary(r: Awaited<ReturnType<typeof applyHostState>>): string {
    const parts = [
        r.installed.names.length ? installedLine(r.installed) : "",
        r.changedFiles.length ? `changed ${r.changedFiles.join(", ")}` : "",
        r.replacedDrift.length ? `replaced hand edits in ${r.replacedDrift.join(", ")}` : "",
        r.changedStates.length ? `applied ${r.changedStates.join(", ")}` : "",
        r.changedServices.length ? `activated ${r.changedServices.join(", ")}` : "",
        r.recovered ? "rolled back an interrupted earlier change first" : "",
    ].filter(Boolean);
    return parts.length ? parts.join("; ") : "already as declared, nothing changed";
}

export async function create(inputs: HostConfigInputs): Promise<{ id: string; outs: HostConfigOutputs }> {
    const id = inputs.key;
    return { id, outs: await apply(id, inputs) };
}

export async function update(id: string, olds: HostConfigOutputs, news: HostConfigInputs): Promise<{ outs: HostConfigOutputs }> {
    const kept = new Set(news.files.map((f) => f.path));
    const dropped = (olds.files ?? []).map((f) => f.path).filter((p) => !kept.has(p));
    return { outs: await apply(id, news, dropped, withUndo(olds, withReleasedParts(olds, news))) };
}

/** Live states: undoing this apply means applying the old state again, or removing a new one. */
function withUndo(olds: HostConfigOutputs, news: HostConfigInputs): HostConfigInputs {
    if (!news.states) return news;
    const states = news.states.map((s) => ({ ...s, undo: (olds.states ?? []).find((o) => o.name === s.name)?.apply ?? s.remove }));
    return { ...news, states };
}

/** Shared files: the parts the old inputs set and the new ones do not are given up. */
function withReleasedParts(olds: HostConfigOutputs, news: HostConfigInputs): HostConfigInputs {
    const files = news.files.map((f) => {
        const old = (olds.files ?? []).find((o) => o.path === f.path && o.merge === f.merge);
        if (!f.merge || !old) return f;
        const merger = FILE_MERGERS[f.merge];
        const now = new Set(merger.parts(f.content));
        return { ...f, released: merger.parts(old.content).filter((p) => !now.has(p)) };
    });
    return { ...news, files };
}

export async function read(id: string, props?: HostConfigOutputs): Promise<{ id?: string; props?: HostConfigOutputs; inputs?: HostConfigInputs }> {
    if (!props) throw new Error(`import of ${id} is not supported: create the resource instead`);
    const secrets = props.secrets ?? {};
    try {
        const seen = await withCommandTimeout(commandTimeoutOf(props), () =>
            inspectHost(props.connection, stateDir(id), (props.files ?? []).map(withSecretMode), props.services ?? [], secrets, props.states ?? []),
        );
        if (!seen.present) return {}; // never applied here, or deleted: the host no longer has it
        const files = seen.files.map((f) => {
            const declared = (props.files ?? []).find((d) => d.path === f.path);
            if (!declared) return f;
            const content = placeholdersLike(f.content, declared.content, secrets);
            // A mode the program left to the default stays unset when the host has that default.
            if (declared.mode !== undefined || f.mode !== withSecretMode(declared).mode) return { ...f, content };
            const { mode: _, ...rest } = f;
            return { ...rest, content };
        });
        const states = (seen.states ?? []).map((st) => {
            const declared = (props.states ?? []).find((p) => p.name === st.name);
            return declared ? { ...st, expected: placeholdersLike(st.expected, declared.expected, secrets) } : st;
        });
        const drifted = files.filter((f) => !isDeepStrictEqual(f, (props.files ?? []).find((p) => p.path === f.path))).map((f) => f.path);
        const driftedStates = states.filter((st) => !isDeepStrictEqual(st, (props.states ?? []).find((p) => p.name === st.name))).map((st) => st.name);
        if (drifted.length + driftedStates.length > 0) {
            await engineLog(`${props.target ?? props.connection.host} (${props.kind}): drifted from the last apply: ${[...drifted, ...driftedStates].join(", ")}`, { severity: "warning" });
        }
        const outs = plain({ ...props, files, ...(props.services ? { services: seen.services } : {}), ...(props.states ? { states } : {}) });
        const { hostKeyFingerprint: _, ...inputs } = outs;
        return { id, props: outs, inputs: plain(inputs) };
    } finally {
        flushStats();
    }
}

export async function remove(id: string, props: HostConfigOutputs): Promise<void> {
    try {
        await withCommandTimeout(commandTimeoutOf(props), async () => {
            const shared = (props.files ?? []).filter((f) => f.merge);
            await releaseSharedFiles(props.connection, id, stateDir(id), shared, desiredState(props));
            const emptied = shared.map((f) => ({ path: f.path, empty: FILE_MERGERS[f.merge!].empty }));
            await restoreHost(props.connection, stateDir(id), (props.files ?? []).map((f) => f.path), props.services ?? [], emptied, props.states ?? []);
        });
    } finally {
        flushStats();
    }
}
