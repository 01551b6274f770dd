/**
 * The three ways of deploying the benchmark configuration, each as a project in a work directory:
 * this package, Ansible, and a naive @pulumi/command program. Each exposes the same four steps.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Labs } from "./lab";
import { measure, Measured, procCpu } from "./measure";

const ROOT = path.resolve(__dirname, "..");
export type Step = "first" | "noop" | "preview" | "change";
export const STEPS: Step[] = ["first", "noop", "preview", "change"];
export const VIP_SUFFIX = "0.200";

export interface Tool {
    name: string;
    /** a fresh start for one run: a new stack (or none), nothing left from the last run on the hosts */
    reset(labs: Labs, run: string): void;
    step(step: Step, labs: Labs): Promise<Measured>;
}

export interface Toolchain {
    bin: string;
    tarball: string;
    commandProvider?: string;
}

/** The Pulumi CLI built from Go modules (scripts/toolchain.sh), and this package packed as users get it. */
export function toolchain(work: string): Toolchain {
    const out = execFileSync("bash", [path.join(ROOT, "scripts/toolchain.sh")], { stdio: ["ignore", "pipe", "inherit"] }).toString().trim().split("\n");
    const bin = out[out.length - 1];
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
    const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: ROOT }).toString().trim().split("\n").pop()!;
    const candidates = [process.env.PULUMI_COMMAND_PROVIDER, commandProviderPath()].filter((p): p is string => !!p);
    return { bin, tarball: path.join(work, name), commandProvider: candidates.find((p) => fs.existsSync(p)) };
}

/** Where bench/build-command-provider.sh puts the @pulumi/command provider it builds. */
function commandProviderPath(): string {
    return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-onprem/command-provider/v1.2.1/pulumi-resource-command");
}

function vipOf(labs: Labs): string {
    return `${labs.hosts[0].address.split(".").slice(0, 2).join(".")}.${VIP_SUFFIX}`;
}

/** Clears what any tool left on the hosts: keepalived stopped, the managed files and state removed. */
export function cleanHosts(labs: Labs, exec: (h: Labs["hosts"][number], s: string) => string): void {
    for (const h of labs.hosts) {
        exec(h, "systemctl stop keepalived >/dev/null 2>&1; rm -rf /etc/keepalived/keepalived.conf /etc/keepalived/pulumi-onprem-maintenance /etc/docker /var/lib/pulumi-onprem /tmp/bench-*; :");
    }
}

class PulumiTool implements Tool {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    private stack = "";

    constructor(readonly name: string, program: string, work: string, tc: Toolchain, deps: string[]) {
        this.dir = path.join(work, name);
        // the program and its packages: reinstalled only when the program or the packed package changed
        const source = path.join(ROOT, "bench/programs", program);
        const stamp = crypto.createHash("sha256");
        for (const f of fs.readdirSync(source).sort()) stamp.update(`${f}\0${fs.readFileSync(path.join(source, f))}\0`);
        for (const d of deps) stamp.update(fs.existsSync(d) ? fs.readFileSync(d) : d);
        const want = stamp.digest("hex");
        const stampFile = path.join(this.dir, ".bench-stamp");
        if (!fs.existsSync(stampFile) || fs.readFileSync(stampFile, "utf8") !== want) {
            fs.rmSync(this.dir, { recursive: true, force: true });
            fs.cpSync(source, this.dir, { recursive: true });
            execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", ...deps], { cwd: this.dir, stdio: "inherit" });
            fs.writeFileSync(stampFile, want);
        }
        const backend = path.join(this.dir, ".pulumi-state");
        fs.mkdirSync(backend, { recursive: true });
        this.env = {
            ...process.env,
            PATH: `${tc.bin}:${process.env.PATH}`,
            PULUMI_HOME: path.join(this.dir, ".pulumi-home"),
            PULUMI_BACKEND_URL: `file://${backend}`,
            PULUMI_CONFIG_PASSPHRASE: "bench",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            NO_COLOR: "1",
        };
    }

