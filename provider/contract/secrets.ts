import { OnpremError } from "./errors";

/**
 * Secret placeholders: rendered files carry `{{secret:NAME}}` so that previews, state and diffs hold
 * only the template; the provider fills the values in just before the bytes go to the host.
 */
const PLACEHOLDER = /\{\{secret:([A-Za-z0-9_.-]+)\}\}/g;

export function placeholder(name: string): string {
    return `{{secret:${name}}}`;
}

/** The secret names a template refers to. */
export function referencedSecrets(template: string): string[] {
    return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))].sort();
}

/** Fills placeholders in; a placeholder without a value is a bug in the caller, reported by name only. */
export function fillSecrets(template: string, secrets: Readonly<Record<string, string>>): string {
    return template.replace(PLACEHOLDER, (_, name: string) => {
        const value = secrets[name];
        if (value === undefined) {
            throw new OnpremError("InvalidArgument", `secret placeholder \`${name}\` has no value in \`secrets\``);
        }
        return value;
    });
}

/** Fills the placeholders that have a value and leaves the others as they are. */
function fillKnown(template: string, secrets: Readonly<Record<string, string>>): string {
    return template.replace(PLACEHOLDER, (whole, name: string) => (typeof secrets[name] === "string" ? secrets[name] : whole));
}

/** Replaces every secret value in text (host output, a file read back) by its placeholder. */
export function redactSecrets(text: string, secrets: Readonly<Record<string, string>> | undefined): string {
    if (!secrets) return text;
    const entries = Object.entries(secrets)
        .filter(([, v]) => typeof v === "string" && v.length > 0)
        .sort(([, a], [, b]) => b.length - a.length); // longest first, so a secret inside another is not split
    let out = text;
    for (const [name, value] of entries) out = out.split(value).join(placeholder(name));
    return out;
}

/**
 * `text` (in placeholder form, e.g. a file read back through `redactSecrets`) with each line that
 * the template would write as it stands given back as the template's own line. Secrets that share a
 * value all redact to one name; without this, a read-back would swap one placeholder for another and
 * report drift nobody made. The k-th such line of one text takes the template's k-th line of that
 * text; other lines keep the name `redactSecrets` gives.
 */
export function placeholdersLike(text: string, template: string, secrets: Readonly<Record<string, string>> | undefined): string {
    if (!secrets) return text;
    // One spelling for both sides: what the host holds, redacted the same way.
    const canonical = (s: string) => redactSecrets(fillKnown(s, secrets), secrets);
    const lines = new Map<string, string[]>();
    for (const line of template.split("\n")) lines.set(canonical(line), [...(lines.get(canonical(line)) ?? []), line]);
    return canonical(text)
        .split("\n")
        .map((line) => lines.get(line)?.shift() ?? line)
        .join("\n");
}
