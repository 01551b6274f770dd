/**
 * What each host of a private registry gets, in the terms of a `HostConfig`: the registry host's files,
 * package, service or container, storage directory and health check; each client's CA files and
 * daemon.json keys. Pure: the SDK renders these in the program, so previews show them. The only place
 * that builds the registry's file, service, state and command specs.
 */
import { createHash, createHmac } from "node:crypto";
import type { CommandSpec, FileSpec, PackageSpec, ServiceSpec, StateSpec } from "../contract/desired";
import { OnpremError } from "../contract/errors";
import { placeholder } from "../contract/secrets";
import { shellQuote as q } from "../contract/shell";
import { hostPort, parseIp } from "../model/address";
import {
    CONTAINER_PORT,
    CONTAINER_STORAGE_PATH,
    DOCKER_CERTS_DIR,
    GC_LOG_PATH,
    GC_SCHEDULE_NONE,
    GC_SCRIPT_PATH,
    GC_SERVICE_PATH,
    GC_TIMER_PATH,
    GC_UNIT,
    REGISTRY_CA_PATH,
    REGISTRY_CERT_PATH,
    REGISTRY_CONFIG_DIR,
    REGISTRY_CONFIG_PATH,
    REGISTRY_HTPASSWD_PATH,
    REGISTRY_KEY_PATH,
    REGISTRY_READONLY_CONFIG_PATH,
    REGISTRY_SECRET_HTPASSWD,
    REGISTRY_SECRET_PROXY_PASSWORD,
    REGISTRY_SECRET_TLS_KEY,
    REGISTRY_SERVICE_USER,
    ParsedRegistry,
    RegistryClient,
} from "../plan/registry/model";
import { clientDaemonEntries, isWildcard, registryHost, registryHostPorts } from "../plan/registry/plan";
import { DAEMON_JSON_PATH, DAEMON_JSON_VALIDATOR } from "../render/docker/daemonJson";
import { renderClientDaemonJson } from "../render/registry/clientDaemonJson";
import { proxyPasswordValue, REGISTRY_STOP_SECONDS, renderRegistryConfig } from "../render/registry/configYml";
import { GcRuntime, renderGcScript } from "../render/registry/gcScript";
import { renderGcService, renderGcTimer } from "../render/registry/gcUnits";
import { adoptionState } from "../render/registry/adoptedContainer";
import { portHolderProbe } from "../render/registry/portHolder";
import { renderRestartDropIn, restartDropInPath } from "../render/systemd/restartDropIn";
import { CURL_PACKAGE, DOCKER_ENGINE_PACKAGE, REGISTRY_PACKAGE } from "./packages";

const REGISTRY_SERVICE = "docker-registry";
/** Debian's registry binary (the package's unit runs `docker-registry serve <config>`). */
const REGISTRY_BINARY = "/usr/bin/docker-registry";
/** Where a run from `pulumi up` records its trigger, so the same trigger never runs twice. */
const GC_TRIGGER_RECORD = "/var/lib/pulumi-onprem/registry-gc.trigger";
/** The container's name under the "container" runtime. */
const REGISTRY_CONTAINER = "pulumi-onprem-registry";
/** Left in a storage directory the resource created: only such a directory is ever deleted. */
const STORAGE_CREATED_MARKER = ".pulumi-onprem-created";
/** docker-registry.service's restart-after-a-crash drop-in (the container has `--restart=always`). */
export const REGISTRY_RESTART_DROPIN_PATH = restartDropInPath(`${REGISTRY_SERVICE}.service`);
/** The registry needs a moment to listen after a (re)start: 40 x 250 ms. */
const HEALTH_ATTEMPTS = 40;
const HEALTH_INTERVAL_MS = 250;

/** The certificate side of TLS, all public; the key travels as the secret `registry_tls_key`. */
export interface RegistryTlsMaterial {
    /** The certificate the registry serves, PEM, with its intermediates after it if any. */
    certificate: string;
    /** The CA clients must trust (written to certs.d); undefined when hosts already trust the issuer. */
    caCertificate?: string;
}

/** One host's share, as `HostConfig` takes it. */
export interface RegistryHostWork {
    files: FileSpec[];
    packages: PackageSpec[];
    services: ServiceSpec[];
    states: StateSpec[];
    validators: CommandSpec[];
    verifiers: CommandSpec[];
    /** Read-only, before the first change (at preview too): nothing else holds the registry's port. */
    probes: CommandSpec[];
}

