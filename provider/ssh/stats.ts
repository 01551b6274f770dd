import * as fs from "fs";
import * as path from "path";

/** What one provider process spent on SSH: the figures behind the performance goals. */
export interface SshStats {
    pid: number;
    dials: number;
    handshakes: number;
    commands: number;
    bytesSent: number;
    perHost: Record<string, { handshakes: number; commands: number }>;
}

const stats: SshStats = { pid: process.pid, dials: 0, handshakes: 0, commands: 0, bytesSent: 0, perHost: {} };

function host(key: string) {
    return (stats.perHost[key] ??= { handshakes: 0, commands: 0 });
}

export function countDial(): void {
    stats.dials++;
}
export function countHandshake(key: string): void {
    stats.handshakes++;
    host(key).handshakes++;
}
export function countCommand(key: string, stdinBytes: number): void {
    stats.commands++;
    stats.bytesSent += stdinBytes;
    host(key).commands++;
}

export function sshStats(): SshStats {
    return structuredClone(stats);
}

/**
 * When PULUMI_ONPREM_STATS_DIR is set, each provider process keeps `ssh-stats-<pid>.json` there up to
 * date: the engine runs providers as separate processes, so a file is how the figures get out.
 */
export function flushStats(): void {
    const dir = process.env.PULUMI_ONPREM_STATS_DIR;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `ssh-stats-${process.pid}.json`), JSON.stringify(stats, null, 2));
}
