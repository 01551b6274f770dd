/**
 * Who listens on the registry's port before this registry does: a registry started by hand (seed 000's
 * `docker run -p 5000:5000 registry:2`) or any other service there makes every `up` fail at the
 * registry's start. Run read-only at the registry's first check, at preview too, so the refusal comes
 * before anything changes and names the holder.
 */
import type { CommandSpec } from "../../contract/desired";
import { PROBE_REFUSES_EXIT } from "../../contract/probe";
import { shellQuote as q } from "../../contract/shell";
import { hostPort } from "../../model/address";

/** What the probe needs of a registry: where it listens and what counts as itself there. */
export interface PortHolderTarget {
    port: number;
    /** Bare listen address; absent: every address. */
    address?: string;
    /** The systemd unit of the native runtime, whose processes are this registry. */
    service: string;
    /** The container of the container runtime, which is this registry. */
    container: string;
}

/**
 * A listener clashes when either side listens on every address or both on the same one. Ours: a process
 * of `service`'s cgroup, or docker's proxy (or dockerd itself) publishing the port for `container`. Any
 * other holder refuses, named by its process and, when docker publishes the port, its container and image.
 */
export function portHolderProbe(t: PortHolderTarget): CommandSpec {
    const local = t.address === undefined ? "" : hostPort(t.address, t.port);
    const script = [
        `port=${t.port}`,
        `line=$(ss -Htlnp "sport = :$port" 2>/dev/null | awk -v want=${q(local)} '{ if (want == "" || $4 == want || $4 ~ /^(\\*|0\\.0\\.0\\.0|\\[::\\]):/) { print; exit } }')`,
        '[ -n "$line" ] || exit 0',
        `pid=$(printf '%s\\n' "$line" | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p')`,
        `comm=$(printf '%s\\n' "$line" | sed -n 's/.*users:(("\\([^"]*\\)".*/\\1/p')`,
        `grep -qs ${q(`/${t.service}.service$`)} "/proc/$pid/cgroup" && exit 0`,
        `[ -n "$pid" ] && [ "$pid" = "$(systemctl show ${q(t.service)} 2>/dev/null | sed -n 's/^MainPID=//p')" ] && exit 0`,
        'what="${comm:-a process} (pid ${pid:-?})"',
        'if command -v docker >/dev/null 2>&1; then',
        `  ctr=$(docker ps --filter "publish=$port" --format '{{.Names}} {{.Image}}' 2>/dev/null | head -1)`,
        `  [ "\${ctr%% *}" = ${q(t.container)} ] && exit 0`,
        `  [ -z "$ctr" ] || what="container ${"'"}\${ctr%% *}${"'"} (image \${ctr#* })"`,
        "fi",
        `echo "port $port on $(hostname) is already in use by $what, not by this registry: stop it first, or choose another \\\`port\\\`" >&2`,
        `exit ${PROBE_REFUSES_EXIT}`,
    ].join("\n");
    return { description: `who listens on port ${t.port}`, command: script };
}
