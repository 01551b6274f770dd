/**
 * The engine's one file of its own on a systemd host: a unit that, at every boot, hands the host's own
 * clean-up and rollback of an interrupted transaction back to the host (a power loss kills the sleepers
 * that would have done it). Deterministic, no I/O; the shell it runs comes from the engine.
 */

export const RECOVERY_UNIT_NAME = "pulumi-onprem-recover.service";
export const RECOVERY_UNIT_PATH = `/etc/systemd/system/${RECOVERY_UNIT_NAME}`;

/**
 * `script` as one `ExecStart=/bin/sh -c '...'`: systemd joins lines ending in a backslash and expands `$`
 * and `%`, so the script must be a sequence of complete commands, one a line, with no single quote,
 * backslash or `%` (which systemd would read first).
 */
export function execStartShell(script: string): string {
    if (/['\\%]/.test(script)) throw new Error("a unit's shell line must hold no single quote, backslash or %");
    const lines = script.split("\n").filter((l) => l.trim() !== "");
    return `ExecStart=/bin/sh -c '${lines.map((l) => l.replace(/\$/g, "$$$$")).join(" \\\n  ")}'`;
}

/**
 * Pure: the unit. `Type=exec`: it is started once the shell runs, so boot never waits for a deadline, and
 * the sleepers it re-arms stay in its cgroup (a stop, at shutdown, ends them; the next boot re-arms them).
 * After network.target: the rollback restarts daemons and undoes live state (addresses, OVS records),
 * which needs the network stack up; the daemons may start on the interrupted files first and are put
 * back once the deadline has passed, as the watchdog would have done without the reboot.
 */
export function renderRecoveryUnit(rearmScript: string, stateRoot: string): string {
    return [
        "# Managed by pulumi-onprem: removed when the last resource leaves this host.",
        "[Unit]",
        "Description=pulumi-onprem: finish transactions a power loss or reboot interrupted",
        "After=network.target",
        `ConditionDirectoryNotEmpty=${stateRoot}`,
        "",
        "[Service]",
        "Type=exec",
        execStartShell(rearmScript),
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}
