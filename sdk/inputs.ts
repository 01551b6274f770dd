/**
 * From a resource's Args to the value its validator parses: one resolution for every resource
 * (`pulumi.output` unwraps Inputs deeply), so no SDK file copies its fields out by hand.
 */
import * as pulumi from "./pulumi";

/** The Args once every Input is known, without the `omit` fields (the connection goes to the host children alone). */
export function resolveInputs<T extends object, K extends keyof T = never>(args: T, omit: readonly K[] = []): pulumi.Output<pulumi.Unwrap<Omit<T, K>>> {
    const kept = Object.fromEntries(Object.entries(args).filter(([k]) => !omit.includes(k as K)));
    return pulumi.output(kept) as unknown as pulumi.Output<pulumi.Unwrap<Omit<T, K>>>;
}

/** Stands for a secret in the copy of a value that files are rendered from: it never reaches a file. */
const MASK = "********";

/**
 * `value` with each secret replaced by `MASK`, so the copy renders placeholders only and a secret value
 * does not make the whole copy secret. A path names fields with dots and walks a list with `[]`
 * ("users[].password"); a field that is absent stays absent. Where an object on a path is itself an
 * Output, it is masked once known (and stays secret if it was: the conservative side).
 */
export function maskSecrets<T>(value: T, paths: readonly string[]): T {
    return paths.reduce<unknown>((v, path) => maskPath(v, path.split(/\.|(?=\[\])/).filter((s) => s !== "")), value) as T;
}

function maskPath(value: unknown, path: readonly string[]): unknown {
    if (value === undefined || value === null) return value;
    if (path.length === 0) return MASK;
    if (pulumi.Output.isInstance(value) || value instanceof Promise) return pulumi.output(value).apply((v) => pulumi.output(maskPath(v, path)));
    const [head, ...rest] = path;
    if (head === "[]") return Array.isArray(value) ? value.map((item) => maskPath(item, rest)) : value;
    if (typeof value !== "object" || !Object.hasOwn(value, head)) return value;
    return { ...(value as Record<string, unknown>), [head]: maskPath((value as Record<string, unknown>)[head], rest) };
}
