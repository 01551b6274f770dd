import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { eventually, holdsAddress, inventory, inventoryPath, LAB_SCRIPT, LabHost, onHost } from "../support/lab";
import { exampleProject, setObjectConfig } from "../support/pulumi";

const PASSWORD = "vR9pw7xq";
const CONF = "/etc/keepalived/keepalived.conf";

const holds = holdsAddress;

async function timeUntil(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<number> {
    const started = process.hrtime.bigint();
    await eventually(what, probe, timeoutMs, 20);
    return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * From `pulumi stack export`: whether the cluster check saw keepalived running nowhere as it was
 * created, and the node resources each node's resource waited for.
 */
function applyOrder(exported: string, nodes: LabHost[]): { freshStart: unknown; waitsFor: Record<string, string[]> } {
    const resources = (JSON.parse(exported) as { deployment: { resources: { urn: string; type: string; dependencies?: string[]; outputs?: Record<string, unknown> }[] } }).deployment.resources;
    const nodeOf = (urn: string) => nodes.find((n) => urn.endsWith(`::lb-${n.name}`))?.name;
    const check = resources.find((r) => r.type.endsWith(":ClusterCheck"));
    const waitsFor = Object.fromEntries(
        resources.filter((r) => r.type.endsWith(":HostConfig") && nodeOf(r.urn)).map((r) => [nodeOf(r.urn)!, (r.dependencies ?? []).map(nodeOf).filter((n): n is string => n !== undefined).sort()]),
    );
    return { freshStart: check?.outputs?.freshStart, waitsFor };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pids = (hosts: LabHost[]) => hosts.map((h) => onHost(h, "cat /run/keepalived.pid").trim());
const confs = (hosts: LabHost[]) => hosts.map((h) => onHost(h, `sha256sum ${CONF} 2>/dev/null || echo none`));

test("KeepalivedCluster through the real CLI: VIPs on their masters, failover timed, reload in place, a failing node stops all, destroy", async (t) => {
    const hosts = inventory().hosts.slice(0, 3);
    const [n1, n2, n3] = hosts;
    const net = n1.address.replace(/\.\d+$/, "");
    const [vip1, vip2, vip3] = [`${net}.201`, `${net}.202`, `${net}.203`];
    for (const h of hosts) onHost(h, `rm -f ${CONF} /etc/keepalived/down /etc/keepalived/notify.sh; systemctl stop keepalived`, { allowFail: true });
    // n3 had a config of its own before: destroy must give it back byte for byte.
    const original = "# the operator's own keepalived.conf, before pulumi-onprem\n";
    onHost(n3, `mkdir -p /etc/keepalived && printf '%s' "${original}" > ${CONF} && chmod 640 ${CONF}`);
    const statsDir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-stats-"));
    const project = exampleProject("keepalived-dual-master", { PULUMI_ONPREM_STATS_DIR: statsDir });
    setObjectConfig(project, { hosts, vips: [vip1, vip2] });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", PASSWORD]);
    const outputs: string[] = [];
    const run = (args: string[], opts?: { allowFail?: boolean }) => {
        const r = project.pulumi(args, opts);
        outputs.push(r.out);
        return r;
    };

    const preview = run(["preview", "--diff"]).out;
    // On a create the CLI shows the start of each file; line diffs appear on updates (checked below).
    assert.match(preview, /path\s*: "\/etc\/keepalived\/keepalived.conf"/);
    assert.match(preview, /VI_1: "op1"|VI_1: "[^"]+"/, "the expected holders are previewed");

    run(["up", "--yes", "--skip-preview"]);
    // keepalived ran on no node: every node was applied at once (the masters n1 and n2 waited for no node).
    assert.deepEqual(applyOrder(project.pulumi(["stack", "export"]).out, hosts), { freshStart: true, waitsFor: { [n1.name]: [], [n2.name]: [], [n3.name]: [] } });
    await eventually("VI_1 on its master", () => holds(n1, vip1));
    await eventually("VI_2 on its master", () => holds(n2, vip2));
    run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    assert.equal(holds(n2, vip1) || holds(n3, vip1) || holds(n1, vip2) || holds(n3, vip2), false, "each VIP on one node only");
    // The notify script shipped with the config ran on each state change.
    const vrrpState = (h: LabHost, instance: string) => onHost(h, `cat /run/keepalived-${instance}.state 2>/dev/null || true`).trim();
    await eventually("notify scripts report the states", () => vrrpState(n1, "VI_1") === "MASTER" && vrrpState(n2, "VI_1") === "BACKUP" && vrrpState(n2, "VI_2") === "MASTER");
    assert.equal(onHost(n1, `grep -c ${PASSWORD} ${CONF}`).trim(), "2", "the password is filled in on the host");
    const bound = JSON.parse(run(["stack", "output", "failoverBoundSeconds", "--json"]).out).VI_1 as number;

    // Crash the master (parent and VRRP child, SIGKILL, by PID): the next node takes VI_1.
    const crash: number[] = [];
    const graceful: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
        // The VRRP child first: killed after its parent, it would get a parent-death SIGTERM and resign gracefully.
        onHost(n1, "kill -9 $(cat /run/vrrp.pid); kill -9 $(cat /run/keepalived.pid)");
        crash.push(await timeUntil("VI_1 moves to the next node after a crash", () => holds(n2, vip1)));
        await eventually("n2's notify script saw it become master", () => vrrpState(n2, "VI_1") === "MASTER");
        // A crashed keepalived leaves its VIP and pidfiles behind: clear them as an operator would, then start it.
        onHost(n1, `ip -o addr show to ${vip1} | while read -r _ dev _ cidr _; do ip addr del "$cidr" dev "$dev"; done; rm -f /run/keepalived.pid /run/vrrp.pid; systemctl start keepalived`);
        await eventually("VI_1 back on its master (preempt)", () => holds(n1, vip1) && !holds(n2, vip1), 20_000, 50);
        const stopping = spawn("bash", [LAB_SCRIPT, "exec", n1.name, "--", "systemctl", "stop", "keepalived"], { env: { ...process.env, LAB_DIR: path.dirname(inventoryPath()) }, stdio: "ignore" });
        graceful.push(await timeUntil("VI_1 moves after a graceful stop", () => holds(n2, vip1)));
        await new Promise((r) => stopping.once("exit", r));
        await eventually("keepalived stopped", () => onHost(n1, "systemctl is-active keepalived", { allowFail: true }).trim() === "inactive");
        onHost(n1, "systemctl start keepalived");
        await eventually("VI_1 back on its master", () => holds(n1, vip1) && !holds(n2, vip1), 20_000, 50);
    }
    t.diagnostic(`crash failover s: ${crash.map((x) => x.toFixed(2)).join(", ")} (median ${median(crash).toFixed(2)}; computed bound ${bound.toFixed(2)})`);
    t.diagnostic(`graceful failover s: ${graceful.map((x) => x.toFixed(2)).join(", ")} (median ${median(graceful).toFixed(2)})`);
    for (const s of crash) assert.ok(s <= bound + 1.5, `crash failover ${s.toFixed(2)} s exceeds the bound ${bound.toFixed(2)} s (+1.5 s for polling)`);

    // Change VI_2's priorities (n2 stays highest) and add a VIP to VI_1: a reload, no restart, VI_2 never moves.
    const before = pids(hosts);
    const watcher = spawn("bash", ["-c", `while :; do ip -n ${n2.name} -o addr show to ${vip2} | grep -q . || echo gone; sleep 0.05; done`], { stdio: ["ignore", "pipe", "ignore"] });
    t.after(() => watcher.kill()); // also when an assertion below fails
    let vi2Left = "";
    watcher.stdout.on("data", (d: Buffer) => (vi2Left += d.toString()));
    setObjectConfig(project, { hosts, vips: [vip1, vip2, vip3], vi2Priorities: { [n1.name]: 70, [n2.name]: 100, [n3.name]: 90 } });
    fs.rmSync(statsDir, { recursive: true, force: true });
    const changed = run(["preview", "--diff"]).out;
    assert.equal(fs.existsSync(statsDir) ? fs.readdirSync(statsDir).length : 0, 0, "the preview of a change opened no SSH connection");
    assert.match(changed, /lb-op1|lb-[\w-]+\]/, "each changed config is shown under its node's resource");
    // Derived priorities for VI_2 were op2 100, op3 90, op1 80: only op1's line changes.
    assert.match(changed, /-\s+priority 80\n\s+\+\s+priority 70/, "the preview shows the changed priority line as a diff");
    assert.match(changed, new RegExp(vip3.replace(/\./g, "\\.")), "and the added VIP");
    await new Promise<void>((resolve, reject) => {
        const up = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], { cwd: project.dir, env: project.env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        up.stdout.on("data", (d: Buffer) => (out += d));
        up.stderr.on("data", (d: Buffer) => (out += d));
        up.on("exit", (code) => (outputs.push(out), code === 0 ? resolve() : reject(new Error(`pulumi up exited ${code}:\n${out}`))));
    });
    await eventually("the new VIP on VI_1's master", () => holds(n1, vip3));
    // A change to running nodes: the masters waited for the backup (n3), so VIPs move once at most.
    assert.deepEqual(applyOrder(project.pulumi(["stack", "export"]).out, hosts), { freshStart: false, waitsFor: { [n1.name]: [n3.name], [n2.name]: [n3.name], [n3.name]: [] } });
    run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    await new Promise((r) => setTimeout(r, 1000));
    watcher.kill();
    assert.deepEqual(pids(hosts), before, "keepalived was reloaded, not restarted, on every node");
    assert.equal(vi2Left, "", "VI_2's VIP never left its node during the change");

    // One node's config fails `keepalived -t` (its track script is missing there): nothing changes anywhere.
    const script = "/usr/local/sbin/chk-lb";
    for (const h of [n1, n2]) onHost(h, `mkdir -p /usr/local/sbin && printf '#!/bin/sh\\nexit 0\\n' > ${script} && chmod 755 ${script}`);
    onHost(n3, `rm -f ${script}`);
    const confsBefore = confs(hosts);
    const pidsBefore = pids(hosts);
    project.pulumi(["config", "set", "extraCheckScript", script]);
    const failed = run(["up", "--yes", "--skip-preview"], { allowFail: true });
    assert.notEqual(failed.code, 0);
    assert.match(failed.out, new RegExp(`root@${n3.address.replace(/\./g, "\\.")}: keepalived config test \\(keepalived -t\\) failed`));
    assert.deepEqual(confs(hosts), confsBefore, "no node's config changed");
    assert.deepEqual(pids(hosts), pidsBefore, "no node's daemon was touched");
    project.pulumi(["config", "rm", "extraCheckScript"]);

    run(["destroy", "--yes", "--skip-preview"]);
    for (const h of hosts) {
        for (const v of [vip1, vip2, vip3]) assert.equal(holds(h, v), false, `${h.name} still holds ${v}`);
        assert.equal(onHost(h, "test -e /etc/keepalived/notify.sh && echo yes || echo no"), "no\n", "the shipped script is gone");
        if (h === n3) assert.equal(onHost(h, `cat ${CONF}; stat -c %a ${CONF}`), `${original}640\n`, "n3's own config is back");
        else assert.equal(onHost(h, `test -e ${CONF} && echo yes || echo no`), "no\n", "the config that did not exist before is gone");
        assert.equal(onHost(h, "systemctl is-active keepalived", { allowFail: true }).trim(), "inactive", "keepalived stopped: it was not running before");
    }
    const state = run(["stack", "export"]).out;
    for (const out of [...outputs, state]) assert.ok(!out.includes(PASSWORD), "the VRRP password never appears in CLI output or state");
    fs.rmSync(project.dir, { recursive: true, force: true });
    fs.rmSync(statsDir, { recursive: true, force: true });
});
