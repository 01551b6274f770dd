import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { clusterCheckProvider as p, sshStats } from "../../provider";
import type { ClusterCheckInputs } from "../../provider/dynamic/clusterCheck";
import { closeAll } from "../../provider/ssh/pool";
import { connectionFor, eventually, inventory, LabHost, onHost } from "../support/lab";
import { CUT_SSH, rejection } from "./support";

after(() => closeAll());

/** A cluster check over `hosts`: each host's file must hold "ok", and its secret fills the placeholder. */
function inputs(hosts: LabHost[], content: (h: LabHost) => string): ClusterCheckInputs {
    const each = <T>(f: (h: LabHost) => T) => Object.fromEntries(hosts.map((h) => [h.name, f(h)]));
    return {
        kind: "test",
        key: "test-cluster-check",
        hosts: each((h) => ({
            target: `root@${h.address}`,
            files: [{ path: "/etc/cluster-check/x.conf", content: content(h) }],
            validators: [{ description: "x.conf says ok", command: "grep -qx ok-s3cr3t {{staged:/etc/cluster-check/x.conf}}" }],
        })),
        connections: each(connectionFor),
        secrets: each(() => ({ word: "s3cr3t" })),
    };
}

const handshakesTo = (before: ReturnType<typeof sshStats>, h: LabHost) =>
    Object.entries(sshStats().perHost)
        .filter(([k]) => k.includes(h.address))
        .reduce((n, [k, v]) => n + v.handshakes - (before.perHost[k]?.handshakes ?? 0), 0);

test("ClusterCheck: create tests every host; update connects only to the hosts whose inputs changed; failures name their hosts", async () => {
    const hosts = inventory().hosts.slice(0, 3);
    const good = inputs(hosts, () => "ok-{{secret:word}}\n");
    const created = await p.create(good);
    assert.deepEqual(created.outs, { ...good, freshStart: true }, "no host names a service, so none runs");

    closeAll(); // every host dials again: the handshakes below count the hosts the update reached
    const before = sshStats();
    const changed = inputs(hosts, (h) => (h === hosts[1] ? "ok-{{secret:word}}\n# changed\n" : "ok-{{secret:word}}\n"));
    await p.update(created.id, good, changed);
    assert.deepEqual(hosts.map((h) => handshakesTo(before, h)), [0, 1, 0], "only the changed host was connected to");

    const bad = inputs(hosts, (h) => (h === hosts[1] ? "ok-{{secret:word}}\n" : "not ok\n"));
    const e = await rejection(p.update(created.id, changed, bad));
    assert.match(e.message, /the check failed on 2 hosts/);
    for (const h of [hosts[0], hosts[2]]) assert.match(e.message, new RegExp(`root@${h.address.replace(/\./g, "\\.")}: x\\.conf says ok failed`));
    assert.doesNotMatch(e.message, /s3cr3t/, "no secret in the message");

    const diff = await p.diff(created.id, created.outs, good);
    assert.equal(diff.changes, false, "the engine passes the old outputs: the probe's answer is no change");
    assert.equal((await p.diff(created.id, good, changed)).changes, true);
    assert.equal((await p.update(created.id, good, changed)).outs.freshStart, false, "an update says the hosts were applied before");
});

test("ClusterCheck: freshStart says whether any host ran one of its services when the check was created", async () => {
    const hosts = inventory().hosts.slice(0, 2);
    const withServices = (names: (h: LabHost) => string[]) => {
        const i = inputs(hosts, () => "ok-{{secret:word}}\n");
        for (const h of hosts) i.hosts[h.name].services = names(h).map((name) => ({ name, state: "running" as const }));
        return i;
    };
    // Every lab host runs sshd; no host has a unit of this name.
    assert.equal((await p.create(withServices(() => ["pulumi-onprem-absent"]))).outs.freshStart, true);
    const oneRuns = withServices((h) => (h === hosts[1] ? ["pulumi-onprem-absent", "ssh"] : ["pulumi-onprem-absent"]));
    assert.equal((await p.create(oneRuns)).outs.freshStart, false);
    // Services are only probed: a change of them alone tests nothing again, and older state without them shows no change.
    assert.equal((await p.diff("x", withServices(() => []), oneRuns)).changes, false);
    assert.equal((await p.diff("x", inputs(hosts, () => "ok-{{secret:word}}\n"), oneRuns)).changes, false);
});

test("ClusterCheck: check names the host of a bad field", async () => {
    const hosts = inventory().hosts.slice(0, 2);
    const news = inputs(hosts, () => "ok\n");
    news.hosts[hosts[1].name].files[0].path = "relative/x.conf";
    const r = await p.check({} as ClusterCheckInputs, news);
    assert.deepEqual(r.failures?.map((f) => f.reason), [`${hosts[1].name}: \`files[0].path\`: "relative/x.conf" is not an absolute path`]);
});

test("ClusterCheck: a connection cut mid-check, or the check killed with it, leaves no scratch directory on the host", async (t) => {
    const h = inventory().hosts[0];
    const scratch = () => onHost(h, "ls -d /tmp/pulumi-onprem-check.* 2>/dev/null || true").trim();
    onHost(h, "rm -rf /tmp/pulumi-onprem-check.*");
    // The shell holding the traps goes on after a cut (a trap then removes the directory), or dies with it
    // by SIGKILL (no trap runs: the watcher in its own session removes it). `$$`: the validator's shell,
    // in the check command's process group.
    const ends = { "cut": `${CUT_SSH}; sleep 1`, "cut and SIGKILL": `${CUT_SSH}; kill -s KILL -- -$(cut -d' ' -f5 /proc/$$/stat)` };
    for (const [what, end] of Object.entries(ends)) {
        const i = inputs([h], () => "ok-{{secret:word}}\n");
        i.hosts[h.name].validators = [{ description: "x.conf says ok", command: `grep -qx ok-s3cr3t {{staged:/etc/cluster-check/x.conf}} && ${end}` }];
        const e = await rejection(p.create(i));
        assert.equal(e.kind, "Connection", e.message);
        const started = Date.now();
        await eventually(`no scratch directory after the ${what}`, () => scratch() === "", 5000, 100);
        t.diagnostic(`${what}: no scratch directory ${Date.now() - started} ms after the error`);
        closeAll();
    }
});
