/**
 * Runs one command as a whole process tree and measures it: wall time, user+sys CPU of the tree
 * (the kernel's accounting of every reaped descendant, read by GNU time), the largest single process's
 * peak RSS, and per role (the Pulumi program, the dynamic provider) the peak RSS seen by polling /proc.
 *
 * Commands are started from node's child_process, whose children get the default disposition for
 * every signal; the SIGINT disposition of the measured `pulumi` process is read back from
 * /proc/PID/status and reported, so a run slowed down by an ignored SIGINT would show.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Measured {
    code: number;
    out: string;
    wall: number;
    /** user + sys seconds of the whole tree */
    cpu: number;
    /** KiB, the largest single process of the tree */
    maxRssKiB: number;
    /** KiB, peak RSS per role seen while polling ("program", "provider", "ansible", ...) */
    roleRssKiB: Record<string, number>;
    /** the first `pulumi` (or other named) process had SIGINT ignored */
    sigintIgnored: boolean | undefined;
}

const TIME = "/usr/bin/time";

function readText(p: string): string | undefined {
    try {
        return fs.readFileSync(p, "utf8");
    } catch {
        return undefined;
    }
}

function children(pid: number): number[] {
    const out: number[] = [];
    const tasks = (() => {
        try {
            return fs.readdirSync(`/proc/${pid}/task`);
        } catch {
            return [];
        }
    })();
    for (const t of tasks) {
        const c = readText(`/proc/${pid}/task/${t}/children`);
        if (c) for (const s of c.trim().split(/\s+/)) if (s) out.push(Number(s));
    }
    return out;
}

function roleOf(cmdline: string): string {
    if (cmdline.includes("dynamic-provider")) return "provider";
    if (cmdline.includes("@pulumi/pulumi/cmd/run") || cmdline.includes("pulumi/cmd/run/")) return "program";
    if (cmdline.includes("pulumi-resource-command")) return "command-provider";
    if (cmdline.startsWith("pulumi\0") || cmdline.includes("/pulumi\0")) return "engine";
    if (cmdline.includes("ansible-playbook")) return "ansible";
    return "other";
}

function field(status: string, name: string): string | undefined {
    const m = status.match(new RegExp(`^${name}:\\s*(.*)$`, "m"));
    return m?.[1];
}

/** Runs `cmd args` in `cwd` with `env`; `watch` names the process whose SIGINT disposition is read. */
export function measure(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; watch?: string; timeoutMs?: number }): Promise<Measured> {
    const timeFile = path.join(os.tmpdir(), `bench-time-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const child = spawn(TIME, ["-f", "%e %U %S %M", "-o", timeFile, cmd, ...args], { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        const roleRssKiB: Record<string, number> = {};
        let sigintIgnored: boolean | undefined;
        const watch = opts.watch ?? path.basename(cmd);
        const poll = () => {
            if (child.pid === undefined) return;
            const seen = new Set<number>();
            const queue = children(child.pid);
            while (queue.length > 0) {
                const pid = queue.pop()!;
                if (seen.has(pid)) continue;
                seen.add(pid);
                const status = readText(`/proc/${pid}/status`);
                const cmdline = readText(`/proc/${pid}/cmdline`) ?? "";
                if (status) {
                    const role = roleOf(cmdline);
                    const hwm = Number((field(status, "VmHWM") ?? "0").replace(/\s*kB$/, ""));
                    if (hwm > (roleRssKiB[role] ?? 0)) roleRssKiB[role] = hwm;
                    if (sigintIgnored === undefined && field(status, "Name") === watch.slice(0, 15)) {
                        const ign = BigInt(`0x${field(status, "SigIgn") ?? "0"}`);
                        sigintIgnored = (ign & 2n) !== 0n;
                    }
                }
                queue.push(...children(pid));
            }
        };
        const timer = setInterval(poll, 100);
        setTimeout(poll, 20);
        const killer = opts.timeoutMs
            ? setTimeout(() => {
                  if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
              }, opts.timeoutMs)
            : undefined;
        child.on("error", reject);
        child.on("close", (code) => {
            clearInterval(timer);
            if (killer) clearTimeout(killer);
            const wall = Number(process.hrtime.bigint() - t0) / 1e9;
            const t = (readText(timeFile) ?? "").trim().split("\n").pop() ?? "";
            fs.rmSync(timeFile, { force: true });
            const m = t.match(/^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/);
            const cpu = m ? Number(m[2]) + Number(m[3]) : NaN;
            const maxRssKiB = m ? Number(m[4]) : NaN;
            resolve({ code: code ?? -1, out, wall, cpu, maxRssKiB, roleRssKiB, sigintIgnored });
        });
    });
}

/** user+sys seconds and peak RSS (KiB) of a running process, from /proc. */
export function procCpu(pid: number): { cpu: number; hwmKiB: number } | undefined {
    const stat = readText(`/proc/${pid}/stat`);
    const status = readText(`/proc/${pid}/status`);
    if (!stat || !status) return undefined;
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(rest[11]) + Number(rest[12])) / 100; // USER_HZ is 100 on Linux
    return { cpu, hwmKiB: Number((field(status, "VmHWM") ?? "0").replace(/\s*kB$/, "")) };
}
