import type * as dynamic from "@pulumi/pulumi/dynamic";
import { randomUUID } from "crypto";
import { isDeepStrictEqual } from "util";
import { isOnpremError } from "../contract/errors";
import type { DerivationName } from "../derive/derivations";
import { DERIVATIONS } from "../derive/table";
import { connectionProblems, ConnectionSpec } from "../ssh/connection";
import { containsUnknown, plain, UNKNOWN } from "./unknown";

/** Inputs of a derived value: which derivation, its input, and (filled in by `check`) the value. */
export interface DerivedInputs {
    derivation: DerivationName;
    input: unknown;
    value?: unknown;
    /** A host the derivation may read (secret); used in `check` only, never kept in state. */
    connection?: ConnectionSpec;
}

/**
 * A value computed once and then kept in state (host slots, certificates, bcrypt hashes): `check` derives
 * it from the new input and the value in state, so a preview already knows it and the next run keeps
 * it as long as the derivation says it still fits. Nothing connects anywhere, except a derivation given a
 * `connection` that has no kept value for it yet (staticInterfaceFormat).
 */
export async function check(olds: Partial<DerivedInputs> | undefined, news: DerivedInputs): Promise<dynamic.CheckResult<DerivedInputs>> {
    const derive = DERIVATIONS[news.derivation];
    if (!derive) return { failures: [{ property: "derivation", reason: `\`derivation\`: "${news.derivation}" is not one of ${Object.keys(DERIVATIONS).join(", ")}` }] };
    // An input not known yet (preview of a dependency's change) gives a value not known yet.
    // The connection is dropped from what is kept: only `check` uses it, and state needs no credentials.
    const { connection, ...kept } = news;
    if (containsUnknown(news.input)) return { inputs: { ...kept, value: UNKNOWN } };
    const previous = olds?.derivation === news.derivation && !containsUnknown(olds.value) ? olds.value : undefined;
    const known = connection === undefined || connection === null || containsUnknown(connection) ? undefined : connection;
    // A bad connection field is refused as such, before a derivation dials with it; no property, as in HostConfig's check.
    const problems = known ? connectionProblems(known) : [];
    if (problems.length > 0) return { failures: problems.map(({ reason }) => ({ property: "", reason })) };
    try {
        const value = await derive(news.input as never, previous as never, known);
        return { inputs: plain({ ...kept, value: value === undefined ? UNKNOWN : value }) };
    } catch (e) {
        // A host that could not be read, or an input a derivation refuses: one line, not a stack trace.
        if (isOnpremError(e)) return { failures: [{ property: "", reason: e.message }] };
        throw e;
    }
}

export async function diff(_id: string, olds: DerivedInputs, news: DerivedInputs): Promise<dynamic.DiffResult> {
    const changed = (["derivation", "input", "value"] as const).filter((k) => !isDeepStrictEqual(olds[k], news[k]));
    return { changes: changed.length > 0, replaces: changed.includes("derivation") ? ["derivation"] : [] };
}

export async function create(inputs: DerivedInputs): Promise<dynamic.CreateResult> {
    return { id: randomUUID(), outs: inputs };
}

export async function update(_id: string, _olds: DerivedInputs, news: DerivedInputs): Promise<dynamic.UpdateResult> {
    return { outs: news };
}

export async function remove(): Promise<void> {
    // Lives only in state.
}
