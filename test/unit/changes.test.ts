import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { driftReplaced, HostSnapshot, planChanges, sha256 } from "../../provider/host/changes";
import { DesiredState } from "../../provider/contract/desired";
import { placeholder } from "../../provider/contract/secrets";
import { renderActivateScript } from "../../provider/host/steps/activate";
import { renderRollbackScript, renderSwapScript } from "../../provider/host/steps/checkpoint";
import { parseSnapshot } from "../../provider/host/steps/prepare";
import { renderRestoreScript } from "../../provider/host/restore";

const desired = (over: Partial<DesiredState> = {}): DesiredState => ({
    files: [
        { path: "/etc/a.conf", content: `pass ${placeholder("p")}\n` },
        { path: "/etc/b.conf", content: "b\n", mode: "0600" },
    ],
    services: [{ name: "svc", onChange: "reload", watch: ["/etc/a.conf"], state: "running" }],
    packages: [],
    validators: [],
    verifiers: [],
    states: [],
    secrets: { p: "hunter2" },
    ensurePackages: true,
    rollbackTimeoutSeconds: 120,
    ...over,
});

const matching = (): HostSnapshot => ({
    present: true,
    recovered: false,
    missingDirs: [],
    texts: {},
    files: {
        "/etc/a.conf": { exists: true, sha256: sha256("pass hunter2\n"), mode: "644", owner: "root", group: "root" },
        "/etc/b.conf": { exists: true, sha256: sha256("b\n"), mode: "600", owner: "root", group: "root" },
    },
    services: { svc: { active: true, enabled: true } },
});

test("a host that matches needs nothing (secrets compared filled in)", () => {
    assert.deepEqual(planChanges(desired(), matching()), { files: [], services: [], states: [] });
});

test("only the changed file is written, and only the service watching it is triggered", () => {
    const snap = matching();
    snap.files["/etc/b.conf"].sha256 = sha256("hand edit\n");
    const plan = planChanges(desired(), snap);
    assert.deepEqual(plan.files.map((f) => f.action === "write" && [f.file.path, f.reason]), [["/etc/b.conf", "content"]]);
    assert.deepEqual(plan.services, []);
    snap.files["/etc/a.conf"].mode = "664";
    const plan2 = planChanges(desired(), snap);
    assert.deepEqual(plan2.files.map((f) => f.action === "write" && f.reason), ["mode", "content"]);
    assert.equal(plan2.services[0].trigger, true);
});

test("a file changed on the host since the resource wrote it is named when the plan overwrites it; a shared file never is", () => {
    const snap = matching();
    snap.files["/etc/a.conf"].lastWritten = snap.files["/etc/a.conf"].sha256; // as written, only the declared content changes
    snap.files["/etc/b.conf"] = { ...snap.files["/etc/b.conf"], lastWritten: sha256("b\n"), sha256: sha256("hand edit\n") };
    const next = desired({ files: [{ path: "/etc/a.conf", content: "new\n" }, { path: "/etc/b.conf", content: "b\n", mode: "0600" }] });
    assert.deepEqual(driftReplaced(planChanges(next, snap), snap), ["/etc/b.conf"]);
    const shared = desired({ files: [{ path: "/etc/b.conf", content: "{}\n", merge: "json-keys" }] });
    assert.deepEqual(driftReplaced(planChanges(shared, { ...snap, texts: { "/etc/b.conf": "{}\n" } }), snap), []);
    delete snap.files["/etc/b.conf"].lastWritten;
    assert.deepEqual(driftReplaced(planChanges(next, snap), snap), [], "no record (written before records were kept): nothing to say");
});

test("a stopped service is started without a trigger; a dropped path is restored", () => {
    const snap = matching();
    snap.services.svc.active = false;
    const plan = planChanges(desired(), snap, ["/etc/old.conf"]);
    assert.deepEqual(plan.files, [{ action: "restore", path: "/etc/old.conf" }]);
    assert.equal(plan.services[0].start, true);
    assert.equal(plan.services[0].trigger, false);
});

