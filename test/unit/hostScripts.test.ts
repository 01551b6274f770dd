/**
 * The read and staging commands, run here with sh on a temp directory: one command reads every file's
 * state and the shared files' text byte for byte; one command stages every file from one standard input
 * (each file exactly its own bytes) and the originals of dropped files.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FileChange } from "../../provider/host/changes";
import { originalKey } from "../../provider/host/layout";
import { parseSnapshot, renderRead } from "../../provider/host/steps/prepare";
import { DISCARD_STAGING, renderStage } from "../../provider/host/steps/stage";

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
    const { script, args, stdin, step } = renderStage(S, changes, { place: (t) => `${t}.staged` }, guard);
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

test("the staging command makes a private directory for its copies, and never one that exists", () => {
    const priv = join(root, "private");
    const c: FileChange = { action: "write", file: { path: "/etc/keepalived/keepalived.conf", content: "x\n", owner: user, group }, filled: "x\n", reason: "content" };
    const { script, args, stdin } = renderStage("", [c], { place: () => join(priv, "k"), privateDir: priv });
    sh(script, args, stdin);
    assert.equal((statSync(priv).mode & 0o777).toString(8), "700");
    assert.equal(readFileSync(join(priv, "k"), "utf8"), "x\n");
    assert.throws(() => sh(script, args, stdin), /File exists/, "a second run finds the directory there and stops");
});
