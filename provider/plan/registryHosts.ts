/**
 * What each host of a private registry gets, in the terms of a `HostConfig`: the registry host's files,
 * package, service or container, storage directory and health check; each client's CA files and
 * daemon.json keys. Pure: the SDK renders these in the program, so previews show them.
 */
import { createHash } from "crypto";
import { OnpremError } from "../contract/errors";
import type { CommandSpec, FileSpec, PackageSpec, ServiceSpec, StateSpec } from "../contract/desired";
import { DAEMON_JSON_VALIDATOR } from "../render/docker/daemonJson";
import { shellQuote as q } from "../contract/shell";
import { renderJsonKeys } from "../contract/jsonKeys";
import {
    CONTAINER_PORT,
    CONTAINER_STORAGE_PATH,
    REGISTRY_CA_PATH,
    REGISTRY_CONFIG_DIR,
    RegistryTlsMaterial,
    clientDaemonEntries,
    clientFiles,
    hostPort,
    registryFiles,
    registryHost,
    registryHostPorts,
    registryUrl,
} from "../render/registryConfig";
import { parseBareAddress } from "./keepalivedValidate";
import {
    DEFAULT_REGISTRY_IMAGE,
    DEFAULT_REGISTRY_PORT,
    DEFAULT_REGISTRY_STORAGE_PATH,
    DockerRegistrySpec,
    REGISTRY_SERVICE_USER,
    RegistryClientSpec,
} from "./registryModel";
import { DAEMON_JSON_PATH } from "../render/docker/daemonJson";

export { DAEMON_JSON_PATH } from "../render/docker/daemonJson";

export const REGISTRY_SERVICE = "docker-registry";
/** The container's name under the "container" runtime. */
export const REGISTRY_CONTAINER = "pulumi-onprem-registry";
/** Left in a storage directory the resource created: only such a directory is ever deleted. */
export const STORAGE_CREATED_MARKER = ".pulumi-onprem-created";
/** The registry needs a moment to listen after a (re)start: 40 x 250 ms. */
const HEALTH_ATTEMPTS = 40;
const HEALTH_INTERVAL_MS = 250;

/** One host's share, as `HostConfig` takes it. */
export interface RegistryHostWork {
    files: FileSpec[];
    packages: PackageSpec[];
    services: ServiceSpec[];
    states: StateSpec[];
    validators: CommandSpec[];
    verifiers: CommandSpec[];
}

/**
 * The registry host: its files (`registryFiles`), the storage directory owned by the user the registry
 * runs as, the service (native: restarted on change, as Debian's init script has no reload) or the
 * container (run again when its config changes; `configDigest` names the files' content, secrets
 * included), and `GET /v2/` answering as it should.
 */
export function registryHostWork(spec: DockerRegistrySpec, tls: RegistryTlsMaterial | undefined, configDigest: string): RegistryHostWork {
    const files = registryFiles(spec, tls);
    const storage = spec.storagePath ?? DEFAULT_REGISTRY_STORAGE_PATH;
    const native = spec.runtime === "native";
    const states = [storageState(storage, native ? REGISTRY_SERVICE_USER : "root", spec.retainDataOnDelete !== false)];
    if (!native) states.push(containerState(spec, storage, configDigest));
    return {
        files,
        packages: native ? [{ name: REGISTRY_SERVICE }, { name: "curl" }] : [{ name: "curl" }],
        services: native ? [{ name: REGISTRY_SERVICE, onChange: "restart", state: "running", enabled: true }] : [],
        states,
        validators: native ? [] : [{ description: "docker is installed (container runtime)", command: "command -v docker >/dev/null || { echo 'docker not found: the container runtime needs dockerd on the registry host'; exit 1; }" }],
        verifiers: [healthCheck(spec, tls)],
    };
}

/** The storage directory, created if missing (with a marker saying so) and owned by the registry's user. */
function storageState(path: string, owner: string, retain: boolean): StateSpec {
    const marker = `${path}/${STORAGE_CREATED_MARKER}`;
    return {
        name: `registry storage ${path}`,
        read: `stat -c %U ${q(path)} 2>/dev/null || echo absent`,
        expected: owner,
        apply: `if [ ! -e ${q(path)} ]; then mkdir -p ${q(path)} && chmod 750 ${q(path)} && : > ${q(marker)}; fi; chown -R ${q(`${owner}:${owner}`)} ${q(path)}`,
        // Images are user data: kept, unless asked otherwise, and then only in a directory this resource created.
        remove: retain ? "true" : `if [ -e ${q(marker)} ]; then rm -rf ${q(path)}; fi`,
    };
}

