import { createHash } from "crypto";
import { utils } from "ssh2";

/**
 * The connection as the provider receives it: plain values, the same shape as
 * `@pulumi/command`'s `remote.Connection`, plus the host-key options.
 */
export interface ConnectionSpec {
    host: string;
    port?: number;
    user?: string;
    password?: string;
    privateKey?: string;
    privateKeyPassword?: string;
    agentSocketPath?: string;
    dialErrorLimit?: number;
    perDialTimeout?: number;
    /** Pinned host key: an OpenSSH public key line (`ssh-ed25519 AAAA...`) or a `SHA256:` fingerprint. */
    hostKey?: string;
    /** known_hosts file consulted when no `hostKey` is pinned. */
    knownHostsPath?: string;
    /** Accept and remember a host key never seen before (never a changed one). */
    trustOnFirstUse?: boolean;
    proxy?: ProxySpec;
}

type ProxySpec = Omit<ConnectionSpec, "proxy" | "dialErrorLimit">;

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

/** Rules the provider enforces before it dials, each naming the field. */
export function connectionProblems(c: Partial<ConnectionSpec> | undefined, field = "connection"): { property: string; reason: string }[] {
    const out: { property: string; reason: string }[] = [];
    if (!c || typeof c !== "object") return [{ property: field, reason: `\`${field}\` is required` }];
    if (!c.host || typeof c.host !== "string") out.push({ property: `${field}.host`, reason: `\`${field}.host\` is required` });
    if (c.port !== undefined && (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535)) {
        out.push({ property: `${field}.port`, reason: `\`${field}.port\`: ${c.port} is outside 1-65535` });
    }
    for (const f of ["dialErrorLimit", "perDialTimeout"] as const) {
        const v = (c as Record<string, unknown>)[f];
        const min = f === "dialErrorLimit" ? -1 : 0; // -1: no limit, as in @pulumi/command
        if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < min)) {
            out.push({ property: `${field}.${f}`, reason: `\`${field}.${f}\`: must be a whole number >= ${min}` });
        }
    }
    if (c.hostKey !== undefined && !isHostKeyPin(c.hostKey)) {
        out.push({ property: `${field}.hostKey`, reason: `\`${field}.hostKey\`: is neither an OpenSSH public key line ("ssh-ed25519 AAAA...") nor a "SHA256:" fingerprint` });
    }
    if (c.privateKey !== undefined) {
        // Never quote the key or the parser's view of it: only whether it parses.
        const problem = typeof c.privateKey === "string" ? keyProblem(c.privateKey, c.privateKeyPassword) : "not a string";
        if (problem !== undefined) {
            const encrypted = /passphrase|decrypt|encrypted/i.test(problem);
            out.push({
                property: `${field}.privateKey`,
                reason: encrypted
                    ? `\`${field}.privateKey\`: is encrypted and \`privateKeyPassword\` is missing or does not open it`
                    : `\`${field}.privateKey\`: is not an OpenSSH, PEM or PPK private key`,
            });
        }
    }
    if (!c.password && !c.privateKey && !c.agentSocketPath) {
        out.push({ property: field, reason: `\`${field}\`: give one of \`password\`, \`privateKey\` or \`agentSocketPath\`` });
    }
    if (c.proxy) out.push(...connectionProblems(c.proxy as Partial<ConnectionSpec>, `${field}.proxy`));
    return out;
}

/**
 * Why a private key does not parse, or undefined. Every host resource of a stack is checked with the
 * same key, on every preview: the verdict is kept per digest of key and passphrase (parsing an
 * encrypted key costs a key derivation each time).
 */
function keyProblem(key: string, passphrase: string | undefined): string | undefined {
    const digest = createHash("sha256").update(key).update("\0").update(passphrase ?? "").digest("hex");
    if (!keyVerdicts.has(digest)) {
        const parsed = utils.parseKey(key, passphrase);
        keyVerdicts.set(digest, parsed instanceof Error ? parsed.message : undefined);
    }
    return keyVerdicts.get(digest);
}
const keyVerdicts = new Map<string, string | undefined>();

/** An OpenSSH public key line (type, base64 blob whose own type matches, optional comment) or a `SHA256:` fingerprint. */
function isHostKeyPin(pin: unknown): boolean {
    if (typeof pin !== "string") return false;
    const p = pin.trim();
    if (p.startsWith("SHA256:")) return /^SHA256:[A-Za-z0-9+/]{43}=?$/.test(p);
    const [type, blob] = p.split(/\s+/);
    if (!type || !blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return false;
    const raw = Buffer.from(blob, "base64");
    const len = raw.length >= 4 ? raw.readUInt32BE(0) : 0;
    return len > 0 && raw.subarray(4, 4 + len).toString("latin1") === type;
}
