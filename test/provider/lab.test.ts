import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { LAB_SCRIPT } from "../support/lab";

// A second, small lab of its own (own name, net and directory), so the suite's lab is not disturbed.
const env = { ...process.env, LAB_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "onprem-lab-test-")), LAB_NAME: "lt", LAB_NET: "10.81" };
const lab = (...args: string[]) => execFileSync("bash", [LAB_SCRIPT, ...args], { env, encoding: "utf8" });
const ssh = (inv: { privateKeyPath: string }, knownHosts: string, host: string, cmd: string) =>
    execFileSync("ssh", ["-i", inv.privateKeyPath, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, `root@${host}`, cmd], { encoding: "utf8" });

test("lab: up 2 gives SSH hosts with checked host keys and private /etc; down leaves nothing", () => {
    lab("up", "2");
    try {
        const inv = JSON.parse(fs.readFileSync(path.join(env.LAB_DIR, "inventory.json"), "utf8"));
        const knownHosts = path.join(env.LAB_DIR, "known_hosts.check");
        fs.writeFileSync(knownHosts, inv.hosts.map((h: { address: string; hostPublicKey: string }) => `${h.address} ${h.hostPublicKey}`).join("\n") + "\n");
        const [a, b] = inv.hosts;
        assert.equal(ssh(inv, knownHosts, a.address, "hostname").trim(), a.name);
        ssh(inv, knownHosts, a.address, "echo only-here > /etc/lab-isolation-check");
        assert.equal(ssh(inv, knownHosts, b.address, "cat /etc/lab-isolation-check 2>/dev/null || echo absent").trim(), "absent");
        assert.equal(fs.existsSync("/etc/lab-isolation-check"), false, "the machine's own /etc is untouched");
        // A host key that does not match is refused by OpenSSH itself.
        fs.writeFileSync(knownHosts, `${a.address} ${b.hostPublicKey}\n`);
        assert.throws(() => ssh(inv, knownHosts, a.address, "true"));
    } finally {
        lab("down");
        fs.rmSync(env.LAB_DIR, { recursive: true, force: true });
    }
    assert.doesNotMatch(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }), /^lt\d+/m, "no namespace left");
    assert.doesNotMatch(execFileSync("ip", ["-o", "link"], { encoding: "utf8" }), /\bltbr[01]\b/, "no bridge left");
    assert.doesNotMatch(fs.readFileSync("/proc/mounts", "utf8"), /lab-lt\d+-/, "no mount left");
    assert.doesNotMatch(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }), /host-init\.sh lt\d+ /, "no process left");
});
