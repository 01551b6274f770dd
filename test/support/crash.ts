/**
 * A daemon crash on a VM, as a user would cause it: `kill -9` of a systemd unit's main process, then
 * the wait for systemd to start it again by itself (the unit's Restart=, or the package's drop-in).
 */
import { eventually, type LabHost } from "./lab";
import { secondsSince } from "./pulumi";
import { onAnyHost, runOnHost } from "./vmlab";

export interface Recovery {
    /** From the kill to the unit active again with a new main process. */
    seconds: number;
    /** systemd's own count of restarts for the unit since the kill. */
    restarts: number;
    restartSetting: string;
}

const unitState = (host: LabHost, unit: string) => {
    // systemctl prints the properties in its own order, whatever the order asked: read them by name.
    const r = runOnHost(host, `systemctl show -p MainPID -p ActiveState -p NRestarts -p Restart ${unit}`, { allowFail: true });
    const p = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    return { pid: Number(p.MainPID), active: p.ActiveState, restarts: Number(p.NRestarts), restart: p.Restart };
};

/**
 * Kills `unit`'s main process with SIGKILL and waits (at most `boundMs`) until systemd has it running again.
 * The bound is wide: dockerd took 3.4 min to start again on a VM while the machine ran 8 VMs at once.
 */
export async function crashAndRecover(host: LabHost, unit: string, boundMs = 300_000): Promise<Recovery> {
    const before = unitState(host, unit);
    if (before.active !== "active" || before.pid <= 0) throw new Error(`${host.name}: ${unit} is not running before the crash (${before.active}, PID ${before.pid})`);
    onAnyHost(host, `kill -9 ${before.pid}`);
    const killed = process.hrtime.bigint();
    let now = before;
    await eventually(`${host.name}: ${unit} running again after kill -9 of PID ${before.pid}`, () => {
        now = unitState(host, unit);
        return now.active === "active" && now.pid > 0 && now.pid !== before.pid;
    }, boundMs, 250);
    return { seconds: secondsSince(killed), restarts: now.restarts - before.restarts, restartSetting: now.restart };
}

/** How a test reports a recovery. */
export function recoveryLine(host: LabHost, unit: string, r: Recovery): string {
    return `kill -9 of ${unit}'s main process on ${host.name}: running again after ${r.seconds.toFixed(1)} s (Restart=${r.restartSetting}, ${r.restarts} restart(s) by systemd)`;
}
