/**
 * A power loss mid-transaction, played with a real sh on temp directories: the sleepers die with the
 * host (SIGKILL of their process groups), the boot unit's re-arm runs, and each step ends old or new with
 * nothing left beside the target. Also the unit itself: its ExecStart is the re-arm script, unchanged.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { STATE_ROOT } from "../../provider/contract/desired";
import { execStartShell, RECOVERY_UNIT_PATH, renderRecoveryUnit } from "../../provider/contract/recoveryUnit";
import { HostSnapshot, StagedChange } from "../../provider/host/changes";
import { backupPath, stagedPath } from "../../provider/host/layout";
import { renderInstallRecoveryUnit, renderRearmScript, renderRetireRecoveryUnit } from "../../provider/host/recovery";
import { renderRollbackScript, renderSwapScript } from "../../provider/host/steps/checkpoint";
import { renderStagingGuardScript } from "../../provider/host/steps/stage";

const root = mkdtempSync(join(tmpdir(), "power-loss-"));
after(() => rmSync(root, { recursive: true, force: true }));
const TIMEOUT = 30;

const sh = (script: string, input?: string) => execFileSync("sh", ["-c", script], { input, stdio: ["pipe", "pipe", "pipe"] }).toString();
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a power loss does to the sleepers: gone without a word, their files left as they were. */
function powerLoss(S: string): void {
    for (const f of ["cleaner.pid", "watchdog.pid"]) {
        const p = join(S, "txn", f);
        // By group, and by pid for a sleeper that has not reached its setsid yet (seen once under load).
        if (existsSync(p)) sh(`pid=$(cat '${p}'); kill -KILL -- -$pid 2>/dev/null; kill -KILL $pid 2>/dev/null; true`);
    }
}

/** The host was down for `seconds`: the lists' mtimes are that much older. */
function downFor(S: string, seconds: number): void {
    const then = new Date(Date.now() - seconds * 1000);
    for (const f of ["staging", "staging.cleaning", "pending", "pending.watchdog", "pending.rollback"]) {
        const p = join(S, "txn", f);
        if (existsSync(p)) utimesSync(p, then, then);
    }
}

/** The boot unit's re-arm on `root`; it waits for the sleepers it starts, which act at once when due. */
const boot = () => sh(renderRearmScript(root));

/** Every file under `dir` whose name marks a staged or backup copy. */
const leftovers = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.onprem-(new|bak)$/.test(f));

/** A target with `old` content, its staged copy with "new", and the transaction's scripts. */
function transaction(name: string) {
    const S = join(root, name);
    const etc = join(root, `${name}-etc`);
    mkdirSync(etc, { recursive: true });
    const target = join(etc, "a.conf");
    writeFileSync(target, "old\n");
    const staged: StagedChange[] = [{ action: "write", file: { path: target, content: "new\n" }, filled: "new\n", reason: "content", staged: stagedPath(target) }];
    const snapshot: HostSnapshot = { present: true, files: { [target]: { exists: true } }, texts: {}, services: {}, missingDirs: [], recovered: false };
    const stage = () => {
        sh(renderStagingGuardScript(S, [stagedPath(target)], [], TIMEOUT));
        writeFileSync(stagedPath(target), "new\n");
    };
    const swap = () => sh(renderSwapScript(S, staged, snapshot, [], TIMEOUT), renderRollbackScript(S, staged, snapshot, []));
    return { S, etc, target, stage, swap };
}

test("the unit runs the re-arm script as it is rendered, at boot, without holding boot up", () => {
    const script = renderRearmScript(STATE_ROOT);
    const unit = renderRecoveryUnit(script, STATE_ROOT);
    assert.match(unit, /^Type=exec$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
    assert.match(unit, /^ConditionDirectoryNotEmpty=\/var\/lib\/pulumi-onprem$/m);
    // systemd joins the continuation lines with a space and reads $$ as $.
    const exec = unit.slice(unit.indexOf("ExecStart=")).split("\n\n")[0].replace(/ \\\n {2}/g, " ");
    const m = /^ExecStart=\/bin\/sh -c '([^']*)'$/.exec(exec);
    assert.ok(m, exec);
    assert.equal(m[1].replace(/\$\$/g, "$"), script.split("\n").join(" "));
    execFileSync("sh", ["-n"], { input: m[1].replace(/\$\$/g, "$") });
    assert.throws(() => execStartShell("echo 'x'"), /single quote/);
    assert.throws(() => execStartShell("date +%s"), /%/);
});

test("the unit is installed only for the engine's own state root, and retired once no resource keeps state", () => {
    assert.deepEqual(renderInstallRecoveryUnit(join(root, "k")), [], "a scratch state dir installs nothing");
    const install = renderInstallRecoveryUnit(`${STATE_ROOT}/k`).join("\n");
    execFileSync("sh", ["-n"], { input: install });
    assert.match(install, /^if \[ -d \/run\/systemd\/system \]/, "systemd hosts only");
    assert.ok(install.includes(`mv -f /etc/systemd/system/.pulumi-onprem-recover.service.onprem-new ${RECOVERY_UNIT_PATH}`), "one file, by a rename");
    assert.match(install, /systemctl enable --quiet pulumi-onprem-recover\.service/);
    const retire = renderRetireRecoveryUnit();
    execFileSync("sh", ["-n"], { input: retire });
    assert.match(retire, /ls -d \/var\/lib\/pulumi-onprem\/\*\/ .*systemctl disable --quiet pulumi-onprem-recover\.service/);
});

