/**
 * The benchmark's own netns lab(s), made with test/lab/lab.sh under names and networks of their own.
 * A lab holds at most 89 hosts; more hosts take a second lab on the next network.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const LAB_SH = path.join(ROOT, "test/lab/lab.sh");
/** lab.sh's limit; BENCH_LAB_MAX lowers it, to try the two-lab set-up with a few hosts. */
export const LAB_MAX = Math.min(89, Number(process.env.BENCH_LAB_MAX ?? 89));

export interface LabHost {
    name: string;
    address: string;
    port: number;
    user: string;
    hostPublicKey: string;
    init1Pid: number;
    labDir: string;
}

export interface Labs {
    hosts: LabHost[];
    /** one inventory file holding every host, in the shape of lab.sh's */
    inventory: string;
    privateKeyPath: string;
    dirs: string[];
}

interface LabSpec {
    dir: string;
    name: string;
    net: string;
}

function labSpecs(base: string, count: number): LabSpec[] {
    // bn on 10.83, bo on 10.84, ...
    return Array.from({ length: count }, (_, i) => ({ dir: `${base}-${i + 1}`, name: `b${String.fromCharCode(110 + i)}`, net: `10.${83 + i}` }));
}

function labSh(spec: LabSpec, args: string[]): void {
    execFileSync("bash", [LAB_SH, ...args], { env: { ...process.env, LAB_DIR: spec.dir, LAB_NAME: spec.name, LAB_NET: spec.net }, stdio: ["ignore", "ignore", "inherit"] });
}

/** Brings up `n` hosts (one lab per 89), recreating labs of earlier sizes. */
export function labsUp(base: string, n: number): Labs {
    const count = Math.ceil(n / LAB_MAX);
    labsDown(base);
    const hosts: LabHost[] = [];
    let privateKeyPath = "";
    const specs = labSpecs(base, count);
    specs.forEach((spec, i) => {
        const size = i < count - 1 ? LAB_MAX : n - LAB_MAX * (count - 1);
        labSh(spec, ["up", String(size)]);
        const inv = JSON.parse(fs.readFileSync(path.join(spec.dir, "inventory.json"), "utf8"));
        privateKeyPath ||= inv.privateKeyPath;
        for (const h of inv.hosts) {
            hosts.push({ name: h.name, address: h.address, port: h.port, user: h.user, hostPublicKey: h.hostPublicKey, init1Pid: h.init1Pid, labDir: spec.dir });
        }
        // one key for all labs: the second lab's hosts get the first lab's key authorised
        if (i > 0) {
            const pub = fs.readFileSync(`${privateKeyPath}.pub`, "utf8");
            for (const h of inv.hosts) labExec({ name: h.name, labDir: spec.dir } as LabHost, `cat >> /root/.ssh/authorized_keys <<'EOF'\n${pub}EOF`);
        }
    });
    const inventory = path.join(`${base}-1`, "bench-inventory.json");
    fs.writeFileSync(inventory, JSON.stringify({ privateKeyPath, hosts }, null, 2));
    return { hosts, inventory, privateKeyPath, dirs: specs.map((s) => s.dir) };
}

/** Tears down every bench lab under `base` (those this harness made). */
export function labsDown(base: string): void {
    for (const spec of labSpecs(base, 4)) {
        if (fs.existsSync(path.join(spec.dir, "lab.env"))) labSh(spec, ["down"]);
    }
}

/** Runs a shell script inside a lab host, without SSH. */
export function labExec(host: Pick<LabHost, "name" | "labDir">, script: string): string {
    const r = spawnSync("bash", [LAB_SH, "exec", host.name, "--", "sh", "-c", script], { env: { ...process.env, LAB_DIR: host.labDir }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${host.name}: ${script}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
}

/** TCP connections accepted by each host so far (its network namespace's TcpPassiveOpens). */
export function passiveOpens(hosts: LabHost[]): number {
    let sum = 0;
    for (const h of hosts) {
        const snmp = fs.readFileSync(`/proc/${h.init1Pid}/net/snmp`, "utf8").split("\n").filter((l) => l.startsWith("Tcp:"));
        const names = snmp[0].split(/\s+/);
        const values = snmp[1].split(/\s+/);
        sum += Number(values[names.indexOf("PassiveOpens")]);
    }
    return sum;
}

/** keepalived start/reload/restart actions the hosts' systemctl shim has logged so far. */
export function serviceActions(hosts: LabHost[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const h of hosts) {
        const log = path.join(h.labDir, "hosts", h.name, "upper/var/log/lab-systemctl.log");
        let text = "";
        try {
            text = fs.readFileSync(log, "utf8");
        } catch {
            continue;
        }
        for (const m of text.matchAll(/^--- \S+ \S+ keepalived: \S+ (\S+)$/gm)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
    }
    return counts;
}
