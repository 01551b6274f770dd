/**
 * What a resource wants on one host, in terms the transaction engine understands: files, packages,
 * services, and the commands that check them. No config format is known here.
 */
import type { MergeStrategy } from "./mergers";

/** One file the resource manages on a host. */
export interface FileSpec {
    /** Absolute path on the host. */
    path: string;
    /**
     * The file's text; may hold `{{secret:NAME}}` placeholders, filled in just before writing. With
     * `merge`, only the resource's part of the file (e.g. its own JSON keys).
     */
    content: string;
    /** The file is shared: `content` is merged into what the host holds instead of replacing it. */
    merge?: MergeStrategy;
    /** With `merge`: parts the resource set before and no longer wants (the provider fills this in). */
    released?: string[];
    /** Octal mode, e.g. "0644". */
    mode?: string;
    /** Owner user. Default: root. */
    owner?: string;
    /** Owner group. Default: root. */
    group?: string;
}

/** A service the resource reloads, restarts, starts or enables. */
export interface ServiceSpec {
    /** Unit name for systemctl, e.g. "keepalived". */
    name: string;
    /** What a change to a watched file needs. */
    onChange?: "reload" | "restart" | "none";
    /** The files whose change triggers `onChange`; all of the resource's files when omitted. */
    watch?: string[];
    /** Ensure the service is running (or stopped) after apply. */
    state?: "running" | "stopped";
    /** Ensure the service starts at boot. */
    enabled?: boolean;
    /**
     * A daemon the resource configures but does not own (dockerd for daemon.json keys): `onChange` acts only
     * while it runs; it is never started, stopped, enabled or disabled, and a host without it is fine.
     */
    onlyIfRunning?: boolean;
}

/** A check run on the host: a validator (on staged files) or a verifier (after activation). */
export interface CommandSpec {
    /** Shown in messages: "keepalived config test". */
    description: string;
    /**
     * A POSIX sh command run as root. In validators, `{{staged:/abs/path}}` stands for the staged copy
     * of that file. Never embed secrets here: commands may be shown in errors.
     */
    command: string;
    /** Verifiers only: attempts before giving up (default 10). */
    attempts?: number;
    /** Verifiers only: pause between attempts (default 500 ms). */
    intervalMs?: number;
}

/**
 * Live state that is not a file (OVSDB records, addresses on an interface), managed through commands.
 * `apply` must converge exactly on what the state owns (also removing its own leftovers), so that the
 * previous `apply` is a correct undo.
 */
export interface StateSpec {
    /** Names the state in messages and matches it across updates: "ovs records of mesh m1". */
    name: string;
    /** Prints the current state, normalised (sorted, stable); compared with `expected`. */
    read: string;
    /** What `read` prints once `apply` has run. */
    expected: string;
    /** Brings the host to the expected state; idempotent. Runs after files are swapped, before services. */
    apply: string;
    /** Removes everything `apply` created (delete, and rollback of a first apply). */
    remove: string;
    /** Provider-internal: restores the state as it was before this apply (the previous `apply`, or `remove`). */
    undo?: string;
}

/** A package installed when missing. */
export interface PackageSpec {
    /** Package name when the same on every family. */
    name: string;
    /** Name on Debian/Ubuntu when it differs. */
    apt?: string;
    /** Name on RHEL-family hosts when it differs. */
    rpm?: string;
}

/**
 * Commit-confirm for changes that may cut the host off (an address on the interface we reach it through):
 * live states are applied by a detached process on the host, and the transaction commits only once a
 * fresh SSH connection reaches the host afterwards; otherwise the host's watchdog undoes the change
 * after `rollbackTimeoutSeconds`.
 */
export interface ConfirmSpec {
    /** Addresses to reach the host at after the change, tried together; the first that answers with the same host key confirms. */
    hosts: string[];
}

export interface DesiredState {
    files: FileSpec[];
    services: ServiceSpec[];
    packages: PackageSpec[];
    validators: CommandSpec[];
    verifiers: CommandSpec[];
    /** Live state applied after the files, undone on rollback, removed on delete. */
    states: StateSpec[];
    secrets: Record<string, string>;
    /** Install missing packages (default true). */
    ensurePackages: boolean;
    /** Seconds after which the host rolls itself back if the controller vanished mid-apply. */
    rollbackTimeoutSeconds: number;
    /** Commit only after reconnecting (see `ConfirmSpec`); `rollbackTimeoutSeconds` is then the confirm timeout. */
    confirm?: ConfirmSpec;
}

export const DEFAULT_FILE_MODE = "0644";
export const DEFAULT_VERIFY_ATTEMPTS = 10;
export const DEFAULT_VERIFY_INTERVAL_MS = 500;
export const DEFAULT_ROLLBACK_TIMEOUT_SECONDS = 120;

/** Where the engine keeps each resource's state on a host: `${STATE_ROOT}/<resource key>`, removed on delete. */
export const STATE_ROOT = "/var/lib/pulumi-onprem";

export function stateDir(resourceKey: string): string {
    return `${STATE_ROOT}/${resourceKey}`;
}