/** The registry:2 container with the seed's shape: --restart=always, storage as a volume; the config directory read-only. */
function containerState(spec: DockerRegistrySpec, storage: string, configDigest: string): StateSpec {
    const image = spec.image ?? DEFAULT_REGISTRY_IMAGE;
    const port = spec.port ?? DEFAULT_REGISTRY_PORT;
    const address = spec.address === undefined ? undefined : parseBareAddress(spec.address)?.bare;
    const publish = address === undefined ? `${port}:${CONTAINER_PORT}` : `${hostPort(address, port)}:${CONTAINER_PORT}`;
    const name = REGISTRY_CONTAINER;
    const run = [
        "docker run -d",
        `--name ${name}`,
        "--restart=always",
        `--label pulumi-onprem.config=${configDigest}`,
        `-p ${q(publish)}`,
        `-v ${q(`${storage}:${CONTAINER_STORAGE_PATH}`)}`,
        `-v ${q(`${REGISTRY_CONFIG_DIR}:${REGISTRY_CONFIG_DIR}:ro`)}`,
        q(image),
    ].join(" ");
    return {
        name: `registry container ${name}`,
        read: `docker inspect -f '{{.Config.Image}} {{.HostConfig.RestartPolicy.Name}} {{index .Config.Labels "pulumi-onprem.config"}} {{.State.Running}}' ${name} 2>/dev/null || echo absent`,
        expected: `${image} always ${configDigest} true`,
        apply: `docker rm -f ${name} >/dev/null 2>&1; ${run} >/dev/null`,
        remove: `docker rm -f ${name} >/dev/null 2>&1 || true`,
    };
}

/** The digest of the registry host's files with secrets filled in: a changed password or key changes it. */
export function registryConfigDigest(files: readonly FileSpec[], secrets: Readonly<Record<string, string>>): string {
    const text = JSON.stringify({ files: files.map((f) => [f.path, f.content]), secrets: Object.entries(secrets).sort() });
    return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/**
 * `GET /v2/` on the registry host, by the registry's own name (so the certificate is checked against it)
 * but connected to the listen address: 401 with users, 200 without. A generated certificate is verified
 * with its CA; a provided one is not (its issuer may be trusted only by clients).
 */
function healthCheck(spec: DockerRegistrySpec, tls: RegistryTlsMaterial | undefined): CommandSpec {
    const port = spec.port ?? DEFAULT_REGISTRY_PORT;
    const listen = spec.address === undefined ? undefined : parseBareAddress(spec.address);
    const target = listen && listen.ip.value !== BigInt(0) ? listen.bare : "127.0.0.1";
    const expected = (spec.users ?? []).length > 0 ? "401" : "200";
    const url = `${registryUrl(spec)}/v2/`;
    const trust = spec.tls.mode === "off" ? [] : tls?.caCertificate !== undefined ? ["--cacert", REGISTRY_CA_PATH] : ["--insecure"];
    const curl = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", ...trust, "--connect-to", `::${hostPort(target, port)}`, url].map(q).join(" ");
    return {
        description: `the registry answers GET /v2/ with ${expected}`,
        command: `code=$(${curl}); [ "$code" = ${expected} ] || { echo "GET ${url} answered \${code:-nothing}, expected ${expected}"; exit 1; }`,
        attempts: HEALTH_ATTEMPTS,
        intervalMs: HEALTH_INTERVAL_MS,
    };
}

/**
 * A client host: the CA for every name of the registry in certs.d (read by dockerd on each connection),
 * and, for "daemon-json" clients that need them, the registry's daemon.json keys merged beside the
 * host's own, validated by dockerd and applied with a reload (SIGHUP) where dockerd runs.
 */
export function registryClientWork(spec: DockerRegistrySpec, client: RegistryClientSpec, caPem: string | undefined): RegistryHostWork {
    if (registryHost(spec) === undefined) throw new OnpremError("Bug", "registry clients need a registry name; validation should have said so");
    const files = clientFiles(spec, caPem, registryHostPorts(spec));
    const entries = clientDaemonEntries(spec, client);
    const owned = Object.fromEntries(Object.entries(entries).filter(([, list]) => list.length > 0));
    const services: ServiceSpec[] = [];
    const validators: CommandSpec[] = [];
    if (Object.keys(owned).length > 0) {
        files.push({ path: DAEMON_JSON_PATH, content: renderJsonKeys(owned), merge: "json-keys", mode: "0644" });
        services.push({ name: "docker", onChange: "reload", onlyIfRunning: true, watch: [DAEMON_JSON_PATH] });
        validators.push(DAEMON_JSON_VALIDATOR);
    }
    return { files, packages: [], services, states: [], validators, verifiers: [] };
}
