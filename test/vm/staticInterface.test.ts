// StaticInterface on real machines (seed 000): format "auto" on three Debian VMs whose eth1 ifupdown,
// NetworkManager and netplan (networkd) run; two addresses and a route applied live and accepted by the
// flavor's own tool, a change, a reboot of all three, commit-confirm on a management interface, and
// destroy leaves each VM as it was.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { test } from "node:test";
import { eventually, inventory, type LabHost, onHost } from "../support/lab";
import { exampleProject, secondsSince, setObjectConfig, timedPulumi } from "../support/pulumi";
import { type AnyLabHost, labKind, runOnHost } from "../support/vmlab";

/** The format `auto` must pick for each flavor of eth1, and the file it writes. */
const FLAVOR = {
    ifupdown: { format: "interfaces", file: "/etc/network/interfaces.d/eth1" },
    networkmanager: { format: "networkmanager", file: "/etc/NetworkManager/system-connections/pulumi-onprem-eth1.nmconnection" },
    netplan: { format: "netplan", file: "/etc/netplan/60-pulumi-onprem-eth1.yaml" },
} as const;
type Flavor = keyof typeof FLAVOR;
const NM_ID = "pulumi-onprem-eth1";
const ROUTE = "10.90.0.0/16";
/** Seconds a VM waits for the controller after a live change of its management address. */
const CONFIRM_SECONDS = 20;

const sh = (h: LabHost, script: string) => onHost(h, script).trim();
const flavorOf = (h: LabHost): Flavor => ((h as AnyLabHost).netFlavor ?? "ifupdown") as Flavor;
const ipRe = (ip: string) => ip.replace(/\./g, "\\.");

/** eth1's global addresses and its routes other than the kernel's prefix routes. */
const eth1 = (h: LabHost) => sh(h, "ip -o addr show dev eth1 scope global | awk '{print $4}' | sort; ip route show dev eth1 | grep -v 'proto kernel' || true");

/** What the flavor itself holds for eth1: its files and its view of the connection, compared before and after. */
function flavorView(h: LabHost): string {
    const files = sh(h, "for f in /etc/network/interfaces.d/* /etc/netplan/* /etc/NetworkManager/system-connections/*; do [ -f \"$f\" ] && md5sum \"$f\"; done; true");
    switch (flavorOf(h)) {
        case "ifupdown":
            return `${files}\n${sh(h, "ifquery --list")}`;
        case "networkmanager":
            // Persistent connections only, by name: NetworkManager also keeps in-memory connections for devices
            // others configured (an earlier test's eth1, lo, docker0) that a reboot drops or renames.
            return `${files}\n${sh(h, "nmcli -t -f NAME,TYPE,FILENAME connection show | grep ':/etc/' | sort")}`;
        case "netplan":
            return `${files}\n${sh(h, "netplan get ethernets.eth1; cat /run/systemd/network/10-netplan-eth1.network")}`;
    }
}

