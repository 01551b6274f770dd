/**
 * A systemd drop-in that brings a daemon back after a crash: Debian's keepalived.service and
 * docker-registry.service have no `Restart=`, so a killed daemon stays down until someone starts it.
 * Deterministic, no I/O.
 */
import { MANAGED_HEADER } from "../managedHeader";

/**
 * Seconds systemd waits before the restart: back within seconds, yet a daemon that dies at once is not
 * started again every 100 ms (systemd's default) until the start limit gives up on it.
 */
const RESTART_SECONDS = 2;

/** A file of our own among `unit`'s drop-ins ("keepalived.service"), beside any the admin wrote. */
export function restartDropInPath(unit: string): string {
    return `/etc/systemd/system/${unit}.d/pulumi-onprem-restart.conf`;
}

/** `on-failure`: a crash or a kill restarts the daemon; `systemctl stop` and a clean exit do not. */
export function renderRestartDropIn(): string {
    return [MANAGED_HEADER, "[Service]", "Restart=on-failure", `RestartSec=${RESTART_SECONDS}s`, ""].join("\n");
}
