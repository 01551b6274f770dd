/**
 * The maintenance flag keepalived tracks (`track_file`): a bare number, since keepalived reads the
 * whole file as one. 1 puts the node in maintenance, 0 takes it out.
 */
export function renderMaintenanceFlag(inMaintenance: boolean): string {
    return inMaintenance ? "1\n" : "0\n";
}
