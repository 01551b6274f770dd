import { hasControlChars, hostPathProblem, isHostName, portProblem } from "../../contract/inputRules";
import { type Issue, type Parsed, quoted as q } from "../../contract/issue";
import { parseIp } from "../../model/address";
import type { DockerRegistryInput } from "./args";
import { isWildcard } from "./plan";
import {
    DEFAULT_GC_SCHEDULE,
    DEFAULT_REGISTRY_IMAGE,
    DEFAULT_REGISTRY_PORT,
    DEFAULT_REGISTRY_STORAGE_PATH,
    MAX_BCRYPT_PASSWORD_BYTES,
    MAX_REGISTRY_CERT_VALIDITY_DAYS,
    ParsedRegistry,
    RegistryDraft,
} from "./model";
import { validateGc } from "./validateGc";
import { validateProvidedTls } from "./validateTls";

/*
 * Parses a registry's input before anything connects: every broken rule, or the registry with its
 * defaults applied. Each issue names its field; the message starts with that field in backticks and
 * never holds a secret (passwords and keys are only ever described, not quoted). Rules follow
 * distribution 2.8 (Debian's docker-registry 2.8.2).
 */

type Add = (field: string, rule: string) => void;

const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);

// ---------------------------------------------------------------------------------------------
// Token rules

// The reference grammar of distribution (docker/reference), written out piece by piece.
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
const MAX_IMAGE_NAME_LENGTH = 255;

/** An image reference as docker accepts it: `[registry[:port]/]path[:tag][@digest]`, lower-case path. */
export function isImageReference(text: unknown): boolean {
    if (typeof text !== "string" || !IMAGE_REFERENCE.test(text)) return false;
    const name = text.replace(/@.*$/, "").replace(/:[\w][\w.-]*$/, "");
    return name.length <= MAX_IMAGE_NAME_LENGTH;
}

// ---------------------------------------------------------------------------------------------

/**
 * Every rule violation in a registry's input, or, with none, the registry every default applied: what
 * is rendered and applied. `now` decides whether a provided certificate has expired.
 */
export function parseRegistry(input: DockerRegistryInput, now: Date = new Date()): Parsed<ParsedRegistry> {
    const issues: Issue[] = [];
    const add: Add = (field, rule) => issues.push({ field, message: `\`${field}\`: ${rule}` });
    // The defaults that decide which rules apply come first.
    const spec: RegistryDraft = {
        ...input,
        runtime: input.runtime ?? "native",
        tls: input.tls ?? { mode: "generated" },
        clients: (input.clients ?? []).map((c) => ({ name: c.name, dockerConfig: c.dockerConfig ?? "daemon-json" })),
    };

    validateRuntime(spec, add);
    validateListener(spec, add);
    validateHostnames(spec, add);
    validateTls(spec, add, now);
    validateUsers(spec, add);
    validateProxy(spec, add);
    validateClients(spec, add);
    validateGc(spec, add);
    if (spec.portCheck !== undefined && spec.portCheck !== "firstUp" && spec.portCheck !== "never") add("portCheck", `${q(spec.portCheck)} is not "firstUp" or "never"`);
    if (issues.length > 0) return { ok: false, issues };
    const gc = spec.garbageCollection;
    return {
        ok: true,
        value: {
            runtime: spec.runtime,
            image: spec.image ?? DEFAULT_REGISTRY_IMAGE,
            storagePath: spec.storagePath ?? DEFAULT_REGISTRY_STORAGE_PATH,
            address: spec.address,
            port: spec.port ?? DEFAULT_REGISTRY_PORT,
            hostnames: spec.hostnames ?? [],
            tls: spec.tls,
            users: spec.users ?? [],
            deleteEnabled: spec.deleteEnabled ?? false,
            proxy: spec.proxy,
            clients: spec.clients,
            retainDataOnDelete: spec.retainDataOnDelete ?? true,
            garbageCollection: gc && { schedule: gc.schedule ?? DEFAULT_GC_SCHEDULE, deleteUntagged: gc.deleteUntagged ?? false, trigger: gc.trigger },
            portCheck: spec.portCheck ?? "firstUp",
        },
    };
}

