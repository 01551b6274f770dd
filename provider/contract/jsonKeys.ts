/**
 * JSON files whose keys belong to different owners (daemon.json: the mesh owns bridge/mtu, the
 * registry owns insecure-registries): each owner sets and removes only its own keys.
 */
import { isDeepStrictEqual } from "util";
import { OnpremError } from "./errors";

export interface MergeOptions {
    /** Keys Docker refuses next to an owned key ("bridge" -> ["bip"]): finding one is an error. */
    conflicts?: Readonly<Record<string, readonly string[]>>;
    /** Shown in messages. Default: "the file". */
    path?: string;
}

/**
 * The new JSON text: `owned` keys set (a key set to undefined is removed), keys in
 * `previouslyOwned` that are not in `owned` removed, every other key kept in its place. New keys are
 * appended in sorted order, so merging the result again gives the same text. 2-space JSON, trailing
 * newline. An empty or missing file counts as `{}`; text that is not a JSON object is an error.
 */
export function mergeJsonKeys(
    current: string | undefined,
    owned: Readonly<Record<string, unknown>>,
    previouslyOwned: readonly string[],
    options: MergeOptions = {},
): string {
    const path = options.path ?? "the file";
    const base = parseObject(current, path);
    const result: Record<string, unknown> = {};
    const wanted = new Set(Object.keys(owned).filter((k) => owned[k] !== undefined));
    const dropped = new Set(previouslyOwned.filter((k) => !wanted.has(k)));
    for (const key of Object.keys(base)) {
        if (wanted.has(key)) result[key] = owned[key];
        else if (!dropped.has(key) && !(key in owned)) result[key] = base[key];
    }
    for (const key of [...wanted].sort()) if (!(key in result)) result[key] = owned[key];

    for (const [key, refused] of Object.entries(options.conflicts ?? {})) {
        if (!wanted.has(key)) continue;
        const clash = refused.filter((k) => k in result);
        if (clash.length > 0) {
            throw new OnpremError(
                "Validation",
                `\`${path}\`: sets ${clash.map((k) => JSON.stringify(k)).join(", ")}, which Docker refuses together with ${JSON.stringify(key)} that pulumi-onprem sets: remove it from the file`,
            );
        }
    }
    return `${JSON.stringify(result, null, 2)}\n`;
}

function parseObject(text: string | undefined, path: string): Record<string, unknown> {
    if (text === undefined || text.trim() === "") return {};
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        throw new OnpremError(
            "Validation",
            `\`${path}\`: is not valid JSON (${jsonSyntaxError(text, e)}); fix or remove it: pulumi-onprem merges its keys into the file and will not overwrite what it cannot read`,
            { cause: e },
        );
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new OnpremError("Validation", `\`${path}\`: holds ${Array.isArray(value) ? "an array" : JSON.stringify(value)}, not a JSON object`);
    }
    return value as Record<string, unknown>;
}

/**
 * Why `text` is not JSON, on one line and without the text itself (V8 quotes the whole input, newlines
 * and all): "Unexpected token '}'", "Expected double-quoted property name at line 3, column 1".
 */
export function jsonSyntaxError(text: string, error: unknown): string {
    const message = (error as Error).message.replace(/, (\.\.\.)?".*" is not valid JSON$/s, "").replace(/\s+/g, " ");
    return message.replace(/(?: in JSON)? at position (\d+)$/, (_, at: string) => {
        const before = text.slice(0, Number(at));
        const line = before.split("\n").length;
        return ` at line ${line}, column ${before.length - before.lastIndexOf("\n")}`;
    });
}

/** The owned keys as the file holds them now (absent keys left out), in the owned object's key order. */
export function pickJsonKeys(current: string | undefined, keys: readonly string[], path = "the file"): Record<string, unknown> {
    const base = parseObject(current, path);
    return Object.fromEntries(keys.filter((k) => k in base).map((k) => [k, base[k]]));
}

/** Whether the file already holds exactly these values for the owned keys. */
export function holdsJsonKeys(current: string | undefined, owned: Readonly<Record<string, unknown>>, path = "the file"): boolean {
    const base = parseObject(current, path);
    return Object.entries(owned).every(([k, v]) => (v === undefined ? !(k in base) : isDeepStrictEqual(base[k], v)));
}

/** The JSON text of an owned-keys object as the SDK renders it (2-space, trailing newline). */
export function renderJsonKeys(owned: Readonly<Record<string, unknown>>): string {
    return `${JSON.stringify(owned, null, 2)}\n`;
}
