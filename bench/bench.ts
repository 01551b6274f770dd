/**
 * npm run bench -- [--hosts 3,10,30] [--runs 3] [--tools onprem,ansible,command] [--no-fixed] [--no-planners]
 *                  [--lab-dir DIR] [--work DIR] [--keep-lab] [--baseline TARBALL]
 *
 * Brings up its own netns lab and deploys the benchmark configuration (a 1-instance unicast keepalived
 * cluster validated with `keepalived -t` and reloaded, plus three daemon.json keys per host) with each
 * tool: first deploy, no-op, preview of a one-line change, the change. Tools are interleaved run by
 * run. Prints a Markdown report and writes it, with the raw figures as JSON, to the work directory.
 * It prints figures; it never judges them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { labExec, Labs, labsDown, labsUp, passiveOpens, serviceActions } from "./lab";
import { measure, Measured } from "./measure";
import { AnsibleTool, baselineTool, cleanHosts, commandTool, emptyTool, onpremTool, Step, STEPS, Tool, toolchain } from "./tools";

const ROOT = path.resolve(__dirname, "..");

interface Options {
    hosts: number[];
    runs: number;
    tools: string[];
    fixed: boolean;
    planners: boolean;
    labDir: string;
    work: string;
    keepLab: boolean;
    /** a packed earlier version of this package, run as the tool "baseline" beside the others */
    baseline?: string;
}

function parseArgs(argv: string[]): Options {
    const o: Options = {
        hosts: [3, 10, 30],
        runs: 3,
        tools: ["onprem", "ansible", "command"],
        fixed: true,
        planners: true,
        labDir: path.join(os.tmpdir(), "pulumi-onprem-bench-lab"),
        work: path.join(os.tmpdir(), "pulumi-onprem-bench"),
        keepLab: false,
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = () => {
            const x = argv[++i];
            if (x === undefined) throw new Error(`${a} needs a value`);
            return x;
        };
        if (a === "--hosts") o.hosts = v().split(",").map(Number);
        else if (a === "--runs") o.runs = Number(v());
        else if (a === "--tools") o.tools = v().split(",");
        else if (a === "--no-fixed") o.fixed = false;
        else if (a === "--no-planners") o.planners = false;
        else if (a === "--lab-dir") o.labDir = path.resolve(v());
        else if (a === "--work") o.work = path.resolve(v());
        else if (a === "--keep-lab") o.keepLab = true;
        else if (a === "--baseline") o.baseline = path.resolve(v());
        else if (a === "-h" || a === "--help") {
            console.log(fs.readFileSync(__filename, "utf8").split("\n").slice(1, 4).map((l) => l.replace(/^ \* ?/, "")).join("\n"));
            process.exit(0);
        } else throw new Error(`unknown argument ${a} (see --help)`);
    }
    if (o.hosts.some((n) => !Number.isInteger(n) || n < 2 || n > 178)) throw new Error("--hosts: each N in 2..178");
    if (!(o.runs >= 1)) throw new Error("--runs: at least 1");
    for (const t of o.tools) if (!["onprem", "ansible", "command"].includes(t)) throw new Error(`--tools: unknown tool ${t}`);
    if (o.baseline !== undefined) {
        if (!fs.existsSync(o.baseline)) throw new Error(`--baseline: no file ${o.baseline}`);
        o.tools.push("baseline");
    }
    return o;
}

interface Row {
    tool: string;
    hosts: number;
    run: number;
    step: Step | "empty-noop" | "onprem-noop" | "sigint-ignored" | "sigint-default";
    wall: number;
    cpu: number;
    maxRssKiB: number;
    programRssKiB: number;
    providerRssKiB: number;
    sshOpens: number;
    reloads: number;
    starts: number;
    code: number;
    sigintIgnored?: boolean;
}

const uptimes: string[] = [];
function uptime(label: string): void {
    const line = `${new Date().toISOString()} ${label}: load average ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(", ")}`;
    uptimes.push(line);
    console.log(`# ${line}`);
}

