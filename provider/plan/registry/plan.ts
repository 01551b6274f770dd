/**
 * What a registry spec decides beyond its fields: the paths and listen address the registry process
 * sees, the names clients reach it by (its URL, every host:port, the certificate's SANs) and the
 * daemon.json entries each client owns. Pure.
 */
import { hostPort, ParsedIp, parseIp } from "../../model/address";
import { CONTAINER_PORT, CONTAINER_STORAGE_PATH, ParsedRegistry, REGISTRY_CERT_PATH, REGISTRY_HTPASSWD_PATH, REGISTRY_KEY_PATH, RegistryClient } from "./model";

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

/** 0.0.0.0 or ::, "every address": no name a client can use. */
export function isWildcard(address: ParsedIp): boolean {
    return address.ip.value === BigInt(0);
}

/** The listen address when it is a specific one (canonical), else undefined. */
function specificAddress(spec: ParsedRegistry): string | undefined {
    const parsed = parseIp(spec.address);
    return parsed && !isWildcard(parsed) ? parsed.address : undefined;
}


/**
 * The registry's own view of its paths. "native": the host's paths. "container": the config directory
 * is mounted at the same path read-only, storage at the image's /var/lib/registry, and the process
 * listens on all addresses of its own network namespace (dockerd publishes the host address and port).
 */
export function registryPaths(spec: ParsedRegistry): RegistryPaths {
    const files = { htpasswd: REGISTRY_HTPASSWD_PATH, certificate: REGISTRY_CERT_PATH, key: REGISTRY_KEY_PATH };
    if (spec.runtime === "container") return { ...files, storage: CONTAINER_STORAGE_PATH, addr: `:${CONTAINER_PORT}` };
    const address = parseIp(spec.address)?.address;
    const port = spec.port;
    return { ...files, storage: spec.storagePath, addr: address === undefined ? `:${port}` : hostPort(address, port) };
}

/** The name clients use for the registry: the first hostname, else the address (undefined for a wildcard or none). */
export function registryHost(spec: ParsedRegistry): string | undefined {
    return spec.hostnames[0] ?? specificAddress(spec);
}

/** Every "host:port" clients may use: one per hostname, then the address when it is specific and not among them. */
export function registryHostPorts(spec: ParsedRegistry): string[] {
    const hosts = [...spec.hostnames];
    const address = specificAddress(spec);
    if (address !== undefined && !hosts.some((h) => parseIp(h)?.address === address)) hosts.push(address);
    return hosts.map((h) => hostPort(h, spec.port));
}

/**
 * "https://registry.lab:5000" (or http:// when TLS is off): the registry's URL for outputs and mirrors.
 * Empty when it has no name (no hostnames, the address unset or a wildcard): clients then have none to use.
 */
export function registryUrl(spec: ParsedRegistry): string {
    const host = registryHost(spec);
    if (host === undefined) return "";
    return `${spec.tls.mode === "off" ? "http" : "https"}://${hostPort(host, spec.port)}`;
}

/** The SANs a registry's generated certificate carries: its hostnames (names and IPs) and a specific listen address. */
export function registrySans(spec: ParsedRegistry): { dnsNames: string[]; ipAddresses: string[] } {
    const dnsNames: string[] = [];
    const ipAddresses: string[] = [];
    const addIp = (text: string | undefined): boolean => {
        const parsed = parseIp(text);
        if (!parsed) return false;
        if (!isWildcard(parsed) && !ipAddresses.includes(parsed.address)) ipAddresses.push(parsed.address);
        return true;
    };
    for (const name of spec.hostnames) {
        if (!addIp(name) && !dnsNames.includes(name.toLowerCase())) dnsNames.push(name.toLowerCase());
    }
    addIp(spec.address);
    return { dnsNames, ipAddresses };
}

/** The daemon.json entries one client owns: its own values of the shared list keys. */
export interface ClientDaemonEntries {
    "insecure-registries": string[];
    "registry-mirrors": string[];
}

/**
 * What a client's daemon.json needs: every host:port in `insecure-registries` when TLS is off, and the
 * registry in `registry-mirrors` when it caches Docker Hub (dockerd uses mirrors for Docker Hub only;
 * a cache of another upstream is pulled from by name). Nothing for "certs-only" clients.
 */
export function clientDaemonEntries(spec: ParsedRegistry, client: RegistryClient): ClientDaemonEntries {
    const entries: ClientDaemonEntries = { "insecure-registries": [], "registry-mirrors": [] };
    if (client.dockerConfig !== "daemon-json") return entries;
    if (spec.tls.mode === "off") entries["insecure-registries"] = registryHostPorts(spec);
    const url = registryUrl(spec);
    if (spec.proxy && isDockerHub(spec.proxy.remoteUrl) && url !== "") entries["registry-mirrors"] = [url];
    return entries;
}

function isDockerHub(remoteUrl: string): boolean {
    try {
        return DOCKER_HUB_HOSTS.includes(new URL(remoteUrl).hostname.toLowerCase());
    } catch {
        return false;
    }
}
