/**
 * The files of a private Docker registry: distribution's config.yml, htpasswd and TLS files on the
 * registry host, and the CA and daemon.json entries on client hosts. Deterministic, no I/O; secrets
 * appear only as `{{secret:NAME}}` placeholders and their values are returned separately.
 */
import { Document, Scalar, YAMLSeq } from "yaml";
import { OnpremError } from "../../contract/errors";
import type { FileSpec } from "../../contract/desired";
import { placeholder } from "../../contract/secrets";
import { parseBareAddress } from "../../plan/keepalivedValidate";
import {
    DEFAULT_REGISTRY_PORT,
    DEFAULT_REGISTRY_STORAGE_PATH,
    DockerRegistrySpec,
    REGISTRY_SECRET_HTPASSWD,
    REGISTRY_SECRET_PROXY_PASSWORD,
    REGISTRY_SECRET_TLS_KEY,
    REGISTRY_SERVICE_USER,
    RegistryClientSpec,
    RegistryRuntime,
} from "../../plan/registry/model";
import { mergeDaemonJson } from "../docker/daemonJson";
import { MANAGED_HEADER } from "../managedHeader";

export const REGISTRY_CONFIG_DIR = "/etc/docker/registry";
export const REGISTRY_CONFIG_PATH = `${REGISTRY_CONFIG_DIR}/config.yml`;
export const REGISTRY_HTPASSWD_PATH = `${REGISTRY_CONFIG_DIR}/htpasswd`;
export const REGISTRY_CERT_PATH = `${REGISTRY_CONFIG_DIR}/registry.crt`;
export const REGISTRY_KEY_PATH = `${REGISTRY_CONFIG_DIR}/registry.key`;
/** The CA on the registry host itself, so the health check can verify the handshake as clients do. */
export const REGISTRY_CA_PATH = `${REGISTRY_CONFIG_DIR}/ca.crt`;
/** Where the registry:2 image keeps its data; the host's `storagePath` is mounted there. */
export const CONTAINER_STORAGE_PATH = "/var/lib/registry";
/** Port the registry listens on inside its container; dockerd publishes `address:port` onto it. */
export const CONTAINER_PORT = 5000;
export const DOCKER_CERTS_DIR = "/etc/docker/certs.d";
export const HTPASSWD_REALM = "registry";

/** Upstreams whose mirror dockerd uses: `registry-mirrors` only applies to Docker Hub pulls. */
const DOCKER_HUB_HOSTS = ["registry-1.docker.io", "index.docker.io", "docker.io", "registry.hub.docker.com"];

/** Where the registry process sees its files and what it listens on. */
export interface RegistryPaths {
    /** `storage.filesystem.rootdirectory`. */
    storage: string;
    /** `auth.htpasswd.path`. */
    htpasswd: string;
    /** `http.tls.certificate`. */
    certificate: string;
    /** `http.tls.key`. */
    key: string;
    /** `http.addr`: "10.0.0.5:5000", "[fd00::5]:5000" or ":5000". */
    addr: string;
}

/** The certificate side of TLS, all public; the key travels as the secret `registry_tls_key`. */
export interface RegistryTlsMaterial {
    /** The certificate the registry serves, PEM, with its intermediates after it if any. */
    certificate: string;
    /** The CA clients must trust (written to certs.d); undefined when hosts already trust the issuer. */
    caCertificate?: string;
}

/**
 * The registry's own view of its paths. "native": the host's paths. "container": the config directory
 * is mounted at the same path read-only, storage at the image's /var/lib/registry, and the process
 * listens on all addresses of its own network namespace (dockerd publishes the host address and port).
 */
export function registryPaths(spec: DockerRegistrySpec): RegistryPaths {
    const files = { htpasswd: REGISTRY_HTPASSWD_PATH, certificate: REGISTRY_CERT_PATH, key: REGISTRY_KEY_PATH };
    const runtime: RegistryRuntime = spec.runtime;
    switch (runtime) {
        case "native":
            return { ...files, storage: spec.storagePath ?? DEFAULT_REGISTRY_STORAGE_PATH, addr: hostPort(spec.address, spec.port ?? DEFAULT_REGISTRY_PORT) };
        case "container":
            return { ...files, storage: CONTAINER_STORAGE_PATH, addr: `:${CONTAINER_PORT}` };
        default:
            return assertNever(runtime);
    }
}

