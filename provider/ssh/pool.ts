import { Client, ConnectConfig } from "ssh2";
import { Duplex } from "stream";
import { OnpremError } from "../contract/errors";
import {
    ConnectionSpec,
    DEFAULT_DIAL_ERROR_LIMIT,
    DEFAULT_PER_DIAL_TIMEOUT_SECONDS,
    DEFAULT_PORT,
    DEFAULT_USER,
    describeTarget,
    poolKey,
} from "./connection";
import { presentedKey, verifyHostKey } from "./hostKey";
import { reportProgress } from "./progress";
import { coalesceWrites, sshSocket } from "./socket";
import { countDial, countHandshake } from "./stats";

/** OpenSSH allows 10 sessions per connection (MaxSessions); stay below it. */
const MAX_CHANNELS_PER_CONNECTION = 8;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 4000;
// A host that answers nothing for about a minute is given up. sshd answers keepalives from the loop that
// also opens sessions (PAM, logind): on a busy host that loop stalls for well over 15 s.
const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 4;

/** One open SSH connection, shared by every resource on that host in this provider process. */
export class PooledConnection {
    private active = 0;
    private readonly waiting: (() => void)[] = [];
    closed = false;
    /** Why the connection dropped after the handshake (ssh2's error, e.g. "Keepalive timeout"), for messages. */
    lostReason?: string;

    constructor(
        readonly key: string,
        readonly target: string,
        readonly client: Client,
        readonly user: string,
        readonly hostKeyFingerprint: string,
    ) {}

    /** Runs `fn` while holding one of the connection's channel slots. */
    async withChannel<T>(fn: () => Promise<T>): Promise<T> {
        if (this.active >= MAX_CHANNELS_PER_CONNECTION) await new Promise<void>((r) => this.waiting.push(r));
        this.active++;
        try {
            return await fn();
        } finally {
            this.active--;
            this.waiting.shift()?.();
        }
    }
}

const pool = new Map<string, Promise<PooledConnection>>();
/** The connection each pool entry resolved to, so that a closed connection removes its own entry only. */
const pooled = new Map<string, PooledConnection>();

/** The pooled connection for `spec`, dialled on first use and again after it dropped. */
export function connect(spec: ConnectionSpec): Promise<PooledConnection> {
    const key = poolKey(spec);
    let entry = pool.get(key);
    if (!entry) {
        entry = dial(spec, key);
        pool.set(key, entry);
        entry.catch(() => pool.delete(key));
    }
    return entry;
}

/** Closes every pooled connection (tests; the engine simply ends the process). */
export function closeAll(): void {
    for (const entry of pool.values()) entry.then((c) => c.client.end(), () => undefined);
    pool.clear();
    pooled.clear();
}

/** Drops a connection from the pool so the next use dials again. */
export function forget(conn: PooledConnection): void {
    if (pool.get(conn.key) !== undefined) pool.delete(conn.key);
    if (pooled.get(conn.key) === conn) pooled.delete(conn.key);
    conn.closed = true;
    conn.client.end();
}

let unpooled = 0;

/**
 * A connection of its own, outside the pool: proof that the host answers now (commit-confirm), or a
 * short-lived look-up. The caller ends it.
 */
export function dialUnpooled(spec: ConnectionSpec): Promise<PooledConnection> {
    return dial(spec, `${poolKey(spec)} #${++unpooled}`);
}

async function dial(spec: ConnectionSpec, key: string): Promise<PooledConnection> {
    const target = describeTarget(spec);
    const limit = spec.dialErrorLimit ?? DEFAULT_DIAL_ERROR_LIMIT;
    const perDialMs = (spec.perDialTimeout ?? DEFAULT_PER_DIAL_TIMEOUT_SECONDS) * 1000;
    for (let attempt = 1; ; attempt++) {
        try {
            return await dialOnce(spec, key, target, perDialMs);
        } catch (e) {
            const err = e as OnpremError;
            if (err.kind !== "Connection" || (limit >= 0 && attempt >= Math.max(1, limit))) throw err;
            const backoff = Math.min(BACKOFF_FIRST_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS, perDialMs || BACKOFF_MAX_MS);
            // As @pulumi/command says it ("Dial 1/10 failed: retrying"), with the reason and the wait.
            reportProgress(`dial ${attempt}${limit >= 0 ? `/${Math.max(1, limit)}` : ""} to ${target} failed (${err.detail}): retrying in ${(backoff / 1000).toFixed(2)} s`);
            await new Promise((r) => setTimeout(r, backoff));
        }
    }
}

