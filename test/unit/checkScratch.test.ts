/**
 * The cluster check's scratch directory (its staged copies, in a private directory) is gone after the
 * command however it ended: run here with the local `sh`, killed as a cut or a crash would.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { FileChange } from "../../provider/host/changes";
import { renderStage } from "../../provider/host/steps/stage";

const root = mkdtempSync(join(tmpdir(), "check-scratch-"));
after(() => rmSync(root, { recursive: true, force: true }));
const group = execFileSync("id", ["-gn"], { encoding: "utf8" }).trim();
const TARGET = "/etc/keepalived/keepalived.conf";
const change: FileChange = { action: "write", file: { path: TARGET, content: "x\n", owner: userInfo().username, group }, filled: "x\n", reason: "content" };

async function gone(path: string, withinMs: number): Promise<number> {
    const started = Date.now();
    while (existsSync(path) && Date.now() - started < withinMs) await new Promise((r) => setTimeout(r, 50));
    return Date.now() - started;
}

/** Runs the check's command in a session of its own (setsid) whose validator ends with `end` ($$: the validator's shell). */
function runCheck(dir: string, end: string): void {
    const validator = { description: "config test", command: `test -s {{staged:${TARGET}}} && ${end}` };
    const { script, args, stdin } = renderStage("", [change], { placement: { place: () => join(dir, "k"), privateDir: dir }, validators: [validator] });
    spawnSync("setsid", ["-w", "sh", "-c", script, "sh", ...args], { input: stdin, stdio: ["pipe", "ignore", "ignore"] });
}

test("SIGKILL of the whole check mid-validator (no trap runs): the directory is removed once its shell is gone", async (t) => {
    const dir = join(root, "killed");
    // The validator's shell shares the check's process group: all of it dies at once, traps unrun.
    runCheck(dir, `kill -s KILL -- -$(cut -d' ' -f5 /proc/$$/stat)`);
    // The watcher looks once a second; a loaded machine (the VM tier boots beside this tier) can take longer.
    const ms = await gone(dir, 20_000);
    assert.equal(existsSync(dir), false, "the scratch directory is gone");
    t.diagnostic(`removed ${ms} ms after the kill`);
});

test("the check ends normally: the directory is gone at once, and a directory that existed is never touched", async () => {
    const dir = join(root, "normal");
    runCheck(dir, "true");
    assert.equal(existsSync(dir), false);
    const theirs = join(root, "theirs");
    execFileSync("mkdir", [theirs]);
    runCheck(theirs, "true"); // mkdir fails: the command stops before its watcher starts
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(existsSync(theirs), true, "a directory the check did not make stays");
});
