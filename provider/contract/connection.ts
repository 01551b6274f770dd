import type { Input } from "@pulumi/pulumi/output";

/**
 * How to reach a host over SSH. The same shape as `@pulumi/command`'s `remote.ConnectionArgs`, so one
 * object can be passed to both, plus host-key options. Passed to the provider as a secret.
 */
export interface ConnectionArgs {
    /** The address to connect to. */
    host: Input<string>;
    /** The port to connect to. Defaults to 22. */
    port?: Input<number>;
    /** The user to log in as. Defaults to "root"; any other user needs passwordless `sudo`. */
    user?: Input<string>;
    /** The password, if the host accepts password authentication. */
    password?: Input<string>;
    /** The contents of an SSH private key (OpenSSH or PEM format). */
    privateKey?: Input<string>;
    /** The passphrase of `privateKey`, if it is encrypted. */
    privateKeyPassword?: Input<string>;
    /** Path to an SSH agent socket (e.g. `$SSH_AUTH_SOCK`). */
    agentSocketPath?: Input<string>;
    /** How many failed dial attempts before giving up. -1 means no limit. Defaults to 10. */
    dialErrorLimit?: Input<number>;
    /** Seconds each dial attempt may take. 0 means no limit. Defaults to 15. */
    perDialTimeout?: Input<number>;
    /**
     * The host's public key (`ssh-ed25519 AAAA...`) or its `SHA256:` fingerprint. Unlike `@pulumi/command`,
     * a missing key is not ignored: the host must then be in `knownHostsPath`. Defaults to none.
     */
    hostKey?: Input<string>;
    /** The known_hosts file consulted when `hostKey` is not set. Defaults to `~/.ssh/known_hosts`. */
    knownHostsPath?: Input<string>;
    /** Accept a host never seen before and add it to `knownHostsPath` (a changed key is still refused). Defaults to false. */
    trustOnFirstUse?: Input<boolean>;
    /** A jump host to connect through. Defaults to none. */
    proxy?: Input<ProxyConnectionArgs>;
    /**
     * Seconds each command on the host may take, package installs included, before the host stops it
     * (a slow mirror or a slow machine may need more). A `HostConfig`'s own `commandTimeoutSeconds` wins.
     * Defaults to 600.
     */
    commandTimeoutSeconds?: Input<number>;
}

/** A jump host: the same fields as `ConnectionArgs`, without a further proxy or command bound. */
export type ProxyConnectionArgs = Omit<ConnectionArgs, "proxy" | "dialErrorLimit" | "commandTimeoutSeconds">;
