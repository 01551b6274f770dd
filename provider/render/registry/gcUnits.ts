/**
 * The systemd service and timer that run the registry's garbage collection job on a schedule.
 * Deterministic, no I/O.
 */
import { MANAGED_HEADER } from "../managedHeader";

export interface GcUnits {
    /** The job the service runs. */
    script: string;
    /** The unit the registry runs as (native) or under (dockerd), for ordering. */
    after: string;
    /** systemd `OnCalendar`. */
    schedule: string;
}

export function renderGcService(units: GcUnits): string {
    return [
        MANAGED_HEADER,
        "[Unit]",
        "Description=Docker registry garbage collection (read-only while it runs)",
        `After=${units.after}`,
        "",
        "[Service]",
        "Type=oneshot",
        `ExecStart=${units.script}`,
        "",
    ].join("\n");
}

export function renderGcTimer(units: GcUnits): string {
    return [
        MANAGED_HEADER,
        "[Unit]",
        "Description=Scheduled Docker registry garbage collection",
        "",
        "[Timer]",
        `OnCalendar=${units.schedule}`,
        // A run missed while the host was off happens at the next boot.
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ].join("\n");
}
