/**
 * The token rules of keepalived's config parser, shared by the validators: what may stand as a name,
 * an unquoted word, an interface, a command or a port.
 */
import { hasControlChars, portProblem } from "../../contract/inputRules";

/** Records one broken rule on a field. */
export type Add = (field: string, rule: string) => void;

/** A value keepalived reads as one unquoted word: no whitespace, quotes, braces, comment or escape characters. */
const WORD = /^[^\s"'{}#!\\$]+$/;
/** Linux interface names: 1-15 characters, no "/", ":" or whitespace. */
const INTERFACE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/;

export const NOT_A_WORD = "must be one word without quotes, braces, # ! \\ or $";
export const NOT_AN_INTERFACE = "is not an interface name (1-15 characters, no / : or spaces)";
export const NOT_A_NAME = "is not a valid keepalived name (letters, digits, _ . -; at most 64)";

export const isWord = (v: unknown): boolean => typeof v === "string" && WORD.test(v);
export const isInterfaceName = (v: unknown): boolean => typeof v === "string" && INTERFACE_NAME.test(v);
export const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);
export const isPositive = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n > 0;
export const isWeight = (n: unknown): boolean => isInt(n) && n >= -253 && n <= 253;
export { quoted as q } from "../../contract/issue";

/** A command keepalived runs without a shell: its program (first word) an absolute path, no control characters. */
export function isCommand(command: unknown): boolean {
    if (typeof command !== "string" || hasControlChars(command)) return false;
    const first = command.trim().split(/\s+/)[0] ?? "";
    return first.replace(/^'/, "").startsWith("/");
}

export function checkPort(port: unknown, field: string, add: Add): void {
    const problem = portProblem(port);
    if (problem) add(field, problem);
}
