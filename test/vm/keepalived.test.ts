// KeepalivedCluster with LVS on real machines: real systemd, kernel IPVS, HTTP real servers in dockerd.
// vm1 master, vm2 backup; the real servers are vm2 and vm3.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { test } from "node:test";
import { eventually, holdsAddress, inventory, type LabHost } from "../support/lab";
import { exampleProject, secondsSince, setObjectConfig, timedPulumi } from "../support/pulumi";
import { labKind, onAnyHost, runOnHost } from "../support/vmlab";

const PASSWORD = "Kq2wz8mb";
const CONF = "/etc/keepalived/keepalived.conf";
const WEB = "onprem-test-web";
const WEB_PORT = 8080;
/** examples/keepalived-lvs's HTTP_GET: delay_loop 6, connect_timeout 3, retry 3, delay_before_retry 3. */
const CHECK_BOUND_SECONDS = 6 + 3 * 3 + (3 + 1) * 3;
/** keepalived's own timers run on an emulated CPU (TCG) that the machine may starve: allowed on top of its bound. */
const KEEPALIVED_SLACK_SECONDS = 2;

const unitState = (h: LabHost) => runOnHost(h, "systemctl is-enabled keepalived; systemctl is-active keepalived", { allowFail: true }).stdout.trim();
const mainPid = (h: LabHost) => onAnyHost(h, "systemctl show -p MainPID --value keepalived");
/** The real servers IPVS lists for the virtual server: address:port -> weight. */
function pool(h: LabHost, vip: string): Record<string, number> {
    const out = runOnHost(h, `ipvsadm -Ln -t ${vip}:80`, { allowFail: true }).stdout;
    return Object.fromEntries([...out.matchAll(/->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+\w+\s+(\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

/**
 * Polls `probe` from this process until it holds; the event happened between the start of the last probe
 * that did not see it and the end of the first that did, both in seconds from `since` (one clock).
 */
async function timeUntil(what: string, since: bigint, probe: () => boolean, timeoutSeconds: number): Promise<{ after: number; by: number }> {
    let after = 0;
    for (;;) {
        const began = secondsSince(since);
        if (probe()) return { after, by: secondsSince(since) };
        if (began > timeoutSeconds) throw new Error(`timed out after ${timeoutSeconds} s waiting for: ${what}`);
        after = began;
        await new Promise((r) => setTimeout(r, 200));
    }
}
const span = (w: { after: number; by: number }) => `${w.after.toFixed(1)}-${w.by.toFixed(1)} s`;

function startWeb(h: LabHost): void {
    runOnHost(h, `docker rm -f ${WEB} >/dev/null 2>&1; docker run -d --name ${WEB} -p ${WEB_PORT}:80 onprem-test/busybox sh -c 'mkdir -p /www && echo ${h.name} > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null`);
}

test("KeepalivedCluster with LVS on VMs: IPVS pool follows the HTTP checks, reload keeps the PID, kill -9 fails over in bound, destroy leaves nothing", async (t) => {
    assert.equal(labKind(), "vm", "this test needs the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    const [lb1, lb2, web3] = inventory().hosts;
    assert.ok(lb1 && lb2 && web3, "the VM lab needs 3 VMs");
    const nodes = [lb1, lb2];
    const realServers = [lb2, web3];
    const all = [lb1, lb2, web3];
    const vip = `${lb1.address.replace(/\.\d+$/, "")}.150`;
    const rs = (h: LabHost) => `${h.address}:${WEB_PORT}`;

    for (const h of nodes) runOnHost(h, "systemctl stop keepalived; ipvsadm -C", { allowFail: true });
    const before = nodes.map((h) => ({ unit: unitState(h), etc: onAnyHost(h, "ls -A /etc/keepalived 2>/dev/null; true") }));
    for (const b of before) assert.equal(b.unit, "disabled\ninactive", "keepalived starts disabled and stopped, as the lab leaves it");
    for (const h of realServers) startWeb(h);
    t.after(() => {
        for (const h of realServers) runOnHost(h, `docker rm -f ${WEB} >/dev/null 2>&1; true`, { allowFail: true });
    });
    for (const h of realServers) {
        await eventually(`${h.name}'s web server answers`, () => runOnHost(lb1, `curl -sf --max-time 3 http://${rs(h)}/`, { allowFail: true }).stdout.trim() === h.name, 60_000, 1000);
    }

    const project = exampleProject("keepalived-lvs");
    t.after(() => fs.rmSync(project.dir, { recursive: true, force: true }));
    const timed = timedPulumi(t, project);
    const run = (args: string[]) => timed(args).out;
    setObjectConfig(project, { hosts: nodes, vip, realServers: realServers.map(rs) });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", PASSWORD]);

    run(["up", "--yes"]);
    const bound = (JSON.parse(project.pulumi(["stack", "output", "failoverBoundSeconds", "--json"]).out) as Record<string, number>).VI_1;
    assert.ok(bound > 0, "the stack says how long a failover may take");
    await eventually("the VIP on the master", () => holdsAddress(lb1, vip), 30_000, 500);
    assert.equal(holdsAddress(lb2, vip), false, "the backup does not hold the VIP");
    for (const h of nodes) assert.equal(unitState(h), "enabled\nactive", `${h.name}: keepalived enabled for boot and running`);
    await eventually("IPVS on the master lists both real servers", () => Object.keys(pool(lb1, vip)).sort().join() === realServers.map(rs).sort().join(), 60_000, 1000);
    assert.deepEqual(pool(lb1, vip), Object.fromEntries(realServers.map((h) => [rs(h), 1])));
    const rerun = run(["up", "--yes", "--expect-no-changes"]);
    assert.doesNotMatch(rerun, /updated|created|replaced|deleted/, rerun);

    // A real server's service stops: the check takes it out of the pool, and puts it back when it returns.
    // The clock starts when the service is down (docker stop has returned).
    onAnyHost(web3, `docker stop ${WEB} >/dev/null`);
    let started = process.hrtime.bigint();
    const out = await timeUntil(`${web3.name} out of the pool`, started, () => !(rs(web3) in pool(lb1, vip)), 300);
    t.diagnostic(`real server down -> out of the IPVS pool: ${span(out)} (HTTP_GET bound ${CHECK_BOUND_SECONDS} s)`);
    assert.ok(out.after <= CHECK_BOUND_SECONDS, `${web3.name} was still in the pool ${out.after.toFixed(1)} s after its service stopped`);
    assert.ok(rs(lb2) in pool(lb1, vip), "the other real server stays");
    onAnyHost(web3, `docker start ${WEB} >/dev/null`);
    started = process.hrtime.bigint();
    const back = await timeUntil(`${web3.name} back in the pool`, started, () => rs(web3) in pool(lb1, vip), 300);
    t.diagnostic(`real server up -> back in the IPVS pool: ${span(back)}`);
    assert.ok(back.after <= CHECK_BOUND_SECONDS, `${web3.name} was still out of the pool ${back.after.toFixed(1)} s after its service started`);

    // A changed weight: keepalived reloads (same main PID on both nodes), IPVS has the new weight.
    const pids = nodes.map(mainPid);
    setObjectConfig(project, { weight: 3 });
    run(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(nodes.map(mainPid), pids, "keepalived reloaded, not restarted");
    await eventually("the new weight in IPVS", () => Object.values(pool(lb1, vip)).join() === "3,3", 30_000, 1000);
    assert.equal(holdsAddress(lb1, vip), true, "a reload keeps the VIP where it is");
    run(["up", "--yes", "--expect-no-changes"]);

    // kill -9 of every keepalived process on the master (the PIDs of its unit's cgroup): the backup takes the VIP.
    const cgroup = onAnyHost(lb1, "systemctl show -p ControlGroup --value keepalived");
    const procs = onAnyHost(lb1, `cat /sys/fs/cgroup${cgroup}/cgroup.procs`).split(/\s+/).filter(Boolean);
    assert.ok(procs.includes(pids[0]) && procs.length >= 2, `keepalived's processes: ${procs.join(" ")}`);
    onAnyHost(lb1, `kill -9 ${procs.join(" ")}`);
    const killed = process.hrtime.bigint();
    const failover = await timeUntil(`the VIP on ${lb2.name}`, killed, () => holdsAddress(lb2, vip), 120);
    t.diagnostic(`kill -9 on ${lb1.name} -> VIP on ${lb2.name}: ${span(failover)} after the kill returned; failoverBoundSeconds ${bound}`);
    assert.ok(failover.after <= bound + KEEPALIVED_SLACK_SECONDS, `${lb2.name} had no VIP ${failover.after.toFixed(1)} s after the kill (bound ${bound} s)`);
    // Killed with -9, keepalived could not take its address down: the master still holds it (the backup's gratuitous ARP wins).
    t.diagnostic(`${lb1.name} still holds the VIP after kill -9: ${holdsAddress(lb1, vip)}`);
    assert.equal(onAnyHost(lb2, "systemctl is-enabled keepalived"), "enabled");

    // The master's keepalived started again: it takes the VIP back (preempt) and the backup lets it go.
    const masterAfterKill = unitState(lb1);
    t.diagnostic(`${lb1.name}'s keepalived after kill -9: ${masterAfterKill.replace("\n", ", ")}`);
    onAnyHost(lb1, "systemctl start keepalived");
    await eventually("the VIP back on the master, only there", () => holdsAddress(lb1, vip) && !holdsAddress(lb2, vip), 60_000, 500);
    for (const h of nodes) assert.equal(unitState(h), "enabled\nactive", h.name);
    run(["refresh", "--yes", "--expect-no-changes"]);

    // Destroy: keepalived stopped and disabled again, its config gone, no VIP, no IPVS rules.
    run(["destroy", "--yes", "--skip-preview"]);
    nodes.forEach((h, i) => {
        assert.equal(unitState(h), before[i].unit, `${h.name}: keepalived as it was`);
        assert.equal(onAnyHost(h, `test -e ${CONF} && echo yes || echo no`), "no", `${h.name}: ${CONF} removed`);
        assert.equal(onAnyHost(h, "ls -A /etc/keepalived 2>/dev/null; true"), before[i].etc, `${h.name}: /etc/keepalived as it was`);
        assert.equal(onAnyHost(h, "ipvsadm -Sn"), "", `${h.name}: no IPVS rules left`);
    });
    for (const h of all) assert.equal(holdsAddress(h, vip), false, `${h.name} holds no VIP`);
});
