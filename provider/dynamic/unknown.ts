/** During preview the engine passes not-yet-known values as this string, whatever the declared type. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
    return false;
}

/** The engine refuses `undefined` in outputs: drop such keys, deeply. */
export function plain<T>(value: T): T {
    return JSON.parse(JSON.stringify(value)) as T;
}