test("parseSnapshot reads the prepare script's lines", () => {
    const snap = parseSnapshot("P\nR\nF\t/etc/a\tabc\t644\troot\tadm\nA\t/etc/x/y\nD\t/etc/x\nS\tsvc\tactive\tdisabled\n");
    assert.equal(snap.present && snap.recovered, true);
    assert.deepEqual(snap.files["/etc/a"], { exists: true, sha256: "abc", mode: "644", owner: "root", group: "adm" });
    assert.deepEqual(snap.files["/etc/x/y"], { exists: false });
    assert.deepEqual(snap.missingDirs, ["/etc/x"]);
    assert.deepEqual(snap.services.svc, { active: true, enabled: false });
});

test("rendered host scripts are valid sh, and never hold a secret", () => {
    const snap = matching();
    snap.files["/etc/a.conf"].sha256 = "0";
    snap.missingDirs = ["/etc/new dir"];
    const plan = planChanges(desired(), snap, ["/etc/it's.conf"]);
    const staged = plan.files.map((c) => ({ ...c, staged: "/etc/.x.onprem-new" }));
    const scripts = [
        renderSwapScript("/var/lib/pulumi-onprem/k", staged, snap, plan.services, 120),
        renderRollbackScript("/var/lib/pulumi-onprem/k", staged, snap, plan.services),
        renderActivateScript(plan.services),
        renderRestoreScript("/var/lib/pulumi-onprem/k", ["/etc/a.conf", "/etc/it's.conf"], desired().services),
    ];
    for (const s of scripts) {
        execFileSync("sh", ["-n"], { input: s });
        assert.ok(!s.includes("hunter2"));
    }
    assert.match(scripts[2], /systemctl reload svc/);
});

test("a daemon the resource does not own is restarted only while it runs, never started or enabled", () => {
    const script = renderActivateScript([{ service: { name: "docker", onChange: "restart", onlyIfRunning: true }, trigger: true, start: true, stop: false, enable: true }]);
    execFileSync("sh", ["-n"], { input: script });
    assert.match(script, /^if systemctl is-active -q docker; then systemctl restart docker; fi$/m);
    assert.doesNotMatch(script, /systemctl (start|enable) docker/);
});

test("a unit file changed, put back or removed reloads systemd before services use it; other files do not", () => {
    const unit = "/etc/systemd/system/svc.service.d/override.conf";
    const reload = "systemctl daemon-reload";
    const withUnit = desired({ files: [...desired().files, { path: unit, content: "[Service]\nRestart=on-failure\n" }] });
    const snap = matching();
    const plan = planChanges(withUnit, snap);
    const staged = plan.files.map((c) => ({ ...c, staged: "/etc/.x.onprem-new" }));
    const swap = renderSwapScript("/var/lib/pulumi-onprem/k", staged, snap, plan.services, 120);
    assert.ok(swap.trimEnd().endsWith(`${reload}; fi`), `the swap ends with the reload:\n${swap}`);
    const rollback = renderRollbackScript("/var/lib/pulumi-onprem/k", staged, snap, plan.services);
    assert.ok(rollback.indexOf(reload) > rollback.lastIndexOf(unit), `the rollback reloads after putting the unit back:\n${rollback}`);
    const restore = renderRestoreScript("/var/lib/pulumi-onprem/k", ["/etc/a.conf", unit], withUnit.services);
    assert.ok(restore.indexOf(reload) > restore.indexOf(unit) && restore.indexOf(reload) < restore.indexOf("reload-or-restart svc"), `the restore reloads after the files, before the services:\n${restore}`);

    const changed = matching();
    changed.files["/etc/a.conf"].sha256 = "0";
    const plain = planChanges(desired(), changed);
    const plainStaged = plain.files.map((c) => ({ ...c, staged: "/etc/.x.onprem-new" }));
    for (const s of [renderSwapScript("/k", plainStaged, matching(), plain.services, 120), renderRollbackScript("/k", plainStaged, matching(), plain.services), renderRestoreScript("/k", ["/etc/a.conf"], desired().services)]) {
        assert.ok(!s.includes(reload), s);
    }
});