// ---------------------------------------------------------------------------------------------
// config.yml

/**
 * distribution 2.8's config.yml. Keys in a fixed order, 2-space indent, no line folding, the managed
 * header first, trailing newline. The proxy password is a double-quoted placeholder (see
 * `registrySecrets` for why its value is escaped).
 */
export function renderRegistryConfig(spec: DockerRegistrySpec, paths: RegistryPaths = registryPaths(spec)): string {
    const proxy = spec.proxy;
    const storage: Record<string, unknown> = {
        filesystem: { rootdirectory: paths.storage },
        delete: { enabled: spec.deleteEnabled === true },
    };
    // A blob descriptor cache in front of a pull-through cache can keep answering for blobs the cache
    // has already expired (distribution issue 1356); a plain registry gains from it.
    if (!proxy) storage.cache = { blobdescriptor: "inmemory" };

    const http: Record<string, unknown> = {
        addr: paths.addr,
        headers: { "X-Content-Type-Options": ["nosniff"] },
    };
    if (spec.tls.mode !== "off") http.tls = { certificate: paths.certificate, key: paths.key };

    const config: Record<string, unknown> = {
        version: 0.1,
        log: { level: "info", fields: { service: "registry" } },
        storage,
        http,
    };
    if ((spec.users ?? []).length > 0) config.auth = { htpasswd: { realm: HTPASSWD_REALM, path: paths.htpasswd } };
    if (proxy) {
        const p: Record<string, unknown> = { remoteurl: proxy.remoteUrl };
        if (proxy.username !== undefined) p.username = proxy.username;
        if (proxy.password !== undefined) p.password = placeholder(REGISTRY_SECRET_PROXY_PASSWORD);
        config.proxy = p;
    }
    config.health = { storagedriver: { enabled: true, interval: "10s", threshold: 3 } };

    const doc = new Document(config);
    const headers = doc.getIn(["http", "headers", "X-Content-Type-Options"], true);
    if (headers instanceof YAMLSeq) headers.flow = true; // the form the registry's own sample config uses
    const password = doc.getIn(["proxy", "password"], true);
    if (password instanceof Scalar) password.type = Scalar.QUOTE_DOUBLE;
    const body = doc.toString({ indent: 2, indentSeq: true, lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false });
    return `${MANAGED_HEADER}\n${body}`;
}

// ---------------------------------------------------------------------------------------------
// Registry host files and secrets

/**
 * The registry host's files: config.yml, plus htpasswd with users, plus certificate and key (and the
 * CA when there is one) with TLS. Secret files are one placeholder each. For the native runtime the
 * service user must read them, so they belong to it; in a container the registry runs as root.
 */
