/**
 * The registry's garbage collection job, a bash script on the registry host: read-only while
 * `registry garbage-collect` runs, restarted afterwards, and one log line with the bytes it freed.
 * Deterministic, no I/O: the SDK renders it in the program, so previews show it.
 */
import { OnpremError } from "../../contract/errors";
import { shellQuote as q } from "../../contract/shell";
import { MANAGED_HEADER } from "../managedHeader";

/** How the job switches the registry between its two configs and reaches the collector. */
export type GcRuntime =
    | {
          kind: "native";
          /** The systemd unit (and init script) of the registry. */
          service: string;
          /** The user the registry runs as: the collector deletes its files. */
          user: string;
          /** The registry binary. */
          binary: string;
      }
    | {
          kind: "container";
          /** The container's name. */
          name: string;
          /** The image, for a collection while no container runs. */
          image: string;
          /** `docker run` of the container with its label value as `"$label"`, and optionally another config file as the command. */
          run: (label: string, config?: string) => string;
          /** Stops (requests in flight finish) and removes the container; succeeds when it is already gone. */
          stop: string;
          /** The storage and config mounts of `run`, for a one-off collector container. */
          mounts: string;
      };

export interface GcJob {
    /** The storage directory on the host. */
    storage: string;
    /** The registry's config, and the read-only copy it serves during the collection (paths the registry sees). */
    config: string;
    readOnlyConfig: string;
    deleteUntagged: boolean;
    /** A shell command that succeeds once the registry answers (run in a subshell). */
    health: string;
    /** Where the job appends one line per run, and the collector's own output. */
    log: string;
    runtime: GcRuntime;
}

/** How long the job waits for the registry to answer after a restart: 120 x 250 ms. */
const HEALTH_TRIES = 120;
/** Where a run holds its lock, so a timer run and a run from `pulumi up` never overlap. */
const LOCK_PATH = "/run/pulumi-onprem-registry-gc.lock";
/** A systemd drop-in under /run: a reboot in the middle brings the registry back writable. */
const DROPIN_DIR = (service: string) => `/run/systemd/system/${service}.service.d`;

export function renderGcScript(job: GcJob): string {
    const untagged = job.deleteUntagged ? " --delete-untagged" : "";
    const lines = [
        "#!/bin/bash",
        MANAGED_HEADER,
        "# Registry garbage collection: the registry serves a read-only copy of its config while",
        "# `registry garbage-collect` runs (a push during a collection loses blobs), then restarts on its own",
        "# config (a restart also drops its blob cache, which may still name deleted blobs).",
        "set -euo pipefail",
        `STORAGE=${q(job.storage)}`,
        `LOG=${q(job.log)}`,
        "",
        'log() { printf \'%s\\n\' "$*"; printf \'%s %s\\n\' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >> "$LOG"; }',
        'bytes() { du -sb "$STORAGE" | cut -f1; }',
        "healthy() {",
        `  for _ in $(seq 1 ${HEALTH_TRIES}); do`,
        `    if ( ${job.health} ) >/dev/null 2>&1; then return 0; fi`,
        "    sleep 0.25",
        "  done",
        '  log "the registry does not answer after a restart"',
        "  return 1",
        "}",
        ...runtimeFunctions(job, untagged),
        "",
        `exec 9> ${LOCK_PATH}`,
        'flock -n 9 || { log "a garbage collection is already running"; exit 1; }',
        'if [ ! -d "$STORAGE/docker/registry/v2/repositories" ]; then log "registry garbage collection of $STORAGE: no images, nothing to collect"; exit 0; fi',
        "if running; then",
        "  # Whatever fails from here on, the registry comes back writable.",
        "  trap 'readonly_off; healthy || true' EXIT",
        "  readonly_on",
        "  healthy",
        "  # Measured while read-only: the difference is what the collector freed, not what pushes added.",
        "  before=$(bytes)",
        '  collect >> "$LOG" 2>&1',
        "  after=$(bytes)",
        "  trap - EXIT",
        "  readonly_off",
        "  healthy",
        "else",
        "  before=$(bytes)",
        '  collect >> "$LOG" 2>&1',
        "  after=$(bytes)",
        "fi",
        'log "registry garbage collection of $STORAGE: $before bytes before, $after after, $((before - after)) freed"',
    ];
    return `${lines.join("\n")}\n`;
}

