/**
 * The htpasswd file format distribution's `auth.htpasswd` reads: `name:hash` lines. The hashes are made
 * (and kept) by derive/htpasswd.ts; this only writes and reads the text.
 */
import { MANAGED_HEADER } from "../managedHeader";

/** One account's line, without its newline. */
export interface HtpasswdEntry {
    name: string;
    /** A bcrypt hash, "$2y$10$...". */
    hash: string;
}

/** The managed-by header, then one line per entry sorted by name, trailing newline. */
export function renderHtpasswd(entries: readonly HtpasswdEntry[]): string {
    const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return [MANAGED_HEADER, ...sorted.map((e) => `${e.name}:${e.hash}`), ""].join("\n");
}

/** name -> hash for every entry line (comments and blank lines skipped, as the registry does). */
export function parseHtpasswd(text: string): Map<string, string> {
    const entries = new Map<string, string>();
    for (const raw of text.split("\n")) {
        const entry = parseHtpasswdLine(raw);
        if (entry) entries.set(entry.name, entry.hash);
    }
    return entries;
}

/** One line's name and hash; undefined for a comment, a blank line or a line without a name. */
export function parseHtpasswdLine(raw: string): HtpasswdEntry | undefined {
    const t = raw.trim();
    if (t === "" || t.startsWith("#")) return undefined;
    const colon = t.indexOf(":");
    if (colon <= 0) return undefined;
    return { name: t.slice(0, colon), hash: t.slice(colon + 1) };
}