function dialOnce(spec: ConnectionSpec, key: string, target: string, perDialMs: number): Promise<PooledConnection> {
    countDial();
    const port = spec.port ?? DEFAULT_PORT;
    const user = spec.user ?? DEFAULT_USER;
    return (async () => {
        let sock: Duplex | undefined;
        if (spec.proxy) sock = await forwardThrough(spec.proxy, spec.host, port, target);
        return new Promise<PooledConnection>((resolve, reject) => {
            const client = new Client();
            let hostKeyProblem: string | undefined;
            let fingerprint = "";
            let settled = false;
            const fail = (e: OnpremError) => {
                if (settled) return;
                settled = true;
                client.end();
                reject(e);
            };
            const config: ConnectConfig = {
                host: spec.host,
                port,
                username: user,
                password: spec.password,
                privateKey: spec.privateKey,
                passphrase: spec.privateKeyPassword,
                agent: spec.agentSocketPath,
                sock,
                readyTimeout: perDialMs || 2 ** 31 - 1,
                keepaliveInterval: KEEPALIVE_INTERVAL_MS,
                keepaliveCountMax: KEEPALIVE_COUNT_MAX,
                hostVerifier: (blob: Buffer) => {
                    const key = presentedKey(blob);
                    fingerprint = key.fingerprint;
                    const verdict = verifyHostKey(
                        { host: spec.host, port, hostKey: spec.hostKey, knownHostsPath: spec.knownHostsPath, trustOnFirstUse: spec.trustOnFirstUse },
                        key,
                    );
                    if (!verdict.ok) hostKeyProblem = verdict.reason;
                    return verdict.ok;
                },
            };
            client.on("ready", () => {
                settled = true;
                countHandshake(key);
                const conn = new PooledConnection(key, target, client, user, fingerprint);
                client.on("error", (e: Error) => (conn.lostReason ??= e.message));
                if (pool.has(key)) pooled.set(key, conn);
                client.on("close", () => {
                    conn.closed = true;
                    // Not the entry of a successor dialled after this one was dropped (forget, closeAll).
                    if (pooled.get(key) === conn) {
                        pooled.delete(key);
                        pool.delete(key);
                    }
                });
                resolve(conn);
            });
            client.on("error", (e: Error & { level?: string }) => {
                if (hostKeyProblem) return fail(new OnpremError("HostKey", `refused to connect: ${hostKeyProblem}`, { host: target }));
                // Authentication failures will not get better by retrying; socket and timeout errors may.
                const kind = e.level === "client-authentication" ? "Permission" : "Connection";
                const what = kind === "Permission" ? "authentication failed" : "cannot connect";
                fail(new OnpremError(kind, `${what}: ${e.message}`, { host: target, cause: e }));
            });
            client.on("close", () => fail(new OnpremError("Connection", "connection closed during the handshake", { host: target })));
            try {
                if (sock) coalesceWrites(sock);
                else config.sock = sshSocket({ host: spec.host, port });
                client.connect(config);
            } catch (e) {
                config.sock?.destroy();
                fail(new OnpremError("InvalidArgument", `connection settings rejected: ${(e as Error).message}`, { host: target, cause: e }));
            }
        });
    })();
}

/** A TCP stream to host:port opened through the (pooled) jump host. */
async function forwardThrough(proxy: ConnectionSpec, host: string, port: number, target: string): Promise<Duplex> {
    const jump = await connect(proxy);
    return new Promise((resolve, reject) => {
        jump.client.forwardOut("127.0.0.1", 0, host, port, (err, stream) => {
            if (err) reject(new OnpremError("Connection", `jump host ${jump.target} cannot reach it: ${err.message}`, { host: target, cause: err }));
            else resolve(stream);
        });
    });
}
