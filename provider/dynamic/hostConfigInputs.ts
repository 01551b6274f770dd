import { CommandSpec, ConfirmSpec, DesiredState, FileSpec, PackageSpec, ServiceSpec, StateSpec, DEFAULT_ROLLBACK_TIMEOUT_SECONDS } from "../contract/desired";
import { referencedSecrets } from "../contract/secrets";
import { ConnectionSpec } from "../ssh/connection";

/** The mode of a file that holds a secret and names no mode of its own: readable by its owner only. */
const SECRET_FILE_MODE = "0600";

/** `f` with its default mode made explicit where the default differs: a file with a placeholder gets 0600, not 0644. */
export function withSecretMode(f: FileSpec): FileSpec {
    return f.mode === undefined && typeof f.content === "string" && referencedSecrets(f.content).length > 0 ? { ...f, mode: SECRET_FILE_MODE } : f;
}

/** The inputs of the generic host resource: what every pulumi-onprem resource hands the provider. */
export interface HostConfigInputs {
    connection: ConnectionSpec;
    /** Stable key from the SDK (project, stack, resource name): names the state directory on the host. */
    key: string;
    /** What this is, for messages: "keepalived", "file". */
    kind: string;
    /** `user@host[:port]`, in clear for previews; the provider connects with `connection`. */
    target?: string;
    files: FileSpec[];
    secrets?: Record<string, string>;
    packages?: PackageSpec[];
    services?: ServiceSpec[];
    validators?: CommandSpec[];
    verifiers?: CommandSpec[];
    states?: StateSpec[];
    ensurePackages?: boolean;
    rollbackTimeoutSeconds?: number;
    /** The bound of each remote command, in seconds (default: the connection's, else `DEFAULT_COMMAND_TIMEOUT_SECONDS`). */
    commandTimeoutSeconds?: number;
    /** Commit only through a connection made after the change (commit-confirm); see `ConfirmSpec`. */
    confirm?: ConfirmSpec;
    /** Broken rules found by the SDK component that owns this resource (reported at check). */
    inputErrors?: string[];
}

/** The bound of each remote command: the resource's own, else its connection's (else the default). */
export function commandTimeoutOf(i: Pick<HostConfigInputs, "commandTimeoutSeconds" | "connection">): number | undefined {
    return i.commandTimeoutSeconds ?? i.connection?.commandTimeoutSeconds;
}

export interface HostConfigOutputs extends HostConfigInputs {
    /** SHA256 fingerprint of the host key the provider verified. */
    hostKeyFingerprint: string;
}

export function desiredState(i: HostConfigInputs): DesiredState {
    return {
        files: (i.files ?? []).map(withSecretMode),
        services: i.services ?? [],
        packages: i.packages ?? [],
        validators: i.validators ?? [],
        verifiers: i.verifiers ?? [],
        states: i.states ?? [],
        secrets: i.secrets ?? {},
        ensurePackages: i.ensurePackages ?? true,
        rollbackTimeoutSeconds: i.rollbackTimeoutSeconds ?? DEFAULT_ROLLBACK_TIMEOUT_SECONDS,
        ...(i.confirm ? { confirm: i.confirm } : {}),
    };
}
