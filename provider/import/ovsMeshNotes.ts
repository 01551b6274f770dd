/**
 * The report of an OvsMesh import: one note per thing the args leave out or the first `up` changes, and
 * the rule for values the mesh holds once while every host has its own.
 */

/** One line of an import report. */
export interface ImportNote {
    /** The host it is about; none for the mesh as a whole. */
    host?: string;
    /** "unexpressed": left out of the args; "adoption": carried, but the first `up` changes the host to match. */
    kind: "unexpressed" | "adoption";
    subject: string;
    why: string;
}

/** Adds a note to the report. */
export type Say = (note: ImportNote) => void;

/**
 * The value every host has, or undefined (the mesh's default then applies) when they differ: each host
 * that differs from the first is said. Values compare as JSON.
 */
export function agree<T>(items: readonly { host: string; value: T }[], subject: string, say: Say): T | undefined {
    const text = (v: T) => JSON.stringify(v) ?? "unset";
    const first = items[0];
    if (first === undefined) return undefined;
    const odd = items.filter((i) => text(i.value) !== text(first.value));
    for (const i of odd) {
        say({ host: i.host, kind: "unexpressed", subject: `${subject} ${text(i.value)}`, why: `differs from ${first.host}'s ${text(first.value)}: the mesh has one, so it is left to its default` });
    }
    return odd.length === 0 ? first.value : undefined;
}
