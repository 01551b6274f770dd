/**
 * A private Docker registry as the validator returns it (`ParsedRegistry`, every default applied), the
 * draft its rules check (`RegistryDraft`), and the paths the registry uses on its host. The input itself
 * is declared in args.ts.
 */
import type { Unwrap } from "@pulumi/pulumi/output";
import type { DockerRegistryInput, DockerRegistryTlsArgs, RegistryClientDockerConfig, RegistryRuntime } from "./args";

/** One client, its `dockerConfig` defaulted. */
export interface RegistryClient {
    name: string;
    dockerConfig: RegistryClientDockerConfig;
}

/**
 * The input with the defaults that decide which rules apply (`runtime`, `tls`, each client's
 * `dockerConfig`): what the validator's rules read.
 */
export type RegistryDraft = Omit<DockerRegistryInput, "runtime" | "tls" | "clients"> & {
    runtime: RegistryRuntime;
    tls: Unwrap<DockerRegistryTlsArgs>;
    clients: RegistryClient[];
};

/** A registry the validator accepted, every default applied: what the planner, the renderers and the host's work take. */
export interface ParsedRegistry {
    runtime: RegistryRuntime;
    /** The image of the container runtime (the default where it is not set). */
    image: string;
    storagePath: string;
    /** Bare; absent: every address. */
    address?: string;
    port: number;
    hostnames: string[];
    tls: Unwrap<DockerRegistryTlsArgs>;
    users: { name: string; password: string }[];
    deleteEnabled: boolean;
    proxy?: { remoteUrl: string; username?: string; password?: string };
    clients: RegistryClient[];
    retainDataOnDelete: boolean;
    garbageCollection?: { schedule: string; deleteUntagged: boolean; trigger?: string };
    portCheck: "firstUp" | "never";
}

/** Where secrets sit in a `ParsedRegistry`: masked (`maskSecrets`) in the copy files are rendered from. */
export const REGISTRY_SECRET_PATHS = ["tls.key", "users[].password", "proxy.password"];

export const DEFAULT_REGISTRY_IMAGE = "registry:2";
export const DEFAULT_REGISTRY_STORAGE_PATH = "/opt/data/registry";
export const DEFAULT_REGISTRY_PORT = 5000;
export const DEFAULT_REGISTRY_CERT_VALIDITY_DAYS = 365;
/** The generated CA outlives the server certificates it signs, so clients keep their ca.crt across reissues. */
export const DEFAULT_REGISTRY_CA_VALIDITY_DAYS = 3650;
/** A generated server certificate is reissued when fewer days than this are left. */
export const REGISTRY_CERT_RENEW_DAYS = 30;
export const MAX_REGISTRY_CERT_VALIDITY_DAYS = 3650;

/** The user Debian's `docker-registry` package runs the service as; it must read the key and htpasswd. */
export const REGISTRY_SERVICE_USER = "docker-registry";

/** Secret names (placeholders `{{secret:NAME}}` in the rendered files). */
export const REGISTRY_SECRET_HTPASSWD = "registry_htpasswd";
export const REGISTRY_SECRET_TLS_KEY = "registry_tls_key";
export const REGISTRY_SECRET_PROXY_PASSWORD = "registry_proxy_password";

/** bcrypt reads at most 72 bytes of a password; Go's bcrypt refuses longer ones outright. */
export const MAX_BCRYPT_PASSWORD_BYTES = 72;

// Where the registry's files live on its host (Debian's package reads /etc/docker/registry/config.yml).
export const REGISTRY_CONFIG_DIR = "/etc/docker/registry";
export const REGISTRY_CONFIG_PATH = `${REGISTRY_CONFIG_DIR}/config.yml`;
export const REGISTRY_HTPASSWD_PATH = `${REGISTRY_CONFIG_DIR}/htpasswd`;
export const REGISTRY_CERT_PATH = `${REGISTRY_CONFIG_DIR}/registry.crt`;
export const REGISTRY_KEY_PATH = `${REGISTRY_CONFIG_DIR}/registry.key`;
/** The same config with `storage.maintenance.readonly` on: what the registry serves while garbage collection runs. */
export const REGISTRY_READONLY_CONFIG_PATH = `${REGISTRY_CONFIG_DIR}/config-readonly.yml`;
/** Weekly, early on Sunday: a quiet hour at most sites. */
export const DEFAULT_GC_SCHEDULE = "Sun *-*-* 03:00:00";
/** `schedule` that installs no timer. */
export const GC_SCHEDULE_NONE = "none";
/** The collection job on the registry host, and the systemd units that run it. */
export const GC_SCRIPT_PATH = "/usr/local/sbin/pulumi-onprem-registry-gc";
export const GC_UNIT = "pulumi-onprem-registry-gc";
export const GC_SERVICE_PATH = `/etc/systemd/system/${GC_UNIT}.service`;
export const GC_TIMER_PATH = `/etc/systemd/system/${GC_UNIT}.timer`;
/** One line per run: bytes before and after. */
export const GC_LOG_PATH = "/var/log/pulumi-onprem-registry-gc.log";
/** The CA on the registry host itself, so the health check can verify the handshake as clients do. */
export const REGISTRY_CA_PATH = `${REGISTRY_CONFIG_DIR}/ca.crt`;
/** Where the registry:2 image keeps its data; the host's `storagePath` is mounted there. */
export const CONTAINER_STORAGE_PATH = "/var/lib/registry";
/** Port the registry listens on inside its container; dockerd publishes `address:port` onto it. */
export const CONTAINER_PORT = 5000;
/** dockerd reads `<dir>/<host:port>/ca.crt` on every connection to that registry. */
export const DOCKER_CERTS_DIR = "/etc/docker/certs.d";
