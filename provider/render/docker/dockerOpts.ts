import { OnpremError } from "../../contract/errors";
import type { DockerOptions } from "../../plan/ovs/model";
import { MANAGED_HEADER } from "../managedHeader";

/** The legacy Docker options file (Debian's init script and docker.service read it). */
export const DOCKER_DEFAULT_FILE_PATH = "/etc/default/docker";

/**
 * /etc/default/docker with one DOCKER_OPTS line. One line of plain assignments, because two readers
 * take it: the init script sources it with sh, and Debian's docker.service reads it as an
 * EnvironmentFile, which runs no shell code (seed 003's `wait_ip` function would be ignored there).
 * The API is never bound to TCP without TLS (the validator refuses seed 003's tcp://0.0.0.0:2375).
 */
export function renderDockerOpts(opts: DockerOptions): string {
    const flags = [opts.bip !== undefined ? `--bip=${opts.bip}` : `--bridge=${opts.bridge}`, `--fixed-cidr=${opts.fixedCidr}`, `--mtu=${opts.mtu}`];
    for (const h of opts.hosts ?? []) flags.push(`-H ${h}`);
    if (opts.tls) flags.push("--tlsverify", `--tlscacert=${opts.tls.caCert}`, `--tlscert=${opts.tls.cert}`, `--tlskey=${opts.tls.key}`);
    for (const f of flags) {
        // Values come validated from the planner; a quote here would end the assignment early.
        if (/["\\$`\n]/.test(f)) throw new OnpremError("Bug", `DOCKER_OPTS value ${JSON.stringify(f)} holds a character that cannot be written safely`);
    }
    return [MANAGED_HEADER, `DOCKER_OPTS="${flags.join(" ")}"`, ""].join("\n");
}