export function registryFiles(spec: DockerRegistrySpec, tlsMaterial?: RegistryTlsMaterial): FileSpec[] {
    const native = spec.runtime === "native";
    const readable = native ? { owner: "root", group: REGISTRY_SERVICE_USER, mode: "0640" } : { owner: "root", group: "root", mode: "0600" };
    const secret = native ? { owner: REGISTRY_SERVICE_USER, group: REGISTRY_SERVICE_USER, mode: "0600" } : { owner: "root", group: "root", mode: "0600" };

    // Readable by the service only: once filled in it may hold the proxy password.
    const files: FileSpec[] = [{ path: REGISTRY_CONFIG_PATH, content: renderRegistryConfig(spec), ...readable }];
    if ((spec.users ?? []).length > 0) {
        files.push({ path: REGISTRY_HTPASSWD_PATH, content: placeholder(REGISTRY_SECRET_HTPASSWD), ...secret });
    }
    if (spec.tls.mode !== "off") {
        if (!tlsMaterial) throw new OnpremError("Bug", `registry TLS is "${spec.tls.mode}" but no certificate was given to the renderer`);
        files.push({ path: REGISTRY_CERT_PATH, content: ensureNewline(tlsMaterial.certificate), mode: "0644", owner: "root", group: "root" });
        files.push({ path: REGISTRY_KEY_PATH, content: placeholder(REGISTRY_SECRET_TLS_KEY), ...secret });
        if (tlsMaterial.caCertificate !== undefined) {
            files.push({ path: REGISTRY_CA_PATH, content: ensureNewline(tlsMaterial.caCertificate), mode: "0644", owner: "root", group: "root" });
        }
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Secret values the registry host's files refer to. */
export interface RegistrySecretInputs {
    /** The whole htpasswd file (`htpasswdFile`), when there are users. */
    htpasswd?: string;
    /** The TLS private key in PEM, when TLS is on. */
    tlsKey?: string;
}

/**
 * Placeholder name -> value for `registryFiles`. The proxy password sits inside a double-quoted YAML
 * string, so its value is escaped for one (JSON string escapes are valid YAML escapes): a password with
 * `"`, `\` or a newline then still yields a config the registry parses to the exact password.
 */
export function registrySecrets(spec: DockerRegistrySpec, inputs: RegistrySecretInputs): Record<string, string> {
    const secrets: Record<string, string> = {};
    if ((spec.users ?? []).length > 0) {
        if (inputs.htpasswd === undefined) throw new OnpremError("Bug", "registry users are set but no htpasswd file was given");
        secrets[REGISTRY_SECRET_HTPASSWD] = inputs.htpasswd;
    }
    if (spec.tls.mode !== "off") {
        if (inputs.tlsKey === undefined) throw new OnpremError("Bug", `registry TLS is "${spec.tls.mode}" but no key was given`);
        secrets[REGISTRY_SECRET_TLS_KEY] = ensureNewline(inputs.tlsKey);
    }
    if (spec.proxy?.password !== undefined) {
        secrets[REGISTRY_SECRET_PROXY_PASSWORD] = JSON.stringify(spec.proxy.password).slice(1, -1);
    }
    return secrets;
}

// ---------------------------------------------------------------------------------------------
// Names clients use

/** The name clients use for the registry: the first hostname, else the address (undefined for a wildcard or none). */
export function registryHost(spec: DockerRegistrySpec): string | undefined {
    const first = spec.hostnames?.[0];
    if (first !== undefined) return first;
    const address = spec.address === undefined ? undefined : parseBareAddress(spec.address);
    return address && address.ip.value !== BigInt(0) ? address.bare : undefined;
}

/** Every "host:port" clients may use: one per hostname, then the address when it is specific. */
export function registryHostPorts(spec: DockerRegistrySpec): string[] {
    const port = spec.port ?? DEFAULT_REGISTRY_PORT;
    const hosts = [...(spec.hostnames ?? [])];
    const address = spec.address === undefined ? undefined : parseBareAddress(spec.address);
    if (address && address.ip.value !== BigInt(0) && !hosts.includes(address.bare)) hosts.push(address.bare);
    return hosts.map((h) => hostPort(h, port));
}

/** "https://registry.lab:5000" (or http:// when TLS is off): the registry's URL for outputs and mirrors. */
export function registryUrl(spec: DockerRegistrySpec): string {
    const host = registryHost(spec);
    if (host === undefined) throw new OnpremError("InvalidArgument", "`hostnames`: the registry has no name clients can use: set `hostnames` or a specific `address`");
    return `${spec.tls.mode === "off" ? "http" : "https"}://${hostPort(host, spec.port ?? DEFAULT_REGISTRY_PORT)}`;
}

/** "host:port", with an IPv6 address in brackets; ":port" without a host. */
export function hostPort(host: string | undefined, port: number): string {
    if (host === undefined) return `:${port}`;
    return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

// ---------------------------------------------------------------------------------------------
// Client hosts

/**
 * The CA for each name a client may use, in `/etc/docker/certs.d/<host:port>/ca.crt` (dockerd reads it
 * on every connection: no reload). Nothing when TLS is off or the issuer is already trusted (no CA).
 */
export function clientFiles(spec: DockerRegistrySpec, caPem: string | undefined, hostPorts: string | readonly string[]): FileSpec[] {
    if (spec.tls.mode === "off" || caPem === undefined) return [];
    const list = typeof hostPorts === "string" ? [hostPorts] : [...hostPorts];
    return [...new Set(list)].sort().map((hp) => {
        // The name becomes a directory: refuse anything that is not host:port before it reaches a path.
        if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/.test(hp) || hp.includes("..")) {
            throw new OnpremError("Bug", `${JSON.stringify(hp)} is not a registry host:port`);
        }
        return { path: `${DOCKER_CERTS_DIR}/${hp}/ca.crt`, content: ensureNewline(caPem), mode: "0644", owner: "root", group: "root" };
    });
}

/** The daemon.json entries one client owns: its own values inside the shared lists. */
export interface ClientDaemonEntries {
    "insecure-registries": string[];
    "registry-mirrors": string[];
}

const DAEMON_LIST_KEYS = ["insecure-registries", "registry-mirrors"] as const;

/**
 * What a client's daemon.json needs: every host:port in `insecure-registries` when TLS is off, and the
 * registry in `registry-mirrors` when it caches Docker Hub (dockerd uses mirrors for Docker Hub only;
 * a cache of another upstream is pulled from by name). Nothing for "certs-only" clients.
 */
export function clientDaemonEntries(spec: DockerRegistrySpec, client: RegistryClientSpec): ClientDaemonEntries {
    const entries: ClientDaemonEntries = { "insecure-registries": [], "registry-mirrors": [] };
    if (client.dockerConfig !== "daemon-json") return entries;
    if (spec.tls.mode === "off") entries["insecure-registries"] = registryHostPorts(spec);
    if (spec.proxy && isDockerHub(spec.proxy.remoteUrl)) entries["registry-mirrors"] = [registryUrl(spec)];
    return entries;
}

/**
 * The client's new daemon.json, or undefined when it owns nothing there now or before (so a
 * "certs-only" client gets no daemon.json). The two keys are lists other tools and users add to, so
 * this owns entries, not keys: entries of `previous` that are no longer wanted are removed, wanted ones
 * are appended if missing, everything else in the list stays; a list left empty is removed. Every other
 * key is kept through `mergeDaemonJson`. dockerd applies both keys on a reload (SIGHUP).
 */
export function mergeClientDaemonJson(
    current: string | undefined,
    entries: ClientDaemonEntries,
    previous?: ClientDaemonEntries,
): string | undefined {
    const touched = DAEMON_LIST_KEYS.some((k) => entries[k].length > 0 || (previous?.[k].length ?? 0) > 0);
    if (!touched) return undefined;
    const existing = readLists(current);
    const owned: Record<string, unknown> = {};
    for (const key of DAEMON_LIST_KEYS) {
        const wanted = entries[key];
        const dropped = new Set((previous?.[key] ?? []).filter((v) => !wanted.includes(v)));
        if (wanted.length === 0 && dropped.size === 0) continue; // not ours to touch
        const kept = (existing[key] ?? []).filter((v) => !dropped.has(v));
        const merged = [...kept, ...wanted.filter((v) => !kept.includes(v))];
        owned[key] = merged.length > 0 ? merged : undefined;
    }
    return mergeDaemonJson(current, owned, []);
}

/** The two list keys of an existing daemon.json; a key that is not a list of strings is an error, never overwritten. */
function readLists(current: string | undefined): Partial<Record<(typeof DAEMON_LIST_KEYS)[number], string[]>> {
    // mergeDaemonJson reports unreadable JSON with its own message; parse leniently here and let it.
    let parsed: unknown;
    try {
        parsed = current === undefined || current.trim() === "" ? {} : JSON.parse(current);
    } catch {
        return {};
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const out: Partial<Record<(typeof DAEMON_LIST_KEYS)[number], string[]>> = {};
    for (const key of DAEMON_LIST_KEYS) {
        const value = (parsed as Record<string, unknown>)[key];
        if (value === undefined) continue;
        if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
            throw new OnpremError("Validation", `\`/etc/docker/daemon.json\`: ${JSON.stringify(key)} is not a list of strings; fix it so pulumi-onprem can add its entry`);
        }
        out[key] = value;
    }
    return out;
}

function isDockerHub(remoteUrl: string): boolean {
    try {
        return DOCKER_HUB_HOSTS.includes(new URL(remoteUrl).hostname.toLowerCase());
    } catch {
        return false;
    }
}

function ensureNewline(text: string): string {
    return text.endsWith("\n") ? text : `${text}\n`;
}

function assertNever(value: never): never {
    throw new OnpremError("Bug", `unexpected value ${JSON.stringify(value)}`);
}
