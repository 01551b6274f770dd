/**
 * The read and staging commands, run here with sh on a temp directory: one command reads every file's
 * state and the shared files' text byte for byte; one command stages every file from one standard input
 * (each file exactly its own bytes) and the originals of dropped files; one command runs several steps
 * (activation and the checks after it), each named and retried on its own.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FileChange } from "../../provider/host/changes";
import { originalKey } from "../../provider/host/layout";
import { parseSnapshot, renderRead } from "../../provider/host/steps/prepare";
import { DISCARD_STAGING, renderStage } from "../../provider/host/steps/stage";
import { phaseFailure, renderPhases, runningPhase, type Phase } from "../../provider/host/steps/phases";

const root = mkdtempSync(join(tmpdir(), "host-scripts-"));
after(() => rmSync(root, { recursive: true, force: true }));
const user = userInfo().username;
const group = execFileSync("id", ["-gn"], { encoding: "utf8" }).trim();

const sh = (script: string, args: readonly string[], input: Buffer | string = "") => execFileSync("sh", ["-c", script, "sh", ...args], { input, encoding: "utf8" });
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

test("one read command: each file's hash, mode, owner and last written hash, the missing directories, and shared files' text byte for byte", () => {
    const S = join(root, "read-state");
    const kept = join(root, "etc", "kept.conf");
    const missing = join(root, "etc", "new", "deeper", "x.conf");
    const shared = join(root, "etc", "daemon.json");
    mkdirSync(join(S, "written"), { recursive: true });
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(kept, "kept\n", { mode: 0o640 });
    writeFileSync(join(S, "written", originalKey(kept)), `${sha("kept\n")}\n`);
    const text = '{\n  "tab": "\t", "ü": "€"\n}'; // no final newline: it must survive too
    writeFileSync(shared, text);

    const { script, args } = renderRead("read", S, { paths: [kept, missing], texts: [shared, join(root, "etc", "absent.json")], services: [] });
    const snap = parseSnapshot(sh(script, args));
    assert.deepEqual(snap.files[kept], { exists: true, sha256: sha("kept\n"), mode: "640", owner: user, group, lastWritten: sha("kept\n") });
    assert.deepEqual(snap.files[missing], { exists: false });
    assert.deepEqual(snap.missingDirs, [join(root, "etc", "new", "deeper"), join(root, "etc", "new")], "the innermost first, up to one that exists");
    assert.equal(snap.texts[shared], text);
    assert.ok(join(root, "etc", "absent.json") in snap.texts && snap.texts[join(root, "etc", "absent.json")] === undefined, "an absent shared file reads as undefined");
    assert.equal(snap.present, true);
});

test("one staging command: the guard armed first, every file exactly its own bytes and mode, originals staged or reported", () => {
    const S = join(root, "stage-state");
    const dir = join(root, "stage");
    mkdirSync(join(S, "orig"), { recursive: true });
    mkdirSync(dir, { recursive: true });
    const file = (path: string, content: string, mode?: string): FileChange => ({ action: "write", file: { path, content, mode, owner: user, group }, filled: content, reason: "absent" });
    const big = "x".repeat(200_000) + "\n"; // larger than a pipe's buffer: the next file must not lose bytes to it
    const writes = [
        file(join(dir, "a.conf"), big, "0600"),
        file(join(dir, "new", "deeper", "b.conf"), "b: ü€\nno final newline", "0644"),
        file(join(dir, "empty.conf"), ""),
    ];
    const restored = join(dir, "restored.conf");
    const removed = join(dir, "removed.conf");
    writeFileSync(join(S, "orig", originalKey(restored)), "the original\n");
    writeFileSync(join(S, "orig", `${originalKey(removed)}.absent`), "");
    const originals: FileChange[] = [restored, removed, join(dir, "never-recorded.conf")].map((path) => ({ action: "restore", path }));

    const changes = [writes[0], ...originals, writes[1], writes[2]];
    const guard = { stateDir: S, timeoutSeconds: 60, createdDirs: [join(dir, "new", "deeper"), join(dir, "new")] };
    const { script, args, stdin, step } = renderStage(S, changes, { placement: { place: (t) => `${t}.staged` }, guard });
    assert.equal(step, `stage ${join(dir, "a.conf")}, the original of ${restored}, the original of ${removed}, the original of ${join(dir, "never-recorded.conf")}, ${join(dir, "new", "deeper", "b.conf")}, ${join(dir, "empty.conf")}`);
    const out = sh(script, args, stdin);
    try {
        assert.equal(out, "restore\nremove\nunknown\n", "one answer per original, in order");
        for (const w of writes) {
            if (w.action !== "write") continue;
            const staged = `${w.file.path}.staged`;
            assert.equal(readFileSync(staged, "utf8"), w.filled, `${staged} holds exactly its own bytes`);
            assert.equal((statSync(staged).mode & 0o777).toString(8), (w.file.mode ?? "0644").replace(/^0/, ""));
        }
        assert.equal(readFileSync(join(dir, ".restored.conf.onprem-new"), "utf8"), "the original\n", "an original kept is staged beside its target");
        assert.equal((statSync(join(dir, "new")).mode & 0o777).toString(8), "755", "directories staging makes are world-readable");
        const list = readFileSync(join(S, "txn", "staging"), "utf8");
        for (const c of changes) assert.ok(list.includes(c.action === "write" ? `f ${c.file.path}.staged` : `f ${join(dir, ".")}`), `the guard lists ${c.action === "write" ? c.file.path : c.path}`);
    } finally {
        sh(`S=$1; ${DISCARD_STAGING}`, [S]);
    }
    assert.equal(existsSync(`${writes[0].action === "write" ? writes[0].file.path : ""}.staged`), false, "the guard's list covers what was staged: discarding removes it");
});

test("the check's staging command: a private directory made for the copies, the validators run on them, the directory gone after success and failure alike", () => {
    const priv = join(root, "private");
    const target = "/etc/keepalived/keepalived.conf";
    const c: FileChange = { action: "write", file: { path: target, content: "x\n", owner: user, group }, filled: "x\n", reason: "content" };
    const look = { description: "look", command: `stat -c %a ${priv} > ${root}/mode; cat {{staged:${target}}} > ${root}/seen` };
    const placement = { place: () => join(priv, "k"), privateDir: priv };
    const ok = renderStage("", [c], { placement, validators: [look] });
    assert.equal(ok.step, `stage ${target}, then look`);
    sh(ok.script, ok.args, ok.stdin);
    assert.equal(readFileSync(join(root, "mode"), "utf8"), "700\n", "private while the validators ran");
    assert.equal(readFileSync(join(root, "seen"), "utf8"), "x\n", "the validator read the staged copy");
    assert.equal(existsSync(priv), false, "removed when the command ended");

    const bad = { description: "config test", command: "echo 'line 3: bad keyword' >&2; exit 4" };
    const failing = renderStage("", [c], { placement, validators: [look, bad] });
    const r = spawnSync("sh", ["-c", failing.script, "sh", ...failing.args], { input: failing.stdin, encoding: "utf8" });
    assert.notEqual(r.status, 0);
    const err = phaseFailure("root@h", failing.checks, r.stderr, (s) => s);
    assert.equal(err?.kind, "Validation");
    assert.equal(err?.message, "root@h: config test failed (exit 4)\n    line 3: bad keyword", "the failing validator, its exit code and output, as if it had run alone");
    assert.equal(existsSync(priv), false, "removed after a failure too");
    assert.equal(phaseFailure("root@h", failing.checks, "head: write error\n", (s) => s), undefined, "a staging failure is not a validator's");

    mkdirSync(priv);
    // No standard input here: the command stops before reading it, and writing it then would race that exit (EPIPE).
    assert.throws(() => sh(ok.script, ok.args), /File exists/, "never a directory that exists");
});

test("steps in one command: each announced as it starts, retried on the host, the first failure named with its exit code and output", () => {
    const count = join(root, "phase-count");
    const phases: Phase[] = [
        { description: "activate svc", kind: "Apply", command: `echo started > ${join(root, "phase-started")}` },
        // Fails twice, then passes: the retries happen inside the command.
        { description: "verify: svc is up", kind: "Verification", command: `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}; [ "$n" -ge 2 ]`, attempts: 5, intervalMs: 10 },
        { description: "verify: answers", kind: "Verification", command: "echo 'no answer on :80' >&2; exit 7", attempts: 2, intervalMs: 10 },
        { description: "verify: never reached", kind: "Verification", command: `touch ${join(root, "phase-never")}` },
    ];
    const r = spawnSync("sh", ["-c", renderPhases(phases).join("\n")], { encoding: "utf8" });
    assert.equal(r.status, 3);
    assert.equal(readFileSync(join(root, "phase-started"), "utf8"), "started\n");
    assert.equal(readFileSync(count, "utf8"), "3\n", "tried until it passed, in the one command");
    assert.equal(existsSync(join(root, "phase-never")), false, "the first failure ends the command");
    assert.equal(runningPhase(phases, r.stdout)?.description, "verify: answers", "the step running when the command ended");
    assert.equal(runningPhase(phases, ""), undefined);
    const err = phaseFailure("root@h", phases, r.stderr, (s) => s.replace("80", "NN"));
    assert.equal(err?.kind, "Verification");
    assert.equal(err?.message, "root@h: verify: answers failed (exit 7)\n    no answer on :NN", "its exit code and its output (redacted), as if it had run alone");

    rmSync(count);
    const ok = spawnSync("sh", ["-c", renderPhases(phases.slice(0, 2)).join("\n")], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(runningPhase(phases, ok.stdout)?.description, "verify: svc is up");
});
