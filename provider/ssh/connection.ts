import { createHash } from "crypto";
import { utils } from "ssh2";
import type { Unwrap } from "@pulumi/pulumi/output";
import type { ConnectionArgs } from "../contract/connection";
import { accountNameProblem, isHostName, portProblem } from "../contract/inputRules";

/** The connection as the provider receives it: `ConnectionArgs` with its values resolved. */
export type ConnectionSpec = Unwrap<ConnectionArgs>;

export const DEFAULT_PORT = 22;
export const DEFAULT_USER = "root";
export const DEFAULT_DIAL_ERROR_LIMIT = 10;
export const DEFAULT_PER_DIAL_TIMEOUT_SECONDS = 15;

/** The name used in every message and as the pool key's readable part: `user@host:port`. */
export function describeTarget(c: Pick<ConnectionSpec, "host" | "port" | "user">): string {
    const port = c.port ?? DEFAULT_PORT;
    return `${c.user ?? DEFAULT_USER}@${c.host}${port === DEFAULT_PORT ? "" : `:${port}`}`;
}

/**
 * Pool identity: two resources share a connection only when they would open the same session with
 * the same credentials and the same host-key policy (a connection verified against one pin must
 * never serve a resource that pins another key).
 */
export function poolKey(c: ConnectionSpec): string {
    const hop = c.proxy ? ` via ${poolKey(c.proxy)}` : "";
    const policy = [c.password, c.privateKey, c.privateKeyPassword, c.agentSocketPath, c.hostKey, c.knownHostsPath, c.trustOnFirstUse];
    const digest = createHash("sha256").update(JSON.stringify(policy)).digest("hex").slice(0, 12);
    return `${describeTarget(c)}${hop} #${digest}`;
}

/** Rules the provider enforces before it dials, each naming the field. Keys are only ever described, never quoted. */
export function connectionProblems(c: Partial<ConnectionSpec> | undefined, field = "connection"): { property: string; reason: string }[] {
    const out: { property: string; reason: string }[] = [];
    const add = (key: string, rule: string) => out.push({ property: `${field}.${key}`, reason: `\`${field}.${key}\`: ${rule}` });
    if (!c || typeof c !== "object") return [{ property: field, reason: `\`${field}\` is required` }];
    if (!c.host || typeof c.host !== "string") out.push({ property: `${field}.host`, reason: `\`${field}.host\` is required` });
    else if (!isHostName(c.host)) add("host", `${JSON.stringify(c.host)} is neither an IP address nor a host name (give the port and user in \`port\` and \`user\`)`);
    const portRule = c.port === undefined ? undefined : portProblem(c.port);
    if (portRule) add("port", portRule);
    if (c.user !== undefined) {
        const problem = accountNameProblem(c.user);
        if (problem) add("user", problem);
    }
    for (const f of ["dialErrorLimit", "perDialTimeout", "commandTimeoutSeconds"] as const) {
        const v = (c as Record<string, unknown>)[f];
        const min = f === "dialErrorLimit" ? -1 : f === "commandTimeoutSeconds" ? 1 : 0; // -1: no limit, as in @pulumi/command
        if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < min)) add(f, `must be a whole number >= ${min}`);
    }
    if (c.hostKey !== undefined) {
        const problem = hostKeyProblem(c.hostKey);
        if (problem) add("hostKey", problem);
    }
    if (c.privateKey !== undefined) {
        const verdict = typeof c.privateKey === "string" ? keyVerdict(c.privateKey, c.privateKeyPassword) : "unparsable";
        if (verdict !== "private") add("privateKey", PRIVATE_KEY_RULES[verdict]);
    }
    if (!c.password && !c.privateKey && !c.agentSocketPath) {
        out.push({ property: field, reason: `\`${field}\`: give one of \`password\`, \`privateKey\` or \`agentSocketPath\`` });
    }
    if (c.proxy) out.push(...connectionProblems(c.proxy as Partial<ConnectionSpec>, `${field}.proxy`));
    return out;
}

/** What ssh2's `utils.parseKey` makes of a key and its passphrase. */
type KeyVerdict = "private" | "public" | "encrypted" | "unparsable";

const PRIVATE_KEY_RULES: Record<Exclude<KeyVerdict, "private">, string> = {
    public: "is a public key; give the private key (the key file without .pub)",
    encrypted: "is encrypted and `privateKeyPassword` is missing or does not open it",
    unparsable: "is not an OpenSSH, PEM or PPK private key",
};

/**
 * Every host resource of a stack is checked with the same key, on every preview: the verdict is kept
 * per digest of key and passphrase (parsing an encrypted key costs a key derivation each time).
 */
function keyVerdict(key: string, passphrase: string | undefined): KeyVerdict {
    const digest = createHash("sha256").update(key).update("\0").update(passphrase ?? "").digest("hex");
    let verdict = keyVerdicts.get(digest);
    if (verdict === undefined) {
        const parsed = utils.parseKey(key, passphrase);
        verdict = !(parsed instanceof Error) ? (parsed.isPrivateKey() ? "private" : "public") : /passphrase|decrypt|encrypted/i.test(parsed.message) ? "encrypted" : "unparsable";
        keyVerdicts.set(digest, verdict);
    }
    return verdict;
}
const keyVerdicts = new Map<string, KeyVerdict>();

const NOT_A_PIN = 'is neither an OpenSSH public key line ("ssh-ed25519 AAAA...") nor a "SHA256:" fingerprint';

/**
 * A pin as the host-key check compares it: a `SHA256:` fingerprint, or one OpenSSH public key line (type,
 * base64 blob whose own type matches, optional comment) that ssh2 parses as a public key.
 */
function hostKeyProblem(pin: unknown): string | undefined {
    if (typeof pin !== "string") return NOT_A_PIN;
    const p = pin.trim();
    if (p.startsWith("SHA256:")) return /^SHA256:[A-Za-z0-9+/]{43}=?$/.test(p) ? undefined : NOT_A_PIN;
    const verdict = keyVerdict(p, undefined);
    if (verdict === "private" || verdict === "encrypted") return "is a private key; pin the host's public key (`ssh-keyscan -t ed25519 HOST`) or its SHA256 fingerprint";
    if (verdict === "public" && /^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}( [^\n]*)?$/.test(p)) return undefined;
    // A known_hosts line starts with the host's names: the key is the rest.
    if (/^\S+ /.test(p) && keyVerdict(p.replace(/^\S+ /, ""), undefined) === "public") return 'is a known_hosts line; give the key without the host names ("ssh-ed25519 AAAA...")';
    return NOT_A_PIN;
}
