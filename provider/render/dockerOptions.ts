/**
 * Docker daemon options: merging the keys a resource owns into /etc/docker/daemon.json (the resource
 * owns keys, not the file), and the legacy DOCKER_OPTS line of /etc/default/docker (seed 003).
 */
import { OnpremError } from "../errors";
import { DockerOptions } from "../plan/ovsModel";

export const MANAGED_HEADER = "# Managed by pulumi-onprem: changes made here are reverted by the next `pulumi up`.";

export interface MergeOptions {
    /** Keys Docker refuses next to an owned key ("bridge" -> ["bip"]): finding one is an error. */
    conflicts?: Readonly<Record<string, readonly string[]>>;
    /** Shown in messages. Default: "/etc/docker/daemon.json". */
    path?: string;
}

/**
 * The new daemon.json text: `owned` keys set (a key set to undefined is removed), keys in
 * `previouslyOwned` that are not in `owned` removed, every other key kept in its place. New keys are
 * appended in sorted order, so merging the result again gives the same text. 2-space JSON, trailing
 * newline. An empty or missing file counts as `{}`; text that is not a JSON object is an error.
 */
export function mergeDaemonJson(
    current: string | undefined,
    owned: Readonly<Record<string, unknown>>,
    previouslyOwned: readonly string[],
    options: MergeOptions = {},
): string {
    const path = options.path ?? "/etc/docker/daemon.json";
    const base = parseObject(current, path);
    const result: Record<string, unknown> = {};
    const wanted = new Set(Object.keys(owned).filter((k) => owned[k] !== undefined));
    const dropped = new Set(previouslyOwned.filter((k) => !wanted.has(k)));
    for (const key of Object.keys(base)) {
        if (wanted.has(key)) result[key] = owned[key];
        else if (!dropped.has(key) && !(key in owned)) result[key] = base[key];
    }
    for (const key of [...wanted].sort()) if (!(key in result)) result[key] = owned[key];

    for (const [key, refused] of Object.entries(options.conflicts ?? {})) {
        if (!wanted.has(key)) continue;
        const clash = refused.filter((k) => k in result);
        if (clash.length > 0) {
            throw new OnpremError(
                "Validation",
                `\`${path}\`: sets ${clash.map((k) => JSON.stringify(k)).join(", ")}, which Docker refuses together with ${JSON.stringify(key)} that pulumi-onprem sets: remove it from the file`,
            );
        }
    }
    return `${JSON.stringify(result, null, 2)}\n`;
}

function parseObject(text: string | undefined, path: string): Record<string, unknown> {
    if (text === undefined || text.trim() === "") return {};
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        throw new OnpremError(
            "Validation",
            `\`${path}\`: is not valid JSON (${(e as Error).message}); fix or remove it: pulumi-onprem merges its keys into the file and will not overwrite what it cannot read`,
            { cause: e },
        );
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new OnpremError("Validation", `\`${path}\`: holds ${Array.isArray(value) ? "an array" : JSON.stringify(value)}, not a JSON object`);
    }
    return value as Record<string, unknown>;
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
