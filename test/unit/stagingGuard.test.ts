/**
 * The host's own clean-up of staged copies, run here with sh on a temp directory: it removes the copies
 * (and the directories staging created) once the controller has been silent for the timeout, and never
 * after the swap took them.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DISCARD_STAGING, renderStagingGuardScript, TAKE_STAGING } from "../../provider/host/steps/stage";

const root = mkdtempSync(join(tmpdir(), "staging-guard-"));
after(() => rmSync(root, { recursive: true, force: true }));

function arm(name: string, seconds: number) {
    const S = join(root, name, "state");
    const made = join(root, name, "etc", "new");
    mkdirSync(made, { recursive: true });
    const copies = [join(root, name, "etc", ".a.conf.onprem-new"), join(made, ".b.conf.onprem-new")];
    for (const c of copies) writeFileSync(c, "staged\n");
    execFileSync("sh", ["-c", renderStagingGuardScript(S, copies, [made], seconds)]);
    return { S, made, copies };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the guard script is valid sh", () => {
    execFileSync("sh", ["-n"], { input: renderStagingGuardScript("/var/lib/pulumi-onprem/k", ["/etc/.it's.onprem-new"], ["/etc/new dir"], 120) });
});

test("the host removes staged copies and the directories staging made once the controller is silent for the timeout", async () => {
    const { S, made, copies } = arm("silent", 1);
    assert.ok(copies.every((c) => existsSync(c)));
    await wait(2500);
    assert.deepEqual(copies.filter((c) => existsSync(c)), [], "no staged copy is left");
    assert.equal(existsSync(made), false, "the directory staging created is gone");
    assert.equal(existsSync(S), false, "nothing of the attempt is left in the state directory");
});

test("renewing the list's mtime holds the clean-up off; taking it for the swap cancels it", async () => {
    // A timeout of 3 s renewed every 0.5 s for 5 s: the host reads whole seconds of mtime, and a busy
    // machine delays the renewals; 1 s left no margin for either.
    const { S, copies } = arm("renewed", 3);
    for (let i = 0; i < 10; i++) {
        await wait(500);
        const now = new Date();
        utimesSync(join(S, "txn", "staging"), now, now);
    }
    assert.ok(copies.every((c) => existsSync(c)), "a controller at work keeps its copies");
    execFileSync("sh", ["-c", `S='${S}'; ${TAKE_STAGING} && rm -f "$S/txn/staging.taken"`]);
    await wait(4000);
    assert.ok(copies.every((c) => existsSync(c)), "after the swap took them, the cleaner is gone");
    assert.equal(existsSync(join(S, "txn", "cleaner.pid")), false);
});

test("discarding removes the copies at once; a second discard finds nothing to do", () => {
    const { S, copies } = arm("discarded", 60);
    execFileSync("sh", ["-c", `S='${S}'; ${DISCARD_STAGING}; ${DISCARD_STAGING}`]);
    assert.deepEqual(copies.filter((c) => existsSync(c)), []);
    assert.equal(existsSync(S), false);
});