function validateRuntime(spec: RegistryDraft, add: Add): void {
    if (spec.runtime !== "native" && spec.runtime !== "container") {
        add("runtime", `${q(spec.runtime)} is not "native" or "container"`);
    }
    if (spec.image !== undefined) {
        if (spec.runtime === "native") {
            add("image", 'is only used by the "container" runtime; the "native" runtime runs the docker-registry package');
        } else if (!isImageReference(spec.image)) {
            add("image", `${q(spec.image)} is not an image reference like "registry:2" or "mirror.example:5000/library/registry:2.8"`);
        }
    }
    if (spec.storagePath !== undefined) {
        const p = spec.storagePath;
        const problem = hostPathProblem(p);
        if (/^\/+$/.test(p)) {
            add("storagePath", 'is "/": the registry would own the whole file system; use a directory such as "/opt/data/registry"');
        } else if (problem) {
            add("storagePath", problem);
        } else if (/\s/.test(p) || p.includes(":")) {
            add("storagePath", `${q(p)} holds whitespace or ":" (it is also a volume mount for the container runtime)`);
        }
    }
}

function validateListener(spec: RegistryDraft, add: Add): void {
    const portRule = spec.port === undefined ? undefined : portProblem(spec.port);
    if (portRule) add("port", portRule);
    if (spec.address !== undefined && !parseIp(spec.address)) {
        add("address", `${q(spec.address)} is not a bare IP address (no prefix); leave it unset to listen on all addresses`);
    }
}

function validateHostnames(spec: RegistryDraft, add: Add): void {
    const seen = new Map<string, number>();
    (spec.hostnames ?? []).forEach((name, i) => {
        if (!isHostName(name)) {
            add(`hostnames[${i}]`, `${q(name)} is neither a DNS name nor an IP address`);
            return;
        }
        const key = parseIp(name)?.address ?? name.toLowerCase();
        if (seen.has(key)) add(`hostnames[${i}]`, `${q(name)} is already hostnames[${seen.get(key)}]`);
        else seen.set(key, i);
    });
}

/** Whether clients have a name to reach the registry by: a hostname, or an address that is not a wildcard. */
function hasReachableName(spec: RegistryDraft): boolean {
    if ((spec.hostnames ?? []).length > 0) return true;
    const address = parseIp(spec.address);
    return address !== undefined && !isWildcard(address);
}

function validateTls(spec: RegistryDraft, add: Add, now: Date): void {
    const tls = spec.tls as RegistryDraft["tls"] | undefined;
    if (!tls || typeof tls !== "object") {
        add("tls", 'is required: { mode: "generated" }, { mode: "provided", certificate, key } or { mode: "off", insecure: true }');
        return;
    }
    switch (tls.mode) {
        case "generated":
            if (tls.validityDays !== undefined && !(isInt(tls.validityDays) && tls.validityDays >= 1 && tls.validityDays <= MAX_REGISTRY_CERT_VALIDITY_DAYS)) {
                add("tls.validityDays", `${q(tls.validityDays)} is not a whole number of days in 1-${MAX_REGISTRY_CERT_VALIDITY_DAYS}`);
            }
            if (!hasReachableName(spec)) {
                add("hostnames", "is empty and `address` is unset or a wildcard: a generated certificate needs at least one name or address for its SANs");
            }
            return;
        case "provided":
            validateProvidedTls(spec, tls.certificate, tls.key, add, now);
            return;
        case "off":
            if ((tls as { insecure?: unknown }).insecure !== true) {
                add("tls.insecure", 'must be true to turn TLS off: images and credentials would cross the network in clear text; use { mode: "generated" } instead');
            }
            return;
        default:
            add("tls.mode", `${q((tls as { mode?: unknown }).mode)} is not "generated", "provided" or "off"`);
    }
}