/** The flavor's own tool reports eth1 with exactly these addresses (and the route, where it keeps routes). */
function checkFlavor(h: LabHost, addrs: string[], what: string) {
    const ips = addrs.map((a) => a.split("/")[0]);
    switch (flavorOf(h)) {
        case "ifupdown": {
            // ifupdown parses the stanzas; every address has its own stanza (ifupdown 0.8 applies only the first of one).
            assert.ok(sh(h, "ifquery --list").split("\n").includes("eth1"), `${h.name} ${what}: eth1 is auto`);
            const file = sh(h, `cat ${FLAVOR.ifupdown.file}`);
            assert.deepEqual([...file.matchAll(/^\s*address (\S+)$/gm)].map((m) => m[1]).sort(), [...addrs].sort(), `${h.name} ${what}: the stanzas' addresses`);
            assert.match(file, new RegExp(`post-up ip -4 route replace ${ipRe(ROUTE)} via`), `${h.name} ${what}: the stanza adds the route`);
            assert.equal(runOnHost(h, "d=$(mktemp -d); ifup --no-act --force --state-dir=$d eth1; s=$?; rm -rf $d; exit $s", { allowFail: true }).status, 0, `${h.name} ${what}: ifup --no-act accepts it`);
            break;
        }
        case "networkmanager": {
            assert.equal(sh(h, "nmcli -g GENERAL.STATE,GENERAL.CONNECTION device show eth1"), `100 (connected)\n${NM_ID}`, `${h.name} ${what}: NetworkManager has the connection active on eth1`);
            assert.deepEqual(sh(h, `nmcli -g ipv4.addresses connection show ${NM_ID}`).split(/,\s*/).sort(), [...addrs].sort(), `${h.name} ${what}: the connection's addresses`);
            assert.deepEqual(sh(h, "nmcli -g IP4.ADDRESS device show eth1").split(/\s*\|\s*/).sort(), [...addrs].sort(), `${h.name} ${what}: NetworkManager's view of the device`);
            assert.match(sh(h, `nmcli -g ipv4.routes connection show ${NM_ID}`), new RegExp(`${ipRe(ROUTE)} \\S+ 100`), `${h.name} ${what}: the connection's route`);
            break;
        }
        case "netplan": {
            assert.deepEqual(sh(h, "netplan get ethernets.eth1.addresses").split("\n").map((l) => l.replace(/^- "?|"$/g, "")).sort(), [...addrs].sort(), `${h.name} ${what}: netplan get`);
            const status = sh(h, "networkctl status --no-pager eth1");
            assert.match(status, /State: routable \(configured\)/, `${h.name} ${what}: networkd configured eth1`);
            const shown = (status.match(/^\s*Address: ([\s\S]*?)\n\s*[A-Z][A-Za-z ]+:/m) ?? [])[1] ?? "";
            for (const ip of ips) assert.match(shown, new RegExp(`(^|\\s)${ipRe(ip)}(\\s|$)`), `${h.name} ${what}: networkctl shows ${ip}:\n${status}`);
            assert.match(sh(h, "cat /run/systemd/network/10-netplan-eth1.network"), new RegExp(`Destination=${ipRe(ROUTE)}`), `${h.name} ${what}: networkd's file has the route`);
            break;
        }
    }
}

