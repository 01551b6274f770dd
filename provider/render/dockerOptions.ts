/**
 * Docker daemon options: merging the keys a resource owns into /etc/docker/daemon.json (the resource
 * owns keys, not the file), and the legacy DOCKER_OPTS line of /etc/default/docker (seed 003).
 */
import { OnpremError } from "../contract/errors";
import type { CommandSpec } from "../contract/desired";
import { DAEMON_JSON_PATH, DockerOptions } from "../plan/ovsModel";
import { mergeJsonKeys, MergeOptions } from "../contract/jsonKeys";

/** Docker's own check of a staged daemon.json, where dockerd is installed (hosts without it have nothing to break). */
export const DAEMON_JSON_VALIDATOR: CommandSpec = {
    description: "Docker accepts daemon.json (dockerd --validate)",
    command: `if command -v dockerd >/dev/null 2>&1; then dockerd --validate --config-file {{staged:${DAEMON_JSON_PATH}}}; fi`,
};

export const MANAGED_HEADER = "# Managed by pulumi-onprem: changes made here are reverted by the next `pulumi up`.";

/**
 * The new daemon.json text: the resource's keys merged into what the file holds (see `mergeJsonKeys`).
 */
export function mergeDaemonJson(
    current: string | undefined,
    owned: Readonly<Record<string, unknown>>,
    previouslyOwned: readonly string[],
    options: MergeOptions = {},
): string {
    return mergeJsonKeys(current, owned, previouslyOwned, { path: "/etc/docker/daemon.json", ...options });
}


/**
 * /etc/default/docker with one DOCKER_OPTS line. One line of plain assignments, because two readers
 * take it: the init script sources it with sh, and Debian's docker.service reads it as an
 * EnvironmentFile, which runs no shell code (seed 003's `wait_ip` function would be ignored there).
 * The API is never bound to TCP without TLS (the validator refuses seed 003's tcp://0.0.0.0:2375).
 */
export function renderDockerOpts(opts: DockerOptions): string {
    const flags = [`--bridge=${opts.bridge}`, `--fixed-cidr=${opts.fixedCidr}`, `--mtu=${opts.mtu}`];
    for (const h of opts.hosts ?? []) flags.push(`-H ${h}`);
    if (opts.tls) flags.push("--tlsverify", `--tlscacert=${opts.tls.caCert}`, `--tlscert=${opts.tls.cert}`, `--tlskey=${opts.tls.key}`);
    for (const f of flags) {
        // Values come validated from the planner; a quote here would end the assignment early.
        if (/["\\$`\n]/.test(f)) throw new OnpremError("Bug", `DOCKER_OPTS value ${JSON.stringify(f)} holds a character that cannot be written safely`);
    }
    return [MANAGED_HEADER, `DOCKER_OPTS="${flags.join(" ")}"`, ""].join("\n");
}