// ---------------------------------------------------------------------------------------------
// The registry host

/**
 * The registry host's files: config.yml, plus htpasswd with users, plus certificate and key (and the
 * CA when there is one) with TLS. Secret files are one placeholder each. For the native runtime the
 * service user must read them, so they belong to it; in a container the registry runs as root.
 */
export function registryFiles(spec: ParsedRegistry, tlsMaterial?: RegistryTlsMaterial): FileSpec[] {
    const native = spec.runtime === "native";
    const readable = native ? { owner: "root", group: REGISTRY_SERVICE_USER, mode: "0640" } : { owner: "root", group: "root", mode: "0600" };
    const secret = native ? { owner: REGISTRY_SERVICE_USER, group: REGISTRY_SERVICE_USER, mode: "0600" } : { owner: "root", group: "root", mode: "0600" };
    const pub = { mode: "0644", owner: "root", group: "root" };

    // Readable by the service only: once filled in it may hold the proxy password.
    const files: FileSpec[] = [{ path: REGISTRY_CONFIG_PATH, content: renderRegistryConfig(spec), ...readable }];
    if (spec.users.length > 0) files.push({ path: REGISTRY_HTPASSWD_PATH, content: placeholder(REGISTRY_SECRET_HTPASSWD), ...secret });
    if (spec.tls.mode !== "off") {
        if (!tlsMaterial) throw new OnpremError("Bug", `registry TLS is "${spec.tls.mode}" but no certificate was given to the renderer`);
        files.push({ path: REGISTRY_CERT_PATH, content: ensureNewline(tlsMaterial.certificate), ...pub });
        files.push({ path: REGISTRY_KEY_PATH, content: placeholder(REGISTRY_SECRET_TLS_KEY), ...secret });
        if (tlsMaterial.caCertificate !== undefined) files.push({ path: REGISTRY_CA_PATH, content: ensureNewline(tlsMaterial.caCertificate), ...pub });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Every file of the registry host, as `files` shows them: the registry's own (`registryFiles`), with the
 * native runtime the restart drop-in, and garbage collection's.
 */
export function registryHostFiles(spec: ParsedRegistry, tlsMaterial?: RegistryTlsMaterial): FileSpec[] {
    const restart: FileSpec[] =
        spec.runtime === "native" ? [{ path: REGISTRY_RESTART_DROPIN_PATH, content: renderRestartDropIn(), mode: "0644", owner: "root", group: "root" }] : [];
    return [...registryFiles(spec, tlsMaterial), ...restart, ...registryGcWork(spec, tlsMaterial).files];
}

/** Secret values the registry host's files refer to. */
export interface RegistrySecretInputs {
    /** The whole htpasswd file (derived), when there are users. */
    htpasswd?: string;
    /** The TLS private key in PEM, when TLS is on. */
    tlsKey?: string;
}

/** Placeholder name -> value for `registryFiles`. */
export function registrySecrets(spec: ParsedRegistry, inputs: RegistrySecretInputs): Record<string, string> {
    const secrets: Record<string, string> = {};
    if (spec.users.length > 0) {
        if (inputs.htpasswd === undefined) throw new OnpremError("Bug", "registry users are set but no htpasswd file was given");
        secrets[REGISTRY_SECRET_HTPASSWD] = inputs.htpasswd;
    }
    if (spec.tls.mode !== "off") {
        if (inputs.tlsKey === undefined) throw new OnpremError("Bug", `registry TLS is "${spec.tls.mode}" but no key was given`);
        secrets[REGISTRY_SECRET_TLS_KEY] = ensureNewline(inputs.tlsKey);
    }
    if (spec.proxy?.password !== undefined) secrets[REGISTRY_SECRET_PROXY_PASSWORD] = proxyPasswordValue(spec.proxy.password);
    return secrets;
}

/**
 * Names the registry host's files with their secrets filled in, for the container's label: a changed
 * password or key runs the container again. An HMAC under `key`, a random secret kept in state: the
 * label and the state show the digest, and without the key no guess at a password can be checked
 * against it (a plain hash of the text would let anyone try a dictionary on a weak proxy password).
 */
export function configDigest(files: readonly FileSpec[], secrets: Readonly<Record<string, string>>, key: string): string {
    const text = JSON.stringify({ files: files.map((f) => [f.path, f.content]), secrets: Object.entries(secrets).sort() });
    return createHmac("sha256", key).update(text).digest("hex").slice(0, 32);
}

/**
 * The registry host: its files (`registryHostFiles`), the storage directory owned by the user the registry
 * runs as, the service (native: restarted on change, as Debian's init script has no reload) or the
 * container (run again when `configDigest` changes), and `GET /v2/` answering as it should.
 */
export function registryHostWork(spec: ParsedRegistry, tls: RegistryTlsMaterial | undefined, digest: string): RegistryHostWork {
    const storage = spec.storagePath;
    const native = spec.runtime === "native";
    // The adoption runs after the storage is ready and before this registry starts (states run before services).
    const states = [storageState(storage, native ? REGISTRY_SERVICE_USER : "root", spec.retainDataOnDelete), adoptionState({ port: spec.port, storage, container: REGISTRY_CONTAINER })];
    if (!native) states.push(containerState(spec, storage, digest));
    const gc = registryGcWork(spec, tls);
    return {
        files: registryHostFiles(spec, tls),
        packages: native ? [REGISTRY_PACKAGE, CURL_PACKAGE] : [DOCKER_ENGINE_PACKAGE, CURL_PACKAGE],
        // Only the registry's own files restart it: a new drop-in (systemd's daemon-reload after the swap
        // applies it), schedule or job restarts nothing.
        services: native ? [{ name: REGISTRY_SERVICE, onChange: "restart", watch: registryFiles(spec, tls).map((f) => f.path), state: "running", enabled: true }] : [],
        states: [...states, ...gc.states],
        validators: [
            ...(native ? [] : [{ description: "docker is installed (container runtime)", command: "command -v docker >/dev/null || { echo 'docker not found: the container runtime needs dockerd on the registry host'; exit 1; }" }]),
            ...gc.validators,
        ],
        verifiers: [healthCheck(spec, tls)],
        probes: spec.portCheck === "never" ? [] : [portHolderProbe({ port: spec.port, address: parseIp(spec.address)?.address, service: REGISTRY_SERVICE, container: REGISTRY_CONTAINER, storage })],
    };
}

/** The garbage collection's share of the registry host (see `registryGcWork`). */
interface RegistryGcWork {
    files: FileSpec[];
    states: StateSpec[];
    validators: CommandSpec[];
}

/**
 * Garbage collection: the job script and the read-only config it serves meanwhile; with a schedule, a
 * systemd service and timer, enabled and started as a live state; with a trigger, one run of the job
 * whenever the trigger changes (a live state whose value is the last trigger run). Nothing without
 * `garbageCollection`.
 */
function registryGcWork(spec: ParsedRegistry, tls: RegistryTlsMaterial | undefined): RegistryGcWork {
    const gc = spec.garbageCollection;
    if (gc === undefined) return { files: [], states: [], validators: [] };
    const native = spec.runtime === "native";
    const storage = spec.storagePath;
    const readable = native ? { owner: "root", group: REGISTRY_SERVICE_USER, mode: "0640" } : { owner: "root", group: "root", mode: "0600" };
    const runtime: GcRuntime = native
        ? { kind: "native", service: REGISTRY_SERVICE, user: REGISTRY_SERVICE_USER, binary: REGISTRY_BINARY }
        : { kind: "container", name: REGISTRY_CONTAINER, image: spec.image, run: (label, config) => containerRun(spec, storage, label, config), stop: containerStop(), mounts: containerMounts(storage) };
    const script = renderGcScript({
        storage,
        config: REGISTRY_CONFIG_PATH,
        readOnlyConfig: REGISTRY_READONLY_CONFIG_PATH,
        deleteUntagged: gc.deleteUntagged,
        health: healthCheck(spec, tls).command,
        log: GC_LOG_PATH,
        runtime,
    });
    const files: FileSpec[] = [
        { path: REGISTRY_READONLY_CONFIG_PATH, content: renderRegistryConfig(spec, undefined, { readOnly: true }), ...readable },
        { path: GC_SCRIPT_PATH, content: script, mode: "0755", owner: "root", group: "root" },
    ];
    const states: StateSpec[] = [];
    const validators: CommandSpec[] = [];
    const schedule = gc.schedule;
    if (schedule !== GC_SCHEDULE_NONE) {
        const units = { script: GC_SCRIPT_PATH, after: native ? `${REGISTRY_SERVICE}.service` : "docker.service", schedule };
        const service = { path: GC_SERVICE_PATH, content: renderGcService(units), mode: "0644", owner: "root", group: "root" };
        const timer = { path: GC_TIMER_PATH, content: renderGcTimer(units), mode: "0644", owner: "root", group: "root" };
        files.push(service, timer);
        states.push(timerState([service, timer]));
        validators.push({ description: "the garbage collection schedule is a calendar expression systemd reads", command: `systemd-analyze calendar ${q(schedule)} >/dev/null` });
    }
    if (gc.trigger !== undefined) states.push(triggerState(gc.trigger));
    return { files, states, validators };
}

/**
 * The timer enabled and active, on the unit files as written (their digest in the state, so a new
 * schedule reloads systemd and restarts the timer). Hosts without systemd are refused with the way out.
 */
function timerState(units: FileSpec[]): StateSpec {
    const timer = `${GC_UNIT}.timer`;
    const digest = createHash("sha256").update(units.map((u) => u.content).join("")).digest("hex").slice(0, 16);
    const paths = units.map((u) => q(u.path)).join(" ");
    return {
        name: `registry garbage collection timer ${timer}`,
        read: `echo "$(systemctl is-enabled ${timer} 2>/dev/null || true) $(systemctl is-active ${timer} 2>/dev/null || true) $(cat ${paths} 2>/dev/null | sha256sum | cut -c1-16)"`,
        expected: `enabled active ${digest}`,
        apply: [
            `[ -d /run/systemd/system ] || { echo 'this host does not run systemd, which the garbage collection timer needs; use schedule "none" and run it through trigger'; exit 1; }`,
            `systemctl daemon-reload && systemctl enable ${timer} >/dev/null 2>&1 && systemctl restart ${timer}`,
        ].join("; "),
        remove: `if [ -d /run/systemd/system ]; then systemctl disable --now ${timer} >/dev/null 2>&1 || true; fi`,
    };
}

/** One run of the job per trigger value: the value is recorded only after a run that succeeded. */
function triggerState(trigger: string): StateSpec {
    return {
        name: "registry garbage collection run",
        read: `cat ${GC_TRIGGER_RECORD} 2>/dev/null || echo "(never run)"`,
        expected: trigger,
        apply: `${GC_SCRIPT_PATH} && mkdir -p ${q(GC_TRIGGER_RECORD.replace(/\/[^/]*$/, ""))} && printf '%s\\n' ${q(trigger)} > ${GC_TRIGGER_RECORD}`,
        remove: `rm -f ${GC_TRIGGER_RECORD}`,
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
function containerState(spec: ParsedRegistry, storage: string, digest: string): StateSpec {
    const image = spec.image;
    const name = REGISTRY_CONTAINER;
    const run = containerRun(spec, storage, digest);
    const stop = containerStop();
    return {
        name: `registry container ${name}`,
        read: `docker inspect -f '{{.Config.Image}} {{.HostConfig.RestartPolicy.Name}} {{index .Config.Labels "pulumi-onprem.config"}} {{.State.Running}}' ${name} 2>/dev/null || echo absent`,
        expected: `${image} always ${digest} true`,
        apply: `${stop}; ${run} >/dev/null`,
        remove: stop,
    };
}

/**
 * The registry container stopped, then removed: stopped first so that requests in flight finish (the
 * config's drain timeout); one already gone is fine, one that stays makes the next `docker run` fail.
 */
function containerStop(): string {
    const name = REGISTRY_CONTAINER;
    return `docker stop -t ${REGISTRY_STOP_SECONDS} ${name} >/dev/null 2>&1 || true; docker rm -f ${name} >/dev/null 2>&1 || true`;
}

/**
 * `docker run` of the registry container, labelled `label` (the config digest, or a shell word that
 * expands to one); `config` makes it serve another config file of the mounted directory.
 */
function containerRun(spec: ParsedRegistry, storage: string, label: string, config?: string): string {
    const port = spec.port;
    const address = parseIp(spec.address)?.address;
    const publish = address === undefined ? `${port}:${CONTAINER_PORT}` : `${hostPort(address, port)}:${CONTAINER_PORT}`;
    return [
        "docker run -d",
        `--name ${REGISTRY_CONTAINER}`,
        "--restart=always",
        `--label pulumi-onprem.config=${label}`,
        `-p ${q(publish)}`,
        containerMounts(storage),
        q(spec.image),
        ...(config === undefined ? [] : [q(config)]),
    ].join(" ");
}

/** Storage as the image's volume; the config directory read-only at the same path. */
function containerMounts(storage: string): string {
    return `-v ${q(`${storage}:${CONTAINER_STORAGE_PATH}`)} -v ${q(`${REGISTRY_CONFIG_DIR}:${REGISTRY_CONFIG_DIR}:ro`)}`;
}

/**
 * `GET /v2/` on the registry host, by the registry's own name (so the certificate is checked against it)
 * but connected to the listen address: 401 with users, 200 without. A generated certificate is verified
 * with its CA; a provided one is not (its issuer may be trusted only by clients).
 */
function healthCheck(spec: ParsedRegistry, tls: RegistryTlsMaterial | undefined): CommandSpec {
    const port = spec.port;
    const listen = parseIp(spec.address);
    const target = listen && !isWildcard(listen) ? listen.address : "127.0.0.1";
    const expected = spec.users.length > 0 ? "401" : "200";
    const url = `${spec.tls.mode === "off" ? "http" : "https"}://${hostPort(registryHost(spec) ?? target, port)}/v2/`;
    const trust = spec.tls.mode === "off" ? [] : tls?.caCertificate !== undefined ? ["--cacert", REGISTRY_CA_PATH] : ["--insecure"];
    const curl = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", ...trust, "--connect-to", `::${hostPort(target, port)}`, url].map(q).join(" ");
    return {
        description: `the registry answers GET /v2/ with ${expected}`,
        command: `code=$(${curl}); [ "$code" = ${expected} ] || { echo "GET ${url} answered \${code:-nothing}, expected ${expected}"; exit 1; }`,
        attempts: HEALTH_ATTEMPTS,
        intervalMs: HEALTH_INTERVAL_MS,
    };
}

// ---------------------------------------------------------------------------------------------
// Client hosts

/**
 * The CA for each name a client may use, in `/etc/docker/certs.d/<host:port>/ca.crt` (dockerd reads it
 * on every connection: no reload). Nothing when TLS is off or the issuer is already trusted (no CA).
 */
export function clientCaFiles(caPem: string | undefined, hostPorts: readonly string[]): FileSpec[] {
    if (caPem === undefined) return [];
    return [...new Set(hostPorts)].sort().map((hp) => {
        // The name becomes a directory: refuse anything that is not host:port before it reaches a path.
        if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/.test(hp) || hp.includes("..")) {
            throw new OnpremError("Bug", `${JSON.stringify(hp)} is not a registry host:port`);
        }
        return { path: `${DOCKER_CERTS_DIR}/${hp}/ca.crt`, content: ensureNewline(caPem), mode: "0644", owner: "root", group: "root" };
    });
}

/**
 * A client host: the CA for every name of the registry in certs.d, and, for "daemon-json" clients that
 * need them, the registry's daemon.json keys merged beside the host's own, validated by dockerd and
 * applied with a reload (SIGHUP) where dockerd runs.
 */
export function registryClientWork(spec: ParsedRegistry, client: RegistryClient, caPem: string | undefined): RegistryHostWork {
    if (registryHost(spec) === undefined) throw new OnpremError("Bug", "registry clients need a registry name; validation should have said so");
    const files = clientCaFiles(spec.tls.mode === "off" ? undefined : caPem, registryHostPorts(spec));
    const services: ServiceSpec[] = [];
    const validators: CommandSpec[] = [];
    const daemonJson = renderClientDaemonJson(clientDaemonEntries(spec, client));
    if (daemonJson !== undefined) {
        files.push({ path: DAEMON_JSON_PATH, content: daemonJson, merge: "json-keys", mode: "0644" });
        services.push({ name: "docker", onChange: "reload", onlyIfRunning: true, watch: [DAEMON_JSON_PATH] });
        validators.push(DAEMON_JSON_VALIDATOR);
    }
    return { files, packages: [], services, states: [], validators, verifiers: [], probes: [] };
}

/** path -> text of a host's files (templates: secrets stay placeholders), for the `files` output. */
export function filesByPath(files: readonly FileSpec[]): Record<string, string> {
    return Object.fromEntries(files.map((f) => [f.path, f.content]));
}

function ensureNewline(text: string): string {
    return text.endsWith("\n") ? text : `${text}\n`;
}
