import { holdsJsonKeys, jsonSyntaxError, mergeJsonKeys, pickJsonKeys, renderJsonKeys } from "./jsonKeys";

/**
 * How the engine combines a resource's part of a shared file with what the host holds. The engine
 * knows only these operations; the format lives here.
 */
interface FileMerger {
    /** The file's new text: `desired` (the resource's part) set in `current`, the `released` parts removed. */
    merge(current: string | undefined, desired: string, released: readonly string[], path: string): string;
    /** The resource's part as the host holds it: exactly `desired` when nothing drifted. */
    observe(current: string | undefined, desired: string, path: string): string;
    /** The names of the parts `desired` sets. */
    parts(desired: string): string[];
    /** Why `desired` is not a part this merger takes, on one line and without quoting it; undefined when it is one. */
    problem(desired: string): string | undefined;
    /** Those parts as the original file held them (what delete puts back), as desired text. */
    originalParts(original: string | undefined, parts: readonly string[], path: string): string;
    /** A file holding nothing: a file the engine created and left like this is removed on delete. */
    empty: string;
}

const jsonKeys: FileMerger = {
    merge: (current, desired, released, path) => mergeJsonKeys(current, JSON.parse(desired), released, { path }),
    observe: (current, desired, path) => (holdsJsonKeys(current, JSON.parse(desired), path) ? desired : renderJsonKeys(pickJsonKeys(current, Object.keys(JSON.parse(desired)), path))),
    parts: (desired) => Object.keys(JSON.parse(desired)),
    problem: (desired) => {
        let value: unknown;
        try {
            value = JSON.parse(desired);
        } catch (e) {
            return `is not valid JSON (${jsonSyntaxError(desired, e)})`;
        }
        // The keys are the parts the resource owns: anything but an object has none.
        return typeof value === "object" && value !== null && !Array.isArray(value) ? undefined : "is not a JSON object (its keys are what the resource sets in the shared file)";
    },
    originalParts: (original, parts, path) => renderJsonKeys(pickJsonKeys(original, parts, path)),
    empty: renderJsonKeys({}),
};

export const FILE_MERGERS = { "json-keys": jsonKeys } as const;
export type MergeStrategy = keyof typeof FILE_MERGERS;
