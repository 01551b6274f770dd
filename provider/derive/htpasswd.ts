/**
 * The password hashes of a registry's htpasswd file: bcrypt only (the registry refuses every other
 * scheme). Not pure: every new hash has a random salt, so the file is made once and kept in state.
 *
 * bcrypt is salted, so hashing the same password twice gives two different lines. To keep an unchanged
 * user list from rewriting the file (and showing a secret change) on every `pulumi up`, `htpasswdFile`
 * takes the previous file and keeps each line whose hash still verifies the user's password; only new
 * users and changed passwords are hashed afresh. This needs no extra secret (a deterministic salt would
 * need a stable secret seed kept somewhere) and leaves every hash with a random salt.
 */
import bcrypt from "bcryptjs";
import { OnpremError } from "../contract/errors";
import { MAX_BCRYPT_PASSWORD_BYTES } from "../plan/registry/model";
import { parseHtpasswd, parseHtpasswdLine, renderHtpasswd } from "../render/registry/htpasswd";

/** Apache's `htpasswd -B` writes `$2y$`; Go's bcrypt (the registry's) accepts 2a, 2b and 2y alike. */
const HTPASSWD_BCRYPT_PREFIX = "$2y$";
const DEFAULT_BCRYPT_COST = 10;
/** bcrypt's own bounds for the cost (log2 of the rounds). */
const MIN_BCRYPT_COST = 4;
const MAX_BCRYPT_COST = 31;

const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** One registry account. */
export interface HtpasswdUser {
    /** The login name. */
    name: string;
    /** The password in clear (hashed with bcrypt on the way into the file). */
    password: string;
}

/** One `name:hash` line (no newline) with a fresh random salt. */
export function htpasswdLine(user: string, password: string, saltRounds: number = DEFAULT_BCRYPT_COST): string {
    return `${user}:${bcryptHash(user, password, saltRounds)}`;
}

function bcryptHash(user: string, password: string, saltRounds: number): string {
    checkUser(user);
    checkPassword(user, password);
    if (!Number.isInteger(saltRounds) || saltRounds < MIN_BCRYPT_COST || saltRounds > MAX_BCRYPT_COST) {
        throw new OnpremError("InvalidArgument", `htpasswd cost ${saltRounds} is outside ${MIN_BCRYPT_COST}-${MAX_BCRYPT_COST}`);
    }
    const salt = HTPASSWD_BCRYPT_PREFIX + bcrypt.genSaltSync(saltRounds).slice(HTPASSWD_BCRYPT_PREFIX.length);
    return bcrypt.hashSync(password, salt);
}

/** Whether an existing `name:hash` line holds a bcrypt hash of `password`. Other schemes never verify. */
export function htpasswdVerify(existingLine: string, password: string): boolean {
    const entry = parseHtpasswdLine(existingLine);
    if (!entry || !BCRYPT_HASH.test(entry.hash)) return false;
    return bcrypt.compareSync(password, entry.hash);
}

export interface HtpasswdFileOptions {
    /** The file as written last time (from state or read back from the host): lines that still verify are kept as they are. Default: none (all hashed afresh). */
    previous?: string;
    /** bcrypt cost for new hashes; a kept line with another cost is rehashed. Default: 10. */
    saltRounds?: number;
}

/**
 * The whole htpasswd file: a managed-by header, then one line per user sorted by name, trailing newline.
 * The result is a secret (bcrypt hashes of weak passwords can be attacked offline).
 */
export function htpasswdFile(users: readonly HtpasswdUser[], options: HtpasswdFileOptions = {}): string {
    const cost = options.saltRounds ?? DEFAULT_BCRYPT_COST;
    const previous = options.previous === undefined ? new Map<string, string>() : parseHtpasswd(options.previous);
    const sorted = [...users].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const entries = sorted.map((user, i) => {
        if (i > 0 && sorted[i - 1].name === user.name) {
            throw new OnpremError("InvalidArgument", `htpasswd user ${JSON.stringify(user.name)} is listed twice`);
        }
        const old = previous.get(user.name);
        if (old !== undefined && costOf(old) === cost && htpasswdVerify(`${user.name}:${old}`, user.password)) {
            checkUser(user.name);
            checkPassword(user.name, user.password);
            return { name: user.name, hash: old };
        }
        return { name: user.name, hash: bcryptHash(user.name, user.password, cost) };
    });
    return renderHtpasswd(entries);
}

function costOf(hash: string): number | undefined {
    const m = BCRYPT_HASH.exec(hash);
    return m ? Number(m[1]) : undefined;
}

function checkUser(user: string): void {
    if (typeof user !== "string" || user === "" || user.includes(":") || user.startsWith("#") || /[\s\u0000-\u001f\u007f]/.test(user)) {
        throw new OnpremError("InvalidArgument", `htpasswd user name ${JSON.stringify(user)} is empty or holds ":", whitespace, control characters or a leading "#"`);
    }
}

/** Never quotes the password: messages may end up in logs. */
function checkPassword(user: string, password: string): void {
    if (typeof password !== "string" || password === "") {
        throw new OnpremError("InvalidArgument", `htpasswd password of ${JSON.stringify(user)} is empty`);
    }
    if (Buffer.byteLength(password, "utf8") > MAX_BCRYPT_PASSWORD_BYTES) {
        throw new OnpremError("InvalidArgument", `htpasswd password of ${JSON.stringify(user)} is longer than ${MAX_BCRYPT_PASSWORD_BYTES} bytes`);
    }
}
