/**
 * Who listens on the registry's port before this registry does. A registry container started by hand
 * on this registry's storage directory (seed 000's `docker run -p 5000:5000 -v /opt/data/registry:...`)
 * is adopted (see adoptedContainer.ts) and said so; any other holder would make every `up` fail at the
 * registry's start. Run read-only at the registry's first check, at preview too, so the refusal comes
 * before anything changes and names the holder.
 */
import type { CommandSpec } from "../../contract/desired";
import { PROBE_REFUSES_EXIT } from "../../contract/probe";
import { shellQuote as q } from "../../contract/shell";
import { hostPort } from "../../model/address";
import { containersOnPort } from "./adoptedContainer";

/** What the probe needs of a registry: where it listens and what counts as itself there. */
export interface PortHolderTarget {
    port: number;
    /** Bare listen address; absent: every address. */
    address?: string;
    /** The systemd unit of the native runtime, whose processes are this registry. */
    service: string;
    /** The container of the container runtime, which is this registry. */
    container: string;
    /** The storage directory: a hand-started registry container serving it is adopted, not refused. */
    storage: string;
}

/**
 * A listener clashes when either side listens on every address or both on the same one. Ours: a process
 * of `service`'s cgroup, or docker's proxy (or dockerd itself) publishing the port for `container`. A
 * container serving `storage` passes with a line saying it is adopted. Any other holder refuses, named by
 * its process and, when docker publishes the port, its container, image and storage.
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
        '  if [ -n "$ctr" ]; then',
        `    src=$({ ${containersOnPort(t)}\n} | awk -v n="\${ctr%% *}" '$2 == n { print $3 }')`,
        `    if [ "$src" = ${q(t.storage)} ]; then echo "adopts the container '\${ctr%% *}' (image \${ctr#* }) serving $src on port $port: \\\`up\\\` stops it and serves the same images, destroy starts it again"; exit 0; fi`,
        `    what="container ${"'"}\${ctr%% *}${"'"} (image \${ctr#* }, storage \${src:--})"`,
        `    [ "\${src:--}" = - ] || hint=", or declare \\\`storagePath\\\` \\"$src\\" to adopt it with its images"`,
        "  fi",
        "fi",
        `echo "port $port on $(hostname) is already in use by $what, not by this registry: stop it first, or choose another \\\`port\\\`\${hint:-}" >&2`,
        `exit ${PROBE_REFUSES_EXIT}`,
    ].join("\n");
    return { description: `who listens on port ${t.port}`, command: script };
}
