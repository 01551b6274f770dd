// KeepalivedCluster with LVS on real machines: real systemd, kernel IPVS, HTTP real servers in dockerd.
// vm1 master, vm2 backup; the real servers are vm2 and vm3.
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { eventually, holdsAddress, inventory, type LabHost } from "../support/lab";
import { destroyAfter, exampleProject, secondsSince, setObjectConfig, timedPulumi } from "../support/pulumi";
import { labKind, onAnyHost, runOnHost } from "../support/vmlab";

const PASSWORD = "Kq2wz8mb";
const CONF = "/etc/keepalived/keepalived.conf";
const RESTART_DROPIN = "/etc/systemd/system/keepalived.service.d/pulumi-onprem-restart.conf";
const WEB = "onprem-test-web";
const WEB_PORT = 8080;
/** examples/keepalived-lvs's HTTP_GET: delay_loop 6, connect_timeout 3, retry 3, delay_before_retry 3. */
const CHECK_BOUND_SECONDS = 6 + 3 * 3 + (3 + 1) * 3;
/** keepalived's own timers run on an emulated CPU (TCG) that the machine may starve: allowed on top of its bound. */
const KEEPALIVED_SLACK_SECONDS = 2;
/**
 * From kill -9 on the master to its keepalived active again and the VIP on the master only: RestartSec (2 s,
 * the package's drop-in), keepalived's start, then its master-down interval before it preempts (it starts as
 * a backup: 3 x advert_int + (256 - 100) / 256, about 3.6 s). Under 10 s on real hardware; TCG may take
 * many times that.
 */
const RECOVERY_BOUND_SECONDS = 60;

