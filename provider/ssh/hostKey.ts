import { createHash, createHmac } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A host key as the server sent it (SSH wire format), with the names people compare. */
export interface PresentedKey {
    type: string;
    /** base64 of the wire-format blob: the second field of a known_hosts or authorized_keys line. */
    base64: string;
    /** `SHA256:...` exactly as `ssh-keygen -lf` prints it. */
    fingerprint: string;
}

export function presentedKey(blob: Buffer): PresentedKey {
    const typeLen = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
    const type = blob.subarray(4, 4 + typeLen).toString("latin1");
    const fingerprint = `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
    return { type, base64: blob.toString("base64"), fingerprint };
}

export type Verdict =
    | { ok: true; how: "pinned" | "known_hosts" | "trusted-on-first-use" }
    | { ok: false; reason: string };

export interface HostKeyPolicy {
    host: string;
    port: number;
    hostKey?: string;
    knownHostsPath?: string;
    trustOnFirstUse?: boolean;
}

function defaultKnownHostsPath(): string {
    return path.join(os.homedir(), ".ssh", "known_hosts");
}

/** Decides whether to talk to a server that presented `key`. Only a TOFU acceptance writes anything. */
export function verifyHostKey(policy: HostKeyPolicy, key: PresentedKey): Verdict {
    const seen = `the host presented ${key.type} key ${key.fingerprint}`;
    if (policy.hostKey) {
        const pin = policy.hostKey.trim();
        const matches = pin.startsWith("SHA256:")
            ? pin.replace(/=+$/, "") === key.fingerprint
            : pin.split(/\s+/)[1] === key.base64;
        return matches ? { ok: true, how: "pinned" } : { ok: false, reason: `host key does not match the pinned \`hostKey\`: ${seen}` };
    }
    const file = policy.knownHostsPath ?? defaultKnownHostsPath();
    const entries = readKnownHosts(file).filter((e) => e.matchesHost(policy.host, policy.port));
    if (entries.some((e) => e.revoked && e.base64 === key.base64)) {
        return { ok: false, reason: `host key is marked @revoked in ${file}: ${seen}` };
    }
    if (entries.some((e) => !e.revoked && e.base64 === key.base64)) return { ok: true, how: "known_hosts" };
    const sameType = entries.filter((e) => !e.revoked && e.type === key.type);
    if (sameType.length > 0) {
        return { ok: false, reason: `host key CHANGED (${file} holds another ${key.type} key for this host): ${seen}` };
    }
    if (policy.trustOnFirstUse) {
        appendKnownHost(file, policy.host, policy.port, key);
        return { ok: true, how: "trusted-on-first-use" };
    }
    return {
        ok: false,
        reason: `unknown host key (not in ${file}; pin it with \`hostKey\` or set \`trustOnFirstUse\`): ${seen}`,
    };
}

interface KnownHostEntry {
    type: string;
    base64: string;
    revoked: boolean;
    matchesHost(host: string, port: number): boolean;
}

function readKnownHosts(file: string): KnownHostEntry[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return [];
    }
    const out: KnownHostEntry[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (!line || line.startsWith("#")) continue;
        const fields = line.split(/\s+/);
        let marker = "";
        if (fields[0].startsWith("@")) marker = fields.shift()!;
        if (marker === "@cert-authority" || fields.length < 3) continue; // certificates are not supported
        const [hosts, type, base64] = fields;
        out.push({ type, base64, revoked: marker === "@revoked", matchesHost: (h, p) => hostPatternsMatch(hosts, h, p) });
    }
    return out;
}

/** known_hosts host field: comma list of names, `[name]:port`, `!negations`, wildcards, or one hashed `|1|salt|hash`. */
function hostPatternsMatch(field: string, host: string, port: number): boolean {
    const name = port === 22 ? host : `[${host}]:${port}`;
    if (field.startsWith("|1|")) {
        const [, , salt, hash] = field.split("|");
        const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
        return mac === hash;
    }
    let matched = false;
    for (const pattern of field.split(",")) {
        const negated = pattern.startsWith("!");
        const p = negated ? pattern.slice(1) : pattern;
        if (wildcard(p).test(name)) {
            if (negated) return false;
            matched = true;
        }
    }
    return matched;
}

function wildcard(pattern: string): RegExp {
    const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${re}$`, "i");
}

function appendKnownHost(file: string, host: string, port: number, key: PresentedKey): void {
    const name = port === 22 ? host : `[${host}]:${port}`;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.appendFileSync(file, `${name} ${key.type} ${key.base64}\n`, { mode: 0o600 });
}