test("power lost after staging: at boot the cleaner runs again and removes the staged copy once the deadline has passed", () => {
    const { S, etc, target, stage } = transaction("after-staging");
    stage();
    powerLoss(S);
    assert.deepEqual(leftovers(etc), [".a.conf.onprem-new"]);
    downFor(S, TIMEOUT + 1);
    boot();
    assert.deepEqual(leftovers(etc), [], "no staged copy left");
    assert.equal(readFileSync(target, "utf8"), "old\n", "old");
    assert.equal(existsSync(S), false, "nothing of the attempt in the state directory");
});

test("power lost after the swap, before the commit: at boot the watchdog runs again and puts the old file back", () => {
    const { S, etc, target, stage, swap } = transaction("after-swap");
    stage();
    swap();
    powerLoss(S);
    assert.equal(readFileSync(target, "utf8"), "new\n");
    assert.deepEqual(leftovers(etc), [".a.conf.onprem-bak"]);
    downFor(S, TIMEOUT + 1);
    boot();
    assert.equal(readFileSync(target, "utf8"), "old\n", "old");
    assert.deepEqual(leftovers(etc), [], "no backup left");
    assert.equal(existsSync(S), false, "the first transaction's state directory goes with it");
});

test("power lost during the rollback, after it put the file back: the rollback runs again at boot and keeps the file", () => {
    const { S, etc, target, stage, swap } = transaction("mid-rollback");
    stage();
    swap();
    powerLoss(S);
    // The watchdog took `pending` and renamed the backup back, then the power went.
    sh(`S='${S}'; mv "$S/txn/pending" "$S/txn/pending.watchdog"; mv -f '${backupPath(target)}' '${target}'`);
    downFor(S, TIMEOUT + 1);
    boot();
    assert.equal(readFileSync(target, "utf8"), "old\n", "a second run does not remove a file that existed");
    assert.deepEqual(leftovers(etc), []);
    assert.equal(existsSync(S), false);
});

test("power lost inside the swap, before the renames: the rollback removes the staged copy the swap had taken", () => {
    const { S, etc, target, stage, swap } = transaction("mid-swap");
    stage();
    swap();
    powerLoss(S);
    // As if the power went before the rename: the target still the old inode, the staged copy beside it.
    sh(`mv -f '${backupPath(target)}' '${target}'; echo new > '${stagedPath(target)}'`);
    writeFileSync(target, "old\n");
    downFor(S, TIMEOUT + 1);
    boot();
    assert.equal(readFileSync(target, "utf8"), "old\n");
    assert.deepEqual(leftovers(etc), []);
});

test("power lost after the swap, whose rename did not reach the disk: the backup still links the old file, and goes", () => {
    const { S, etc, target, stage, swap } = transaction("rename-lost");
    stage();
    swap();
    powerLoss(S);
    // What the disk kept: the backup linked to the old inode, the staged copy beside it, the rename gone.
    sh(`mv -f '${target}' '${stagedPath(target)}'; ln '${backupPath(target)}' '${target}'`);
    downFor(S, TIMEOUT + 1);
    boot();
    assert.equal(readFileSync(target, "utf8"), "old\n");
    assert.deepEqual(leftovers(etc), [], "neither the backup nor the staged copy is left");
});

test("a reboot inside the window keeps the rest of it: the re-armed watchdog waits, and a commit then disarms it", async () => {
    const { S, etc, target, stage, swap } = transaction("in-window");
    stage();
    swap();
    powerLoss(S);
    downFor(S, TIMEOUT - 3);
    const rearm = spawn("sh", ["-c", renderRearmScript(root)], { stdio: "ignore" });
    const ended = new Promise((r) => rearm.on("exit", r));
    await wait(1000);
    assert.equal(readFileSync(target, "utf8"), "new\n", "not yet: the window is not over");
    // The controller is back and commits (the commit's first lines): it finds the re-armed watchdog by its pid file.
    sh(`S='${S}'; rm "$S/txn/pending" && kill -s KILL -- -"$(cat "$S/txn/watchdog.pid")"`);
    await ended;
    await wait(3000);
    assert.equal(readFileSync(target, "utf8"), "new\n", "new: committed, and no watchdog undid it");
    rmSync(backupPath(target));
    assert.deepEqual(leftovers(etc), []);
});

test("the window's end after a reboot: a re-armed watchdog acts at the deadline counted from before the reboot", async () => {
    const { S, target, stage, swap } = transaction("window-end");
    stage();
    swap();
    powerLoss(S);
    downFor(S, TIMEOUT - 2);
    const started = Date.now();
    boot();
    const took = (Date.now() - started) / 1000;
    assert.equal(readFileSync(target, "utf8"), "old\n");
    assert.ok(took >= 1 && took < 5, `the rest of the window, not a new one: ${took.toFixed(1)} s`);
});