const unitState = (h: LabHost) => runOnHost(h, "systemctl is-enabled keepalived; systemctl is-active keepalived", { allowFail: true }).stdout.trim();
const mainPid = (h: LabHost) => onAnyHost(h, "systemctl show -p MainPID --value keepalived");
/** keepalived.service's properties by name (`systemctl show` prints them in its own order, not the one asked). */
const unitProps = (h: LabHost, names: string[]) =>
    Object.fromEntries(onAnyHost(h, `systemctl show ${names.map((n) => `-p ${n}`).join(" ")} keepalived`).split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
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

/** One look after the kill, in seconds from it: the master's keepalived active, and which nodes hold the VIP. */
interface Look {
    began: number;
    by: number;
    active: boolean;
    onMaster: boolean;
    onBackup: boolean;
}

/** The master's unit, then the VIP on both nodes (`holdsAddress`), on the clock `since`. */
function look(master: LabHost, backup: LabHost, vip: string, since: bigint): Look {
    const began = secondsSince(since);
    const active = unitState(master) === "enabled\nactive";
    const onMaster = holdsAddress(master, vip);
    const onBackup = holdsAddress(backup, vip);
    return { began, by: secondsSince(since), active, onMaster, onBackup };
}
const recovered = (l: Look) => l.active && l.onMaster && !l.onBackup;

/** Looks on after `looks` until keepalived is active again on the master and the master alone holds the VIP. */
async function looksUntilRecovered(looks: Look[], master: LabHost, backup: LabHost, vip: string, since: bigint, timeoutSeconds: number): Promise<Look[]> {
    while (!recovered(looks[looks.length - 1])) {
        const last = looks[looks.length - 1];
        if (last.began > timeoutSeconds) throw new Error(`timed out after ${timeoutSeconds} s waiting for keepalived back on ${master.name}, the VIP there only: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 200));
        looks.push(look(master, backup, vip, since));
    }
    return looks;
}

/** As `timeUntil` says it: the first look that saw `seen`, after the start of the look before it (`from` for the first look). */
function firstSeen(looks: readonly Look[], seen: (l: Look) => boolean, from: number): { after: number; by: number } {
    const i = looks.findIndex(seen);
    assert.ok(i >= 0, "never seen");
    return { after: i === 0 ? from : looks[i - 1].began, by: looks[i].by };
}

/**
 * The spans in which looks saw `seen`, each as wide as the looks allow: from the start of the look before
 * its first (`from` for the first look) to the end of the look after its last.
 */
function spansSeen(looks: readonly Look[], seen: (l: Look) => boolean, from: number): { from: number; to: number }[] {
    const spans: { from: number; to: number }[] = [];
    looks.forEach((l, i) => {
        if (!seen(l)) return;
        const to = (looks[i + 1] ?? l).by;
        if (i > 0 && seen(looks[i - 1])) spans[spans.length - 1].to = to;
        else spans.push({ from: i === 0 ? from : looks[i - 1].began, to });
    });
    return spans;
}

function startWeb(h: LabHost): void {
    runOnHost(h, `docker rm -f ${WEB} >/dev/null 2>&1; docker run -d --name ${WEB} -p ${WEB_PORT}:80 onprem-test/busybox sh -c 'mkdir -p /www && echo ${h.name} > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null`);
}

test("KeepalivedCluster with LVS on VMs: a foreign router on its VRID refused at preview, IPVS pool follows the HTTP checks, reload keeps the PID, kill -9 fails over in bound, destroy leaves nothing", async (t) => {
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
    // A failure part way must not leave the cluster (and its VIP on eth0) to the tests after this one: the
    // stack destroyed, and what a failed destroy would leave taken down by hand.
    destroyAfter(t, project);
    t.after(() => {
        for (const h of nodes) runOnHost(h, `systemctl disable --now keepalived; ipvsadm -C; ip -o -4 addr show to ${vip} | while read -r _ dev _ cidr _; do ip address del "$cidr" dev "$dev"; done; true`, { allowFail: true });
    });
    const timed = timedPulumi(t, project);
    const run = (args: string[]) => timed(args).out;
    setObjectConfig(project, { hosts: nodes, vip, realServers: realServers.map(rs) });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", PASSWORD]);

    // A VRRP router outside the cluster on its VRID (another team's keepalived, started by hand on web3):
    // preview refuses before any node changes, naming VRID, interface and the router's address.
    {
        const conf = "vrrp_instance FOREIGN {\n  state MASTER\n  interface eth0\n  virtual_router_id 61\n  priority 50\n  advert_int 1\n  virtual_ipaddress {\n    " + vip.replace(/\d+$/, "151") + "/24\n  }\n}\n";
        runOnHost(web3, `printf '%s' '${conf}' > /run/foreign-keepalived.conf && keepalived -f /run/foreign-keepalived.conf -p /run/foreign-keepalived.pid -r /run/foreign-vrrp.pid`);
        try {
            await eventually("the foreign router advertises (holds its address)", () => holdsAddress(web3, vip.replace(/\d+$/, "151")), 30_000, 500);
            const r = timed(["preview"], { allowFail: true });
            assert.notEqual(r.code, 0, `preview refuses:\n${r.out}`);
            const line = r.out.split("\n").find((l) => l.includes(`VRID 61 on eth0 is already in use by ${web3.address}`));
            assert.ok(line, `the refusal names VRID, interface and the router:\n${r.out}`);
            t.diagnostic(`a foreign VRRP router on VRID 61: ${line!.trim()}`);
            for (const h of nodes) assert.equal(onAnyHost(h, "ls -A /etc/keepalived 2>/dev/null; systemctl is-active keepalived; true"), before[nodes.indexOf(h)].etc ? `${before[nodes.indexOf(h)].etc}\ninactive` : "inactive", `${h.name}: nothing changed`);
        } finally {
            runOnHost(web3, "[ -s /run/foreign-keepalived.pid ] && kill $(cat /run/foreign-keepalived.pid); for i in $(seq 50); do [ -e /run/foreign-keepalived.pid ] || break; sleep 0.2; done; rm -f /run/foreign-keepalived.conf", { allowFail: true });
        }
    }

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
    // The backup holds the VIP only until the master's keepalived is back and preempts (a few seconds): a
    // watcher on the backup itself records when it appears, on the backup's uptime clock, so no poll over
    // SSH from here can miss it.
    const seenFile = "/run/onprem-test-vip-seen";
    onAnyHost(lb2, `rm -f ${seenFile}; systemd-run --quiet --unit onprem-test-vip-watch sh -c 'until ip -o -4 addr show | grep -qF " ${vip}/"; do sleep 0.1; done; cut -d" " -f1 /proc/uptime > ${seenFile}'`);
    t.after(() => runOnHost(lb2, "systemctl stop onprem-test-vip-watch 2>/dev/null; true", { allowFail: true }));
    onAnyHost(lb1, `kill -9 ${procs.join(" ")}`);
    const killed = process.hrtime.bigint();
    // The backup's uptime read between `killed` and `read`: the kill returned at most `read - killed` before it.
    const uptimeAtKill = Number(onAnyHost(lb2, "cut -d' ' -f1 /proc/uptime"));
    const read = secondsSince(killed);
    let seenAt = NaN;
    await timeUntil(`the VIP on ${lb2.name} (its watcher)`, killed, () => !Number.isNaN(seenAt = Number(runOnHost(lb2, `cat ${seenFile}`, { allowFail: true }).stdout.trim() || NaN)), 120);
    const failover = { after: Math.max(0, seenAt - uptimeAtKill), by: Math.max(0, seenAt - uptimeAtKill) + read };
    t.diagnostic(`kill -9 on ${lb1.name} -> VIP on ${lb2.name}: ${span(failover)} after the kill returned; failoverBoundSeconds ${bound}`);
    assert.ok(failover.after <= bound + KEEPALIVED_SLACK_SECONDS, `${lb2.name} had no VIP ${failover.after.toFixed(1)} s after the kill (bound ${bound} s)`);
    // Killed with -9, keepalived could not take its address down: the master holds it until its keepalived
    // starts again, which clears it (the backup's gratuitous ARP wins meanwhile).
    const looks = [look(lb1, lb2, vip, killed)];
    t.diagnostic(`${lb1.name} still holds the VIP after kill -9: ${looks[0].onMaster}`);
    assert.equal(onAnyHost(lb2, "systemctl is-enabled keepalived"), "enabled");

    // Nobody starts it: systemd does (the package's drop-in, Restart=on-failure after RestartSec), keepalived
    // comes up as a backup, and after its master-down interval takes the VIP back (preempt) from the backup.
    await looksUntilRecovered(looks, lb1, lb2, vip, killed, 2 * RECOVERY_BOUND_SECONDS);
    const restarted = firstSeen(looks, (l) => l.active, 0);
    const home = firstSeen(looks, recovered, failover.after);
    // The backup had no VIP before the failover: both nodes cannot have held it earlier than that.
    const both = spansSeen(looks, (l) => l.onMaster && l.onBackup, failover.after);
    // systemd's own account: from leaving active (the kill) to active again (keepalived's READY), in µs.
    const unit = unitProps(lb1, ["ActiveExitTimestampMonotonic", "ActiveEnterTimestampMonotonic", "NRestarts", "Restart", "RestartUSec", "NeedDaemonReload"]);
    const down = (Number(unit.ActiveEnterTimestampMonotonic) - Number(unit.ActiveExitTimestampMonotonic)) / 1e6;
    t.diagnostic(`kill -9 on ${lb1.name} -> its keepalived active again by itself: ${span(restarted)} after the kill (systemd: not active for ${down.toFixed(1)} s; NRestarts=${unit.NRestarts} Restart=${unit.Restart} RestartUSec=${unit.RestartUSec})`);
    t.diagnostic(`VIP on both nodes: ${both.length === 0 ? "in no look" : both.map((b) => `${b.from.toFixed(1)}-${b.to.toFixed(1)} s (at most ${(b.to - b.from).toFixed(1)} s)`).join(", ")}; on ${lb1.name} only again: ${span(home)} after the kill (${looks.length} looks)`);
    assert.deepEqual([unit.Restart, unit.NeedDaemonReload], ["on-failure", "no"], "the drop-in is loaded: up reloaded systemd after writing it");
    assert.equal(unit.NRestarts, "1", "systemd restarted keepalived once, by itself");
    assert.notEqual(mainPid(lb1), pids[0], "a new keepalived");
    assert.ok(restarted.by <= RECOVERY_BOUND_SECONDS, `${lb1.name}'s keepalived was active again only ${restarted.by.toFixed(1)} s after the kill (bound ${RECOVERY_BOUND_SECONDS} s)`);
    assert.ok(home.by <= RECOVERY_BOUND_SECONDS, `the VIP was on ${lb1.name} only again ${home.by.toFixed(1)} s after the kill (bound ${RECOVERY_BOUND_SECONDS} s)`);
    for (const h of nodes) assert.equal(unitState(h), "enabled\nactive", h.name);
    run(["refresh", "--yes", "--expect-no-changes"]);

    // Destroy: keepalived stopped and disabled again, its config gone, no VIP, no IPVS rules.
    run(["destroy", "--yes", "--skip-preview"]);
    nodes.forEach((h, i) => {
        assert.equal(unitState(h), before[i].unit, `${h.name}: keepalived as it was`);
        assert.equal(onAnyHost(h, `test -e ${CONF} && echo yes || echo no`), "no", `${h.name}: ${CONF} removed`);
        assert.equal(onAnyHost(h, "ls -A /etc/keepalived 2>/dev/null; true"), before[i].etc, `${h.name}: /etc/keepalived as it was`);
        assert.equal(onAnyHost(h, "ipvsadm -Sn"), "", `${h.name}: no IPVS rules left`);
        assert.equal(onAnyHost(h, `test -e ${RESTART_DROPIN} && echo yes || echo no`), "no", `${h.name}: ${RESTART_DROPIN} removed`);
        assert.deepEqual(unitProps(h, ["Restart", "NeedDaemonReload"]), { Restart: "no", NeedDaemonReload: "no" }, `${h.name}: systemd reloaded, Debian's unit as it was`);
    });
    for (const h of all) assert.equal(holdsAddress(h, vip), false, `${h.name} holds no VIP`);
});