function ensureAnsible(): void {
    if (spawnSync("ansible-playbook", ["--version"], { stdio: "ignore" }).status === 0) return;
    console.log("# installing Debian's ansible package");
    execFileSync("apt-get", ["install", "-y", "-q", "ansible"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

/** sha256 of the managed files on every host: the tools must leave the same bytes. */
function fileDigest(labs: Labs): string {
    const h = crypto.createHash("sha256");
    for (const host of labs.hosts) h.update(labExec(host, "cat /etc/keepalived/keepalived.conf /etc/keepalived/pulumi-onprem-maintenance /etc/docker/daemon.json; stat -c '%a %U %G' /etc/keepalived/keepalived.conf /etc/keepalived/pulumi-onprem-maintenance /etc/docker/daemon.json"));
    return h.digest("hex").slice(0, 16);
}

async function counted(labs: Labs, run: () => Promise<Measured>): Promise<Omit<Row, "tool" | "hosts" | "run" | "step">> {
    const opens0 = passiveOpens(labs.hosts);
    const act0 = serviceActions(labs.hosts);
    const m = await run();
    const opens1 = passiveOpens(labs.hosts);
    const act1 = serviceActions(labs.hosts);
    const d = (k: string) => (act1[k] ?? 0) - (act0[k] ?? 0);
    return {
        wall: m.wall,
        cpu: m.cpu,
        maxRssKiB: m.maxRssKiB,
        programRssKiB: m.roleRssKiB.program ?? m.roleRssKiB.ansible ?? 0,
        providerRssKiB: m.roleRssKiB.provider ?? m.roleRssKiB["command-provider"] ?? 0,
        sshOpens: opens1 - opens0,
        reloads: d("reload") + d("force-reload"),
        starts: d("start") + d("restart"),
        code: m.code,
        sigintIgnored: m.sigintIgnored,
        ...(m.code !== 0 ? { out: m.out.slice(-4000) } : {}),
    };
}

// ---- reporting ------------------------------------------------------------------------------

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[], digits = 2) => {
    const s = [...xs].sort((a, b) => a - b);
    return xs.length > 1 ? `${median(xs).toFixed(digits)} (${s[0].toFixed(digits)}-${s[s.length - 1].toFixed(digits)})` : xs[0].toFixed(digits);
};
const mib = (kib: number) => kib / 1024;

function report(rows: Row[], opts: Options, extra: string[]): string {
    const out: string[] = [];
    const steps: Row["step"][] = STEPS;
    for (const n of opts.hosts) {
        out.push(`\n### ${n} hosts\n`);
        out.push("| step | tool | wall s | cpu s | peak RSS MiB (largest process) | program RSS MiB | SSH conns | reloads | starts | exit |");
        out.push("|---|---|---|---|---|---|---|---|---|---|");
        for (const step of steps) {
            for (const tool of opts.tools) {
                const rs = rows.filter((r) => r.hosts === n && r.step === step && r.tool === tool);
                if (rs.length === 0) continue;
                out.push(
                    `| ${step} | ${tool} | ${fmt(rs.map((r) => r.wall))} | ${fmt(rs.map((r) => r.cpu))} | ${fmt(rs.map((r) => mib(r.maxRssKiB)), 0)} | ${fmt(rs.map((r) => mib(r.programRssKiB)), 0)} | ${fmt(rs.map((r) => r.sshOpens), 0)} | ${fmt(rs.map((r) => r.reloads), 0)} | ${fmt(rs.map((r) => r.starts), 0)} | ${[...new Set(rs.map((r) => r.code))].join(",")} |`,
                );
            }
        }
        // ratios pair by pair (same run): other tool's wall / onprem's wall
        const others = opts.tools.filter((t) => t !== "onprem");
        if (opts.tools.includes("onprem") && others.length > 0) {
            out.push("");
            out.push(`| step | ${others.map((t) => `${t} / onprem (wall, pair by pair)`).join(" | ")} |`);
            out.push(`|---|${others.map(() => "---").join("|")}|`);
            for (const step of steps) {
                const cells = others.map((t) => {
                    const ratios: number[] = [];
                    for (let run = 1; run <= opts.runs; run++) {
                        const a = rows.find((r) => r.hosts === n && r.step === step && r.tool === t && r.run === run);
                        const b = rows.find((r) => r.hosts === n && r.step === step && r.tool === "onprem" && r.run === run);
                        if (a && b) ratios.push(a.wall / b.wall);
                    }
                    return ratios.length ? `${fmt(ratios)}x` : "-";
                });
                out.push(`| ${step} | ${cells.join(" | ")} |`);
            }
        }
    }
    const fixed = rows.filter((r) => r.step === "empty-noop" || r.step === "onprem-noop" || r.step.startsWith("sigint"));
    if (fixed.length > 0) {
        out.push("\n### Fixed cost at 3 hosts: `pulumi up` no-op\n");
        out.push("| program | wall s | cpu s | program RSS MiB | SIGINT ignored in pulumi |");
        out.push("|---|---|---|---|---|");
        for (const step of ["empty-noop", "onprem-noop", "sigint-default", "sigint-ignored"] as const) {
            const rs = fixed.filter((r) => r.step === step);
            if (rs.length) out.push(`| ${step} | ${fmt(rs.map((r) => r.wall))} | ${fmt(rs.map((r) => r.cpu))} | ${fmt(rs.map((r) => mib(r.programRssKiB)), 0)} | ${[...new Set(rs.map((r) => String(r.sigintIgnored)))].join(",")} |`);
        }
        const diffs: number[] = [];
        for (let run = 1; run <= opts.runs; run++) {
            const a = fixed.find((r) => r.step === "onprem-noop" && r.run === run);
            const b = fixed.find((r) => r.step === "empty-noop" && r.run === run);
            if (a && b) diffs.push(a.wall - b.wall);
        }
        if (diffs.length) out.push(`\nonprem no-op minus empty no-op, pair by pair: ${fmt(diffs)} s`);
    }
    out.push(...extra);
    out.push("\n### Load average\n");
    for (const u of uptimes) out.push(`- ${u}`);
    const ignored = rows.filter((r) => r.sigintIgnored && r.step !== "sigint-ignored");
    out.push(`\nMeasured pulumi/ansible processes with SIGINT ignored: ${ignored.length} of ${rows.filter((r) => r.step !== "sigint-ignored").length}.`);
    return out.join("\n");
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
    const opts = parseArgs(process.argv.slice(2));
    if (process.getuid?.() !== 0) throw new Error("npm run bench needs root (the lab makes network namespaces)");
    fs.mkdirSync(opts.work, { recursive: true });
    const started = Date.now();
    console.log(`# bench: hosts ${opts.hosts.join(",")}, runs ${opts.runs}, tools ${opts.tools.join(",")}; ${os.cpus().length} cores, ${os.cpus()[0]?.model}`);
    uptime("start");

    if (opts.tools.includes("ansible")) ensureAnsible();
    const tc = toolchain(opts.work);
    const extra: string[] = [];
    if (opts.tools.includes("command") && !tc.commandProvider) {
        console.log("# no pulumi-resource-command built (see bench/README.md): leaving the @pulumi/command program out");
        extra.push("\n@pulumi/command: left out, no provider binary was found (see bench/README.md).");
        opts.tools = opts.tools.filter((t) => t !== "command");
    }
    const tools: Tool[] = opts.tools.map((t) =>
        t === "onprem" ? onpremTool(opts.work, tc) : t === "ansible" ? new AnsibleTool(opts.work) : t === "baseline" ? baselineTool(opts.work, tc, opts.baseline!) : commandTool(opts.work, tc),
    );
    const rows: Row[] = [];
    const rawPath = path.join(opts.work, "results.json");
    const save = () => fs.writeFileSync(rawPath, JSON.stringify({ opts, uptimes, rows }, null, 2));

    // an interrupted bench still takes its labs down
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            if (!opts.keepLab) labsDown(opts.labDir);
            save();
            process.exit(130);
        });
    }
    try {
        for (const n of opts.hosts) {
            const labs = labsUp(opts.labDir, n);
            uptime(`${n} hosts: before`);
            const digests: Record<string, string[]> = {};
            for (let run = 1; run <= opts.runs; run++) {
                // interleaved: each run starts with the next tool
                const order = tools.map((_, i) => tools[(i + run - 1) % tools.length]);
                for (const tool of order) {
                    cleanHosts(labs, labExec);
                    tool.reset(labs, `n${n}r${run}`);
                    for (const step of STEPS) {
                        const r = await counted(labs, () => tool.step(step, labs));
                        rows.push({ tool: tool.name, hosts: n, run, step, ...r });
                        console.log(`${tool.name.padEnd(8)} n=${String(n).padEnd(3)} run ${run} ${step.padEnd(8)} wall ${r.wall.toFixed(2)} s  cpu ${r.cpu.toFixed(2)} s  rss ${mib(r.maxRssKiB).toFixed(0)} MiB  ssh ${r.sshOpens}  reloads ${r.reloads}  starts ${r.starts}  exit ${r.code}${r.sigintIgnored ? "  SIGINT IGNORED" : ""}`);
                        if (r.code !== 0) console.log((r as { out?: string }).out ?? "");
                        if (step === "first" || step === "change") (digests[`${step}`] ??= []).push(`${tool.name}:${fileDigest(labs)}`);
                    }
                    save();
                }
            }
            for (const [step, ds] of Object.entries(digests)) {
                const distinct = new Set(ds.map((d) => d.split(":")[1]));
                const verdict = ds.length < 2 ? "one tool, one run: nothing to compare" : distinct.size === 1 ? `byte-identical across ${ds.length} deploys (tools and runs)` : `DIFFER: ${ds.join(" ")}`;
                const line = `files after ${step} at ${n} hosts: ${verdict}`;
                console.log(`# ${line}`);
                extra.push(`\n${line}`);
            }
            uptime(`${n} hosts: after`);
        }

        if (opts.fixed) {
            const labs = labsUp(opts.labDir, 3);
            uptime("fixed cost: before");
            const onprem = tools.find((t) => t.name === "onprem") ?? onpremTool(opts.work, tc);
            const empty = emptyTool(opts.work, tc);
            cleanHosts(labs, labExec);
            onprem.reset(labs, "fixed");
            await onprem.step("first", labs);
            empty.reset(labs, "fixed");
            await empty.step("first", labs);
            for (let run = 1; run <= opts.runs; run++) {
                for (const [name, t] of (run % 2 ? [["empty-noop", empty], ["onprem-noop", onprem]] : [["onprem-noop", onprem], ["empty-noop", empty]]) as [Row["step"], Tool][]) {
                    const r = await counted(labs, () => t.step("noop", labs));
                    rows.push({ tool: t.name, hosts: 3, run, step: name, ...r });
                    console.log(`${name.padEnd(12)} run ${run} wall ${r.wall.toFixed(2)} s  cpu ${r.cpu.toFixed(2)} s  sigint ignored ${r.sigintIgnored}`);
                }
            }
            // the trap the harness avoids, shown once: the empty no-op with SIGINT ignored, as a
            // background job of a non-interactive shell would start it
            const env = { ...empty.env, BENCH_CHANGE: "0" };
            for (const [name, script] of [["sigint-default", "exec pulumi --non-interactive up --skip-preview --yes"], ["sigint-ignored", "trap '' INT; exec pulumi --non-interactive up --skip-preview --yes"]] as const) {
                const m = await measure("sh", ["-c", script], { cwd: empty.dir, env, watch: "pulumi" });
                rows.push({ tool: "empty", hosts: 3, run: 1, step: name, wall: m.wall, cpu: m.cpu, maxRssKiB: m.maxRssKiB, programRssKiB: m.roleRssKiB.program ?? 0, providerRssKiB: 0, sshOpens: 0, reloads: 0, starts: 0, code: m.code, sigintIgnored: m.sigintIgnored });
                console.log(`${name.padEnd(14)} wall ${m.wall.toFixed(2)} s  sigint ignored ${m.sigintIgnored}`);
            }
            uptime("fixed cost: after");
            save();
        }

        if (opts.planners) {
            uptime("planners: before");
            const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "planners.ts"), "--runs", String(opts.runs)], { cwd: ROOT, encoding: "utf8" });
            process.stdout.write(r.stdout);
            if (r.status !== 0) process.stdout.write(r.stderr);
            extra.push("\n### Planners (pure, in one process)\n", r.stdout.trim());
            uptime("planners: after");
        }
    } finally {
        if (!opts.keepLab) labsDown(opts.labDir);
        save();
    }

    const md = `## Results ${new Date().toISOString().slice(0, 10)}\n\n${os.cpus().length} cores (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ` +
        `hosts ${opts.hosts.join(",")}, ${opts.runs} runs, tools ${opts.tools.join(",")}; medians (min-max); total ${((Date.now() - started) / 60000).toFixed(1)} min\n` +
        report(rows, opts, extra);
    fs.writeFileSync(path.join(opts.work, "results.md"), `${md}\n`);
    console.log(`\n${md}\n\n# written: ${path.join(opts.work, "results.md")}, ${rawPath}`);
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
