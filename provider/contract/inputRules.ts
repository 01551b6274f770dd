/**
 * The rules for values that land on a host as paths, names and modes, or that reach it as the
 * connection's host and user: one rule each, for every validator (the components', HostFile's,
 * HostConfig's and the connection's). A `*Problem` function returns the broken rule as the tail of a
 * message (`"etc/x" is not an absolute path`), or undefined. Values are quoted as JSON strings, so a
 * newline in one stays on the message's one line.
 */
import * as path from "path";
import { parseIp } from "../model/address";
import { isPort, PORT_RANGE } from "../model/port";
import { quoted as q } from "./issue";

/** A newline or tab breaks the line- and tab-separated lists the host's scripts read (staged copies, file states). */
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/** Linux's NAME_MAX and PATH_MAX, in bytes, without the terminating NUL. */
const MAX_NAME_BYTES = 255;
const MAX_PATH_BYTES = 4095;
/** chmod's octal modes: 3 digits, or 4 with the setuid/setgid/sticky digit, optionally after a 0. */
const FILE_MODE = /^0?[0-7]{3,4}$/;
/**
 * A user or group name: chown reads `owner:group` (so no ":"), stat prints names back (so not a number:
 * it would read as drift), and a leading "-" would be an option. At most 32, as useradd allows.
 */
const ACCOUNT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
/** POSIX's portable file name characters, never "." or ".." and never an option: safe as a file name, a directory name and a placeholder name. */
const PORTABLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A TCP or UDP port to listen on or connect to. */
export function portProblem(port: unknown): string | undefined {
    return isPort(port) ? undefined : `${q(port)} is outside ${PORT_RANGE}`;
}

export function hasControlChars(text: string): boolean {
    return CONTROL_CHARS.test(text);
}

/**
 * An absolute, normalised path without control characters: the engine stages, backs up and restores a
 * file by its path, so "/etc/x" and "/etc//x" must not be two files, nor "/etc/../x" a way around a rule.
 */
export function hostPathProblem(p: unknown): string | undefined {
    if (typeof p !== "string" || p === "") return "must be an absolute path";
    if (hasControlChars(p)) return `${q(p)} holds control characters`;
    if (!p.startsWith("/")) return `${q(p)} is not an absolute path`;
    const normal = path.posix.normalize(p).replace(/(.)\/$/, "$1");
    if (normal !== p) return `${q(p)} is not normalised (no "//", "." or ".." segments, no trailing "/"): write ${q(normal)}`;
    if (Buffer.byteLength(p) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
    if (p.split("/").some((name) => Buffer.byteLength(name) > MAX_NAME_BYTES)) return `has a name longer than ${MAX_NAME_BYTES} bytes`;
    return undefined;
}

export function fileModeProblem(mode: unknown): string | undefined {
    return typeof mode === "string" && FILE_MODE.test(mode) ? undefined : `${q(mode)} is not an octal mode like "0644"`;
}

export function accountNameProblem(name: unknown): string | undefined {
    return typeof name === "string" && ACCOUNT_NAME.test(name)
        ? undefined
        : `${q(name)} is not a user or group name (a letter or _, then letters, digits, _ . -; at most 32)`;
}

/** Names that become file or directory names on the host: letters, digits, `_ . -`, not starting with "." or "-"; at most 64. */
export function isPortableName(name: unknown): name is string {
    return typeof name === "string" && PORTABLE_NAME.test(name);
}

/** A DNS host name: dot-separated labels of letters, digits and inner hyphens; the last label not all digits (so "10.0.0.300" is not taken for a name). */
export function isDnsName(text: unknown): text is string {
    if (typeof text !== "string" || text.length === 0 || text.length > 253) return false;
    const labels = text.split(".");
    return labels.every((l) => DNS_LABEL.test(l)) && !/^[0-9]+$/.test(labels[labels.length - 1]);
}

/** A name a host is reached by: a DNS name or a bare IP address (no port, user, scheme or spaces). */
export function isHostName(text: unknown): text is string {
    return isDnsName(text) || parseIp(text) !== undefined;
}