function validateUsers(spec: RegistryDraft, add: Add): void {
    const users = spec.users ?? [];
    const names = new Map<string, number>();
    users.forEach((user, i) => {
        const at = `users[${i}]`;
        const name = user.name;
        if (typeof name !== "string" || name === "") {
            add(`${at}.name`, "is empty");
        } else if (name.includes(":")) {
            add(`${at}.name`, `${q(name)} holds ":", which ends the name in htpasswd and in HTTP basic auth`);
        } else if (name.startsWith("#")) {
            add(`${at}.name`, `${q(name)} starts with "#", which makes its htpasswd line a comment`);
        } else if (/\s/.test(name) || hasControlChars(name)) {
            add(`${at}.name`, `${q(name)} holds whitespace or control characters`);
        } else if (names.has(name)) {
            add(`${at}.name`, `${q(name)} is already users[${names.get(name)}]`);
        } else {
            names.set(name, i);
        }
        if (typeof user.password !== "string" || user.password === "") {
            add(`${at}.password`, "is empty");
        } else if (Buffer.byteLength(user.password, "utf8") > MAX_BCRYPT_PASSWORD_BYTES) {
            add(`${at}.password`, `is longer than ${MAX_BCRYPT_PASSWORD_BYTES} bytes, the most bcrypt reads`);
        }
    });
    // Basic auth sends the password with every request: over plain HTTP anyone on the path reads it.
    // `insecure: true` accepts unencrypted images, not leaked passwords, so this stays an error.
    if (users.length > 0 && spec.tls?.mode === "off") {
        add("users", 'need TLS: basic auth would send every password in clear text over HTTP; use tls { mode: "generated" } or drop the users');
    }
}

function validateProxy(spec: RegistryDraft, add: Add): void {
    const proxy = spec.proxy;
    if (!proxy) return;
    let url: URL | undefined;
    try {
        url = typeof proxy.remoteUrl === "string" ? new URL(proxy.remoteUrl) : undefined;
    } catch {
        url = undefined;
    }
    if (!url) {
        add("proxy.remoteUrl", `${q(proxy.remoteUrl)} is not a URL`);
    } else if (url.protocol !== "https:") {
        add("proxy.remoteUrl", `${q(proxy.remoteUrl)} is not an https URL`);
    } else if (url.username || url.password) {
        add("proxy.remoteUrl", "holds credentials: use `proxy.username` and `proxy.password` (a secret)");
    } else if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
        add("proxy.remoteUrl", `${q(proxy.remoteUrl)} has a path, query or fragment; give the registry's base URL, e.g. "https://registry-1.docker.io"`);
    }
    if (proxy.username !== undefined && (proxy.username === "" || hasControlChars(proxy.username))) {
        add("proxy.username", "is empty or holds control characters");
    }
    if (proxy.password !== undefined && proxy.username === undefined) {
        add("proxy.password", "is set without `proxy.username`");
    } else if (proxy.username !== undefined && (proxy.password === undefined || proxy.password === "")) {
        add("proxy.password", "is empty; the upstream account needs its password or token");
    }
    // distribution 2.8's pull-through stores answer DELETE with UNSUPPORTED whatever storage.delete says;
    // the cache expires content itself.
    if (spec.deleteEnabled === true) {
        add("deleteEnabled", "has no effect on a pull-through cache (`proxy`): distribution refuses deletes there and expires cached content itself");
    }
}

function validateClients(spec: RegistryDraft, add: Add): void {
    const clients = spec.clients;
    const names = new Map<string, number>();
    clients.forEach((client, i) => {
        const at = `clients[${i}]`;
        if (typeof client.name !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(client.name)) {
            add(`${at}.name`, `${q(client.name)} is not a valid name (letters, digits, _ . -; at most 64)`);
        } else if (names.has(client.name)) {
            add(`${at}.name`, `${q(client.name)} is already clients[${names.get(client.name)}]`);
        } else {
            names.set(client.name, i);
        }
        if (client.dockerConfig !== "daemon-json" && client.dockerConfig !== "certs-only") {
            add(`${at}.dockerConfig`, `${q(client.dockerConfig)} is not "daemon-json" or "certs-only"`);
        } else if (client.dockerConfig === "certs-only" && spec.tls?.mode === "off") {
            add(`${at}.dockerConfig`, 'is "certs-only" but TLS is off: the daemon refuses plain HTTP unless `insecure-registries` lists the registry ("daemon-json")');
        }
    });
    if (clients.length > 0 && !hasReachableName(spec)) {
        add("clients", "need a name for the registry: set `hostnames` or a specific `address`");
    }
}