    pulumi(args: string[]): string {
        const r = spawnSync("pulumi", ["--non-interactive", ...args], { cwd: this.dir, env: this.env, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`${this.name}: pulumi ${args.join(" ")}: ${r.stdout}${r.stderr}`);
        return r.stdout;
    }

    reset(_labs: Labs, run: string): void {
        // the state of the last run goes (the hosts were cleaned), the new run starts from an empty stack
        for (const stack of new Set([this.stack, run])) {
            if (stack) spawnSync("pulumi", ["--non-interactive", "stack", "rm", "--force", "--yes", stack], { cwd: this.dir, env: this.env, stdio: "ignore" });
        }
        this.stack = run;
        this.pulumi(["stack", "init", run]);
    }

    step(step: Step, labs: Labs): Promise<Measured> {
        const env = { ...this.env, BENCH_INVENTORY: labs.inventory, BENCH_VIP: vipOf(labs), BENCH_CHANGE: step === "preview" || step === "change" ? "1" : "0" };
        const args = step === "preview" ? ["preview", "--diff"] : ["up", "--skip-preview", "--yes"];
        return measure("pulumi", ["--non-interactive", ...args], { cwd: this.dir, env, watch: "pulumi", timeoutMs: 900_000 });
    }
}

export function onpremTool(work: string, tc: Toolchain): Tool {
    return new PulumiTool("onprem", "onprem", work, tc, [tc.tarball]);
}

/** Another packed version of this package (`npm pack` of an earlier commit), for before/after pairs. */
export function baselineTool(work: string, tc: Toolchain, tarball: string): Tool {
    return new PulumiTool("baseline", "onprem", work, tc, [tarball]);
}

export function emptyTool(work: string, tc: Toolchain): PulumiTool {
    return new PulumiTool("empty", "empty", work, tc, []);
}

export function commandTool(work: string, tc: Toolchain): Tool {
    const t = new PulumiTool("command", "command", work, tc, []);
    t.pulumi(["plugin", "install", "resource", "command", "1.2.1", "--file", tc.commandProvider!]);
    return t;
}

/** Ansible: Debian's package, the playbook in bench/ansible, forks enough for every host, pipelining on. */
export class AnsibleTool implements Tool {
    readonly name = "ansible";
    readonly dir: string;
    private run = "";

    constructor(work: string) {
        this.dir = path.join(work, "ansible");
        fs.rmSync(this.dir, { recursive: true, force: true });
        fs.cpSync(path.join(ROOT, "bench/ansible"), this.dir, { recursive: true });
    }

    reset(labs: Labs, run: string): void {
        this.run = run;
        const vip = vipOf(labs);
        const lines = ["[bench]"];
        for (const h of labs.hosts) lines.push(`${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=${h.user}`);
        lines.push("", "[bench:vars]", `ansible_ssh_private_key_file=${labs.privateKeyPath}`, `vip=${vip}`, `registry=${labs.hosts[0].address}`);
        fs.writeFileSync(path.join(this.dir, "inventory.ini"), `${lines.join("\n")}\n`);
        fs.writeFileSync(path.join(this.dir, "known_hosts"), labs.hosts.map((h) => `${h.address} ${h.hostPublicKey}\n`).join(""));
    }

    async step(step: Step, labs: Labs): Promise<Measured> {
        // a control-socket directory of its own per command: every command starts without open connections
        const cp = fs.mkdtempSync(path.join(this.dir, `cp-${this.run}-`));
        const env = {
            ...process.env,
            ANSIBLE_CONFIG: path.join(this.dir, "ansible.cfg"),
            ANSIBLE_FORKS: String(Math.max(5, labs.hosts.length)),
            ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
            ANSIBLE_SSH_COMMON_ARGS: `-o UserKnownHostsFile=${path.join(this.dir, "known_hosts")} -o StrictHostKeyChecking=yes`,
            ANSIBLE_NOCOLOR: "1",
        };
        const args = ["-i", "inventory.ini", "playbook.yml"];
        if (step === "preview") args.push("--check", "--diff");
        if (step === "preview" || step === "change") args.push("-e", "bench_change=1");
        const m = await measure("ansible-playbook", args, { cwd: this.dir, env, watch: "ansible-playboo", timeoutMs: 900_000 });
        // ControlPersist masters outlive the run: add their CPU and memory, then close them
        for (const sock of fs.readdirSync(cp)) {
            const check = spawnSync("ssh", ["-O", "check", "-S", path.join(cp, sock), "x"], { encoding: "utf8" });
            const pid = Number((check.stderr.match(/pid=(\d+)/) ?? [])[1]);
            if (pid) {
                const p = procCpu(pid);
                if (p) {
                    m.cpu += p.cpu;
                    m.roleRssKiB.ssh = Math.max(m.roleRssKiB.ssh ?? 0, p.hwmKiB);
                }
            }
            spawnSync("ssh", ["-O", "exit", "-S", path.join(cp, sock), "x"], { encoding: "utf8" });
        }
        fs.rmSync(cp, { recursive: true, force: true });
        return m;
    }
}