test("StaticInterface on VMs: format auto per flavor (ifupdown, NetworkManager, netplan), live and in the flavor's tool, a change, a reboot, commit-confirm on eth0, destroy restores", async (t) => {
    assert.equal(labKind(), "vm", "this test needs the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    const hosts = inventory().hosts.slice(0, 3);
    assert.deepEqual(hosts.map(flavorOf), ["ifupdown", "networkmanager", "netplan"], "this test needs vmlab.sh up 3 --net ifupdown,networkmanager,netplan");
    const net = hosts[0].address.split(".").slice(0, 2).join("."); // VMLAB_NET
    const n = (h: LabHost) => hosts.indexOf(h) + 1;
    // VM n: .3n and .4n on eth1; the change moves .4n to .5n. Below .100 (the lab's VIPs).
    const addrA = (h: LabHost) => `${net}.1.${30 + n(h)}/24`;
    const addrB = (h: LabHost) => `${net}.1.${40 + n(h)}/24`;
    const addrC = (h: LabHost) => `${net}.1.${50 + n(h)}/24`;
    const gw = `${net}.1.1`;

    // What each VM holds before the test, to compare after destroy.
    const before = new Map<string, { flavor: string; eth1: string }>();
    for (const h of hosts) {
        before.set(h.name, { flavor: flavorView(h), eth1: eth1(h) });
        assert.equal(before.get(h.name)!.eth1, "", `${h.name}: eth1 has no address before the test`);
        assert.equal(sh(h, "ls /var/lib/pulumi-onprem 2>/dev/null | grep -c static-interface || true"), "0", `${h.name}: no state of an earlier run`);
    }
    const vm1 = hosts[0];
    const eth0File = "/etc/network/interfaces.d/eth0";
    const eth0Before = sh(vm1, `md5sum ${eth0File}`);

    const project = exampleProject("static-ip");
    let destroyed = false;
    t.after(() => {
        if (!destroyed) project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const timed = timedPulumi(t, project);
    const spec = (h: LabHost, addrs: string[]) => ({ host: h.name, device: "eth1", addresses: addrs, routes: [{ destination: ROUTE, via: gw, metric: 100 }] });
    /** Live (ip), in the file auto chose, and in the flavor's tool. */
    const check = (want: (h: LabHost) => string[], what: string) => {
        const formats = JSON.parse(project.pulumi(["stack", "output", "formats", "--json"]).out) as Record<string, string>;
        for (const h of hosts) {
            const addrs = want(h);
            assert.equal(formats[`${h.name}-eth1`], FLAVOR[flavorOf(h)].format, `${h.name}: auto chose the ${flavorOf(h)} flavor's format`);
            const live = eth1(h).split("\n");
            assert.deepEqual(live.filter((l) => /^[\d.]+\/\d+$/.test(l)), [...addrs].sort(), `${h.name} ${what}: addresses on eth1`);
            assert.ok(live.some((l) => new RegExp(`^${ipRe(ROUTE)} via ${ipRe(gw)} .*metric 100`).test(l)), `${h.name} ${what}: the route on eth1: ${live.join("; ")}`);
            const file = sh(h, `cat ${FLAVOR[flavorOf(h)].file}`);
            for (const a of addrs) assert.ok(file.includes(a), `${h.name} ${what}: ${a} in ${FLAVOR[flavorOf(h)].file}`);
            checkFlavor(h, addrs, what);
        }
    };

    // 1. Two addresses and a route on each VM's eth1, format auto.
    setObjectConfig(project, { hosts, interfaces: hosts.map((h) => spec(h, [addrA(h), addrB(h)])) });
    timed(["up", "--yes", "--skip-preview"]);
    check((h) => [addrA(h), addrB(h)], "after up");
    assert.match(timed(["preview", "--expect-no-changes"]).out, /unchanged/, "a second run changes nothing");

    // 2. One address changed on each: applied live; a refresh then finds nothing to change.
    setObjectConfig(project, { interfaces: hosts.map((h) => spec(h, [addrA(h), addrC(h)])) });
    timed(["up", "--yes", "--skip-preview"]);
    check((h) => [addrA(h), addrC(h)], "after the change");
    timed(["refresh", "--yes", "--expect-no-changes"]);

    // 3. A reboot of all three at once: the flavor's own service sets the addresses at boot.
    {
        const started = process.hrtime.bigint();
        // The boot id tells the new system from the old one, which answers for a moment.
        const bootIds = new Map(hosts.map((h) => [h.name, sh(h, "cat /proc/sys/kernel/random/boot_id")]));
        for (const h of hosts) onHost(h, "systemctl reboot", { allowFail: true });
        const back = new Map<string, number>();
        await Promise.all(hosts.map(async (h) => {
            await eventually(`${h.name} back after reboot`, () => runOnHost(h, `[ "$(cat /proc/sys/kernel/random/boot_id)" != ${bootIds.get(h.name)} ] && systemctl is-system-running --wait >/dev/null; s=$?; [ $s -le 1 ]`, { allowFail: true, timeoutMs: 60_000 }).status === 0, 420_000, 3_000);
            back.set(h.name, secondsSince(started));
        }));
        t.diagnostic(`reboot of ${hosts.length} VMs at once: SSH and systemd up after ${hosts.map((h) => `${h.name} ${back.get(h.name)!.toFixed(1)} s`).join(", ")}`);
        for (const h of hosts) {
            assert.notEqual(sh(h, "systemctl is-failed networking.service; true"), "failed", `${h.name}: ifup -a at boot succeeded`);
            if (flavorOf(h) === "ifupdown") assert.equal(sh(h, "ifquery --state eth1"), "eth1=eth1", `${h.name}: ifupdown brought eth1 up at boot`);
        }
        // NetworkManager and networkd may still be configuring eth1 when systemd reports the boot done.
        const want = (h: LabHost) => [addrA(h), addrC(h)];
        await eventually("each flavor configured eth1 after the boot", () => { try { check(want, "after the reboot"); return true; } catch { return false; } }, 120_000, 3_000);
        check(want, "after the reboot");
        t.diagnostic(`reboot to eth1 configured by each flavor: ${secondsSince(started).toFixed(1)} s`);
        timed(["refresh", "--yes", "--expect-no-changes"]);
    }

    // 4. Commit-confirm on VM 1's management interface (eth0 is ifupdown's on every VM): an address the
    // controller cannot reach (a subnet it has no address in) cuts it off; the VM reverts by itself. A stack
    // of its own: its short confirm timeout is no change of the eth1 interfaces.
    {
        const unreachable = `${net}.5.5/24`;
        const mgmt = exampleProject("static-ip");
        t.after(() => {
            onHost(vm1, `ip addr replace ${vm1.address}/24 dev eth0; ip addr del ${unreachable} dev eth0 2>/dev/null; true`, { allowFail: true });
            mgmt.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
            fs.rmSync(mgmt.dir, { recursive: true, force: true });
        });
        setObjectConfig(mgmt, { hosts: [vm1], interfaces: [{ host: vm1.name, device: "eth0", addresses: [unreachable] }], confirmTimeoutSeconds: CONFIRM_SECONDS });
        // The VM's management address as this machine sees it: ping answers or not. Written to a file: the CLI runs synchronously.
        const timelineFile = `${mgmt.dir}/timeline`;
        const watcher = spawn("bash", ["-c", `while :; do if ping -n -c1 -W1 ${vm1.address} >/dev/null 2>&1; then echo "$(date +%s.%N) on"; else echo "$(date +%s.%N) off"; fi; sleep 0.2; done > ${timelineFile}`], { stdio: "ignore", detached: true });
        t.after(() => { try { process.kill(-watcher.pid!); } catch { /* gone */ } });
        const started = process.hrtime.bigint();
        const failed = mgmt.pulumi(["up", "--yes", "--skip-preview"], { allowFail: true });
        const upSeconds = secondsSince(started);
        process.kill(-watcher.pid!);
        assert.notEqual(failed.code, 0, "up fails");
        assert.match(failed.out, /the change was reverted: no SSH connection reached the host after the change/);
        assert.match(failed.out, new RegExp(`reverted it by itself after ${CONFIRM_SECONDS} s \\(previous files and live state\\) and answers at ${ipRe(vm1.address)} again`));
        const timeline = fs.readFileSync(timelineFile, "utf8").split("\n").filter(Boolean);
        const offAt = timeline.find((l) => l.endsWith(" off"));
        assert.ok(offAt, "the management address did go away");
        const backAt = timeline.slice(timeline.indexOf(offAt)).find((l) => l.endsWith(" on"));
        assert.ok(backAt, "and came back");
        const away = Number(backAt.split(" ")[0]) - Number(offAt.split(" ")[0]);
        t.diagnostic(`${vm1.name} eth0: management address away for ${away.toFixed(1)} s (confirm timeout ${CONFIRM_SECONDS} s, ping every ~0.2-1.2 s); the failed up took ${upSeconds.toFixed(1)} s`);
        // The VM's own timer decides; the margin covers the ping's resolution and a busy machine.
        assert.ok(away <= CONFIRM_SECONDS + 8, `the VM reverted within its timeout (${away.toFixed(1)} s)`);
        assert.equal(sh(vm1, "ip -o addr show dev eth0 scope global | awk '{print $4}'"), `${vm1.address}/24`, "eth0 holds its address again, and only it");
        assert.equal(sh(vm1, `md5sum ${eth0File}`), eth0Before, "eth0's stanza is the one it had");
        assert.equal(sh(vm1, `ls /var/lib/pulumi-onprem/*/txn/pending 2>/dev/null; ps -eo args | grep '[r]ollback.sh" watchdog' || true`), "", "nothing left armed");
        // A fresh SSH login (a pin of the caller's: no shared connection) at the old address.
        assert.equal(runOnHost(vm1, "hostname", { hostPublicKey: vm1.hostPublicKey }).stdout.trim(), vm1.name, `SSH answers at ${vm1.address}`);
    }

    // 5. destroy: each VM as before.
    timed(["destroy", "--yes", "--skip-preview"]);
    destroyed = true;
    for (const h of hosts) {
        const was = before.get(h.name)!;
        assert.equal(eth1(h), was.eth1, `${h.name}: eth1's addresses and routes as before`);
        assert.equal(flavorView(h), was.flavor, `${h.name}: files and the ${flavorOf(h)} flavor's view as before`);
        assert.equal(sh(h, "ls /var/lib/pulumi-onprem 2>/dev/null | grep -c static-interface || true"), "0", `${h.name}: the state directory is gone`);
    }
});