function runtimeFunctions(job: GcJob, untagged: string): string[] {
    const rt = job.runtime;
    switch (rt.kind) {
        case "native": {
            const dropin = `${DROPIN_DIR(rt.service)}/50-pulumi-onprem-readonly.conf`;
            const defaults = `/etc/default/${rt.service}`;
            return [
                `DROPIN=${q(dropin)}`,
                `DEFAULTS=${q(defaults)}`,
                `running() { systemctl is-active --quiet ${q(rt.service)}; }`,
                "readonly_on() {",
                "  if [ -d /run/systemd/system ]; then",
                '    mkdir -p "${DROPIN%/*}"',
                `    printf '[Service]\\nExecStart=\\nExecStart=%s serve %s\\n' ${q(rt.binary)} ${q(job.readOnlyConfig)} > "$DROPIN"`,
                "    systemctl daemon-reload",
                "  else",
                "    # Without systemd, Debian's init script reads CONFIG from its defaults file.",
                '    if [ -e "$DEFAULTS" ]; then cp -p "$DEFAULTS" "$DEFAULTS.pulumi-onprem-gc"; fi',
                `    printf 'CONFIG=%s\\n' ${q(job.readOnlyConfig)} >> "$DEFAULTS"`,
                "  fi",
                `  systemctl restart ${q(rt.service)}`,
                "}",
                "readonly_off() {",
                "  if [ -d /run/systemd/system ]; then",
                '    rm -f "$DROPIN"',
                "    systemctl daemon-reload",
                '  elif [ -e "$DEFAULTS.pulumi-onprem-gc" ]; then',
                '    mv -f "$DEFAULTS.pulumi-onprem-gc" "$DEFAULTS"',
                "  else",
                '    rm -f "$DEFAULTS"',
                "  fi",
                `  systemctl restart ${q(rt.service)}`,
                "}",
                `collect() { runuser -u ${q(rt.user)} -- ${q(rt.binary)} garbage-collect${untagged} ${q(job.config)}; }`,
            ];
        }
        case "container":
            return [
                `NAME=${q(rt.name)}`,
                'running() { [ "$(docker inspect -f \'{{.State.Running}}\' "$NAME" 2>/dev/null)" = true ]; }',
                "# The container is run again as declared: same label (the config digest), so `pulumi up` sees no drift.",
                'label() { docker inspect -f \'{{index .Config.Labels "pulumi-onprem.config"}}\' "$NAME"; }',
                "# Stopped, not killed: the registry finishes the requests in flight first. A container already gone",
                "# is fine (the trap's way back must still run the writable one); one that stays makes `docker run` fail.",
                `stop() { ${rt.stop}; }`,
                "readonly_on() {",
                '  LABEL=$(label)',
                "  stop",
                `  ${rt.run('"$LABEL-readonly"', job.readOnlyConfig)} >/dev/null`,
                "}",
                "readonly_off() {",
                "  stop",
                `  ${rt.run('"$LABEL"')} >/dev/null`,
                "}",
                "collect() {",
                `  if running; then docker exec "$NAME" registry garbage-collect${untagged} ${q(job.config)};`,
                `  else docker run --rm ${rt.mounts} ${q(rt.image)} garbage-collect${untagged} ${q(job.config)}; fi`,
                "}",
            ];
        default:
            return assertNever(rt);
    }
}

function assertNever(value: never): never {
    throw new OnpremError("Bug", `unhandled GC runtime ${JSON.stringify(value)}`);
}
