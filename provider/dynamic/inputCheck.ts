/**
 * A component's bad input as one resource: `check` refuses it at preview with one line per broken rule,
 * before anything connects. It holds nothing anywhere; the component's host resources depend on it, so
 * none of them runs when it fails, and each broken rule is reported once per component.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { containsUnknown } from "./unknown";

interface InputCheckInputs {
    /** One line per broken rule, already naming the component and the field. */
    errors: string[];
}

export async function check(_olds: InputCheckInputs, news: InputCheckInputs): Promise<dynamic.CheckResult<InputCheckInputs>> {
    const errors = Array.isArray(news.errors) && !containsUnknown(news.errors) ? news.errors : [];
    if (errors.length > 0) return { failures: errors.map((reason) => ({ property: "", reason })) };
    return { inputs: { errors: [] } };
}

export async function diff(): Promise<dynamic.DiffResult> {
    return { changes: false };
}

export async function create(): Promise<{ id: string; outs: InputCheckInputs }> {
    return { id: "inputs", outs: { errors: [] } };
}

export async function update(): Promise<{ outs: InputCheckInputs }> {
    return { outs: { errors: [] } };
}

export async function remove(): Promise<void> {
    // Nothing was made.
}
