import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { test } from "node:test";
import { inventory, LabHost, onHost } from "../support/lab";
import { exampleProject, setObjectConfig } from "../support/pulumi";

const FILE = "/etc/network/interfaces.d/eth0";
const TIMEOUT_SECONDS = 12;

function eth0(h: LabHost): string[] {
    return execFileSync("ip", ["-n", h.name, "-o", "addr", "show", "dev", "eth0", "scope", "global"])
        .toString()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[3])
        .sort();
}

/** A plain OpenSSH login from the test machine: the host answers at `address`. */
function sshWorks(h: LabHost, address: string): boolean {
    try {
        execFileSync("ssh", ["-i", h.privateKeyPath, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", `root@${address}`, "true"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

/** Nothing armed on the host: no pending transaction, no watchdog process. */
function armed(h: LabHost): string {
    return onHost(h, `ls /var/lib/pulumi-onprem/*/txn/pending 2>/dev/null; ps -eo args | grep '[r]ollback.sh" watchdog' || true`).trim();
}

test("StaticInterface commit-confirm on the management interface: an unreachable move reverts by itself, a reachable one is confirmed", async (t) => {
    const h = inventory().hosts[1];
    const net = h.address.split(".").slice(0, 2).join("."); // LAB_NET
    const moved = `${net}.0.52`; // unused in the lab's management /24 (.100 and up are VIPs)
    const unreachable = `${net}.5.5`; // a subnet the test machine has no address in: never tried (not in the old address's subnet)
    assert.deepEqual(eth0(h), [`${h.address}/24`], "the lab host starts on its inventory address");
    // A clean host: no file, and no state left by an earlier run whose stack was never destroyed.
    onHost(h, `rm -rf ${FILE} /var/lib/pulumi-onprem/static-interface-*`);
    const project = exampleProject("static-ip");
    t.after(() => {
        // Put the lab host back whatever happened.
        onHost(h, `ip addr replace ${h.address}/24 dev eth0; ip addr del ${moved}/24 dev eth0 2>/dev/null; ip addr del ${unreachable}/24 dev eth0 2>/dev/null; rm -rf ${FILE} /var/lib/pulumi-onprem/static-interface-*; true`, { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const mgmt = (address: string) => ({ host: h.name, device: "eth0", addresses: [`${address}/24`], format: "interfaces" });

    // 1. Move to an address the controller cannot reach: up fails, the host reverts by itself, SSH answers at the old address.
    setObjectConfig(project, { hosts: [h], interfaces: [mgmt(unreachable)], confirmTimeoutSeconds: TIMEOUT_SECONDS });
    // Written to a file: the CLI runs synchronously below, so this process reads nothing meanwhile.
    const timelineFile = `${project.dir}/timeline`;
    const watcher = spawn("bash", ["-c", `while :; do if ip -n ${h.name} -o addr show dev eth0 | grep -q ' ${h.address}/'; then echo "$(date +%s.%N) on"; else echo "$(date +%s.%N) off"; fi; sleep 0.1; done > ${timelineFile}`], { stdio: "ignore" });
    t.after(() => watcher.kill());
    const started = Date.now();
    const failed = project.pulumi(["up", "--yes", "--skip-preview"], { allowFail: true });
    const upSeconds = (Date.now() - started) / 1000;
    watcher.kill();
    const timeline = fs.readFileSync(timelineFile, "utf8").split("\n").filter(Boolean);
    assert.notEqual(failed.code, 0, "up fails");
    assert.match(failed.out, /the change was reverted: no SSH connection reached the host after the change/);
    assert.match(failed.out, /reverted it by itself after 12 s \(previous files and live state\) and answers at [\d.]+ again/);
    const offAt = timeline.find((l) => l.endsWith(" off"));
    assert.ok(offAt, "the management address did go away");
    const backAt = timeline.slice(timeline.indexOf(offAt)).find((l) => l.endsWith(" on"));
    assert.ok(backAt, "and came back");
    const revertSeconds = Number(backAt.split(" ")[0]) - Number(offAt.split(" ")[0]);
    t.diagnostic(`management address away for ${revertSeconds.toFixed(1)} s (confirm timeout ${TIMEOUT_SECONDS} s); failed up took ${upSeconds.toFixed(1)} s`);
    // The host's own timer decides; the margin covers this process's polling on a busy machine.
    assert.ok(revertSeconds <= TIMEOUT_SECONDS + 5, `the host reverted within its timeout (${revertSeconds.toFixed(1)} s)`);
    assert.deepEqual(eth0(h), [`${h.address}/24`]);
    assert.equal(onHost(h, `test -e ${FILE} && echo yes || echo no`).trim(), "no", "the file it did not have is gone again");
    assert.ok(sshWorks(h, h.address), "SSH to the old address works again");
    assert.equal(armed(h), "", "nothing left armed");

    // 2. Move within the management /24: confirmed at the new address, nothing left armed. The lab's sshd listens on
    // the inventory address only (a real host's listens on all): a second one, started here, waits on the new address.
    onHost(h, `echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind; /usr/sbin/sshd -o ListenAddress=${moved} -o PidFile=/run/sshd-moved.pid`);
    t.after(() => onHost(h, "kill $(cat /run/sshd-moved.pid); rm -f /run/sshd-moved.pid; echo 0 > /proc/sys/net/ipv4/ip_nonlocal_bind", { allowFail: true }));
    setObjectConfig(project, { interfaces: [mgmt(moved)] });
    project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(eth0(h), [`${moved}/24`]);
    assert.match(onHost(h, `cat ${FILE}`), new RegExp(`address ${moved.replace(/\./g, "\\.")}/24`));
    assert.equal(armed(h), "", "no revert scheduled: no pending file, no watchdog process");
    await new Promise((r) => setTimeout(r, (TIMEOUT_SECONDS + 2) * 1000));
    assert.deepEqual(eth0(h), [`${moved}/24`], "still there after the confirm timeout");
    assert.ok(sshWorks(h, moved), "SSH at the new address");

    // 3. Back: the program now reaches the host at its new address (no replacement), and moves it home; destroy leaves it as it was.
    setObjectConfig(project, { interfaces: [mgmt(h.address)], connectAt: { [h.name]: moved } });
    const back = project.pulumi(["preview", "--diff"]).out;
    assert.match(back, /HostConfig: \(update\)/);
    assert.doesNotMatch(back, /\((create-)?replace(ment)?\)|\+-\s*pulumi/, "a new connection address is no replacement");
    project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(eth0(h), [`${h.address}/24`]);
    project.pulumi(["destroy", "--yes", "--skip-preview"]);
    assert.deepEqual(eth0(h), [`${h.address}/24`]);
    assert.equal(onHost(h, `test -e ${FILE} && echo yes || echo no`).trim(), "no");
    assert.equal(armed(h), "");
    assert.ok(sshWorks(h, h.address));
});
