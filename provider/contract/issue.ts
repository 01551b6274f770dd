/** One broken rule found by a validator: the field path and a message that starts with it in backticks. */
export interface Issue {
    /** The field path, e.g. `instances[0].virtualRouterId`. */
    field: string;
    /** Starts with the field in backticks, then the rule; never holds a secret. */
    message: string;
}

/** A validator's answer: the issues it found, or the value it parsed (defaults applied): what the planner takes. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** A value as an issue message quotes it: JSON, so a string shows its quotes and any odd character. */
export function quoted(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}
