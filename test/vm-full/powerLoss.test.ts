// Power loss mid-transaction on a real machine: KeepalivedCluster's backup node loses power (kill -9 of its
// qemu) at each step of its transaction for a VIP change, boots again, and must come back in its old or its
// new state, never between, with nothing beside its files once the host's own recovery has run; then `up`
// converges and a second `up` changes nothing. vm1 master, vm2 the node that loses power.
//
// Each step is hit from inside the VM, without any hook in the package: a watcher on vm2 waits for the
// step's own traces (the staged copy, `pending`, the activation command), freezes the controller's SSH
// session there (SIGSTOP: nothing more reaches the host), and says so; the test then cuts the power.
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { test } from "node:test";
import { RECOVERY_UNIT_NAME, RECOVERY_UNIT_PATH } from "../../provider/contract/recoveryUnit";
import { eventually, holdsAddress, inventory, inventoryPath, type LabHost } from "../support/lab";
import { exampleProject, secondsSince, setObjectConfig, timedPulumi } from "../support/pulumi";
import { labKind, onAnyHost, runOnHost, sshArgs, VMLAB_SCRIPT } from "../support/vmlab";

const PASSWORD = "Kq2wz8mb";
const CONF = "/etc/keepalived/keepalived.conf";
/** A boot under TCG on a loaded machine can take minutes; the watchdog's window (120 s) may come on top. */
const RECOVERY_BOUND_SECONDS = 900;

/**
 * Shell for the watcher: `stop_controller` freezes the sshd sessions that are not the watcher's own (the
 * deployment's connection); `running PATTERN` lists the processes whose command line matches (a bracket in
 * the pattern keeps the watcher and grep out of it, as they hold the pattern's text, not a match).
 */
const WATCH_LIB = `
mine=" "; p=$$; while [ "$p" -gt 1 ]; do mine="$mine$p "; p=$(awk '/^PPid:/{print $2}' /proc/$p/status); done
stop_controller() { for s in $(ps -eo pid=,args= | awk '/[s]shd: root@notty/{print $1}'); do case "$mine" in *" $s "*) ;; *) kill -STOP "$s"; echo "$s" ;; esac; done; }
running() { grep -lsa -- "$1" /proc/[0-9]*/cmdline | cut -d/ -f3; }
`;

interface Step {
    name: string;
    /** Shell: waits for the step, freezes the controller there, then prints what it froze. */
    watch: string;
}

const STEPS: Step[] = [
    {
        // The staged copy exists: freeze sshd (the staging command finishes on its own: copies, sync,
        // `keepalived -t`), so its answer never reaches the controller and no swap follows.
        name: "after staging",
        watch: `until [ -e /etc/keepalived/.keepalived.conf.onprem-new ]; do sleep 0.05; done
                echo "frozen sshd: $(stop_controller | tr '\\n' ' ')"
                while [ -n "$(running '[O]NPREM_STAGED')" ]; do sleep 0.1; done`,
    },
    {
        // `pending` exists: the swap is armed; it finishes its renames on its own, and no activation follows.
        name: "after the swap, before activation and commit",
        watch: `until ls /var/lib/pulumi-onprem/*/txn/pending >/dev/null 2>&1; do sleep 0.05; done
                echo "frozen sshd: $(stop_controller | tr '\\n' ' ')"
                while [ -n "$(running '[O]NPREM_SLEEPER')" ]; do sleep 0.1; done`,
    },
    {
        // The activation command runs (it reloads keepalived, then verifies in the same command): freeze it
        // and everything of its session where it stands.
        name: "during activation/verification",
        watch: `until a=$(running '[s]ystemctl reload keepalived' | head -1); [ -n "$a" ]; do sleep 0.05; done
                sid=$(ps -o sid= -p "$a" | tr -d ' ')
                kill -STOP $(ps -o pid= -s "$sid") 2>/dev/null
                echo "frozen sshd: $(stop_controller | tr '\\n' ' ')session $sid: $(ps -o args= -s "$sid" | cut -c1-40 | tr '\\n' '|')"`,
    },
];

