import * as pulumi from "./pulumi";

/**
 * How to reach a host over SSH. The same shape as `@pulumi/command`'s `remote.ConnectionArgs`, so one
 * object can be passed to both, plus host-key options. Passed to the provider as a secret.
 */
export interface ConnectionArgs {
    /** The address to connect to. */
    host: pulumi.Input<string>;
    /** The port to connect to. Defaults to 22. */
    port?: pulumi.Input<number>;
    /** The user to log in as. Defaults to "root"; any other user needs passwordless `sudo`. */
    user?: pulumi.Input<string>;
    /** The password, if the host accepts password authentication. */
    password?: pulumi.Input<string>;
    /** The contents of an SSH private key (OpenSSH or PEM format). */
    privateKey?: pulumi.Input<string>;
    /** The passphrase of `privateKey`, if it is encrypted. */
    privateKeyPassword?: pulumi.Input<string>;
    /** Path to an SSH agent socket (e.g. `$SSH_AUTH_SOCK`). */
    agentSocketPath?: pulumi.Input<string>;
    /** How many failed dial attempts before giving up. -1 means no limit. Defaults to 10. */
    dialErrorLimit?: pulumi.Input<number>;
    /** Seconds each dial attempt may take. 0 means no limit. Defaults to 15. */
    perDialTimeout?: pulumi.Input<number>;
    /**
     * The host's public key (`ssh-ed25519 AAAA...`) or its `SHA256:` fingerprint. Unlike `@pulumi/command`,
     * a missing key is not ignored: the host must then be in `knownHostsPath`. Defaults to none.
     */
    hostKey?: pulumi.Input<string>;
    /** The known_hosts file consulted when `hostKey` is not set. Defaults to `~/.ssh/known_hosts`. */
    knownHostsPath?: pulumi.Input<string>;
    /** Accept a host never seen before and add it to `knownHostsPath` (a changed key is still refused). Defaults to false. */
    trustOnFirstUse?: pulumi.Input<boolean>;
    /** A jump host to connect through. Defaults to none. */
    proxy?: pulumi.Input<ProxyConnectionArgs>;
}

/** A jump host: the same fields as `ConnectionArgs`, without a further proxy. */
export type ProxyConnectionArgs = Omit<ConnectionArgs, "proxy" | "dialErrorLimit">;
