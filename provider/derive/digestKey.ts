/**
 * A random key for a keyed digest (HMAC) that must say when something secret changed without saying
 * anything about the secret. Not pure: made once from random bytes, then kept in state as a secret.
 */
import { randomBytes } from "node:crypto";

const KEY_BYTES = 32;
const KEY_TEXT = /^[0-9a-f]{64}$/;

/** The previous key while it is one, else a new one (hex). */
export function digestKey(previous: string | undefined): string {
    return previous !== undefined && KEY_TEXT.test(previous) ? previous : randomBytes(KEY_BYTES).toString("hex");
}