/** Starts the watcher on `h`; resolves with its report once the step is reached and frozen. */
function watchFor(h: LabHost, step: Step): { reached: Promise<string>; stop: () => void } {
    const child = spawn("ssh", [...sshArgs(h), "--", "sh", "-c", `'${`${WATCH_LIB}\n${step.watch}\necho REACHED`.replace(/'/g, `'\\''`)}'`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const reached = new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("REACHED")) resolve(out.replace("REACHED", "").trim());
        });
        child.on("exit", (code) => reject(new Error(`the watcher on ${h.name} ended (${code}) before the step: ${out}`)));
    });
    reached.catch(() => undefined);
    return { reached, stop: () => child.kill("SIGKILL") };
}

/** `pulumi up` in the background: its output and exit code once it ends. */
function upInBackground(project: ReturnType<typeof exampleProject>): Promise<{ code: number; out: string }> {
    const child = spawn("pulumi", ["--non-interactive", "up", "--yes", "--skip-preview"], { cwd: project.dir, env: project.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    return new Promise((resolve) => child.on("exit", (code) => resolve({ code: code ?? -1, out })));
}

function powerCycle(h: LabHost): void {
    const env = { ...process.env, VMLAB_DIR: inventoryPath().replace(/\/inventory\.json$/, "") };
    const r = spawnSync("bash", [VMLAB_SCRIPT, "power-cycle", h.name], { env, encoding: "utf8" });
    assert.equal(r.status, 0, `power-cycle ${h.name}: ${r.stdout}${r.stderr}`);
}

/** What "old" and "new" are judged by: the config's checksum, keepalived's unit, the node's addresses. */
function hostState(h: LabHost): { conf: string; keepalived: string; addresses: string } {
    const [conf, keepalived, addresses] = onAnyHost(
        h,
        `sha256sum < ${CONF} | cut -c1-16; echo "$(systemctl is-enabled keepalived) $(systemctl is-active keepalived)"; ip -o -4 addr show dev eth0 | awk '{print $4}' | sort | tr '\\n' ' '`,
    ).split("\n");
    return { conf, keepalived, addresses: addresses.trim() };
}

/** Staged or backup copies beside any target, and transaction lists still open, on `h`. */
function leftovers(h: LabHost): string[] {
    return onAnyHost(h, `find /etc /var/lib/pulumi-onprem \\( -name '.*.onprem-new' -o -name '.*.onprem-bak' \\) -print 2>/dev/null; ls -d /var/lib/pulumi-onprem/*/txn/staging* /var/lib/pulumi-onprem/*/txn/pending* 2>/dev/null; true`)
        .split("\n")
        .filter(Boolean);
}

const answers = (h: LabHost) => runOnHost(h, "true", { allowFail: true, timeoutMs: 30_000 }).status === 0;

test("KeepalivedCluster on VMs: power lost at each step of a node's transaction; the node boots back old or new, nothing left, up converges", async (t) => {
    assert.equal(labKind(), "vm", "this test needs the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    const [master, node] = inventory().hosts;
    assert.ok(master && node, "the VM lab needs 2 VMs");
    const net = master.address.replace(/\.\d+$/, "");
    const vips = [150, 151, 152, 153].map((n) => `${net}.${n}`);
    for (const h of [master, node]) runOnHost(h, "systemctl stop keepalived; rm -rf /var/lib/pulumi-onprem", { allowFail: true });

    const project = exampleProject("keepalived-master-backup");
    t.after(() => fs.rmSync(project.dir, { recursive: true, force: true }));
    const timed = timedPulumi(t, project);
    const run = (args: string[]) => timed(args).out;
    setObjectConfig(project, { hosts: [master, node], vip: vips[0] });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", PASSWORD]);
    run(["up", "--yes"]);
    await eventually("the VIP on the master", () => holdsAddress(master, vips[0]), 120_000, 1000);
    assert.equal(onAnyHost(node, `systemctl is-enabled ${RECOVERY_UNIT_NAME}`), "enabled", "the first transaction installed the boot unit");

    const rows = ["fault | step | state after reboot | leftovers | boot (s) | time to recover (s)", "--- | --- | --- | --- | --- | ---"];
    for (const [i, step] of STEPS.entries()) {
        const vip = vips[i + 1];
        const old = hostState(node);
        setObjectConfig(project, { vip });
        const watcher = watchFor(node, step);
        const up = upInBackground(project);
        const froze = await Promise.race([
            watcher.reached,
            up.then((r) => {
                throw new Error(`up ended (${r.code}) before ${step.name} was reached:\n${r.out}`);
            }),
        ]);
        const cut = process.hrtime.bigint();
        powerCycle(node);
        watcher.stop();
        t.diagnostic(`${step.name}: ${froze}; power cut`);

        // The deployment loses its host: it fails by itself, naming it (state stays consistent: no kill of pulumi).
        const failed = await up;
        assert.notEqual(failed.code, 0, failed.out);
        assert.match(failed.out, new RegExp(node.address.replace(/\./g, "\\.")), "the failure names the host");

        await eventually(`${node.name} answers SSH again`, () => answers(node), RECOVERY_BOUND_SECONDS * 1000, 2000);
        const booted = secondsSince(cut);
        await eventually(`${node.name} finished the interrupted transaction`, () => leftovers(node).length === 0, RECOVERY_BOUND_SECONDS * 1000, 2000);
        const recovered = secondsSince(cut);
        const after = hostState(node);
        const unit = onAnyHost(node, `systemctl show -p ExecMainStatus --value ${RECOVERY_UNIT_NAME}; systemctl is-enabled ${RECOVERY_UNIT_NAME}`);
        assert.equal(unit, "0\nenabled", "the boot unit ran and ended well");
        await eventually("keepalived active again", () => hostState(node).keepalived === "enabled active", 120_000, 2000);

        // The next up converges; the one after changes nothing.
        run(["up", "--yes", "--skip-preview"]);
        const converged = hostState(node);
        run(["up", "--yes", "--expect-no-changes"]);
        await eventually(`the new VIP ${vip} on the master`, () => holdsAddress(master, vip), 120_000, 1000);
        const which = after.conf === old.conf ? "old" : after.conf === converged.conf ? "new" : "BETWEEN";
        assert.notEqual(which, "BETWEEN", `${node.name}'s config after the reboot is neither the old nor the new one`);
        assert.equal(after.addresses, (which === "old" ? old : converged).addresses, "its addresses as in that state");
        rows.push(`power loss (qemu kill -9) | ${step.name} | ${which} | ${leftovers(node).length} | ${booted.toFixed(0)} | ${recovered.toFixed(0)}`);
        t.diagnostic(rows[rows.length - 1]);
    }
    for (const row of rows) t.diagnostic(row); // the table, a line each (TAP escapes a line break)

    // The last resource leaves the hosts: the boot unit goes with it.
    run(["destroy", "--yes", "--skip-preview"]);
    for (const h of [master, node]) {
        assert.equal(onAnyHost(h, `test -e ${RECOVERY_UNIT_PATH} && echo left || echo gone; ls /var/lib/pulumi-onprem 2>/dev/null | grep -v created-dirs || true`), "gone", `${h.name}: no unit, no state`);
    }
});
