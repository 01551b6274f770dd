import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { hostConfigProvider as p } from "../../provider";
import { planChanges } from "../../provider/host/changes";
import { desiredState } from "../../provider/dynamic/hostConfigInputs";
import { stateDir } from "../../provider/host/layout";
import { checkpointAndSwap } from "../../provider/host/steps/checkpoint";
import { prepare } from "../../provider/host/steps/prepare";
import { stage } from "../../provider/host/steps/stage";
import { presentedKey } from "../../provider/ssh/hostKey";
import { closeAll, connect } from "../../provider/ssh/pool";
import { eventually, labHost, onHost } from "../support/lab";
import { hostInputs, rejection } from "./support";

const h1 = labHost(0);
const h2 = labHost(1);
after(() => closeAll());

const vrrp = (vrid: number) => `vrrp_instance T {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    ${h1.address.replace(/\.\d+$/, ".201")}/24\n  }\n}\n`;

test("a validator that rejects the staged file leaves the live file and the running service untouched", async () => {
    const conf = "/etc/keepalived/keepalived.conf";
    const inputs = hostInputs(h1, [{ path: conf, content: vrrp(77) }], {
        validators: [{ description: "keepalived config test", command: `keepalived -t -f {{staged:${conf}}}` }],
        services: [{ name: "keepalived", onChange: "reload", state: "running" }],
    });
    const { id, outs } = await p.create(inputs);
    const pid = onHost(h1, "cat /run/keepalived.pid");
    const err = await rejection(p.update(id, outs, { ...inputs, files: [{ path: conf, content: vrrp(300) }] }));
    assert.equal(err.kind, "Validation");
    assert.match(err.message, new RegExp(`^root@${h1.address}: keepalived config test failed`));
    assert.match(err.message, /VRID '300' not valid/, "the checker's own output is in the message");
    assert.equal(onHost(h1, `cat ${conf}`), vrrp(77));
    assert.equal(onHost(h1, "cat /run/keepalived.pid"), pid, "keepalived was not reloaded or restarted");
    assert.equal(onHost(h1, "ls -A /etc/keepalived | grep onprem || true"), "", "no staged copy is left behind");
    await p.delete(id, outs);
    assert.equal(onHost(h1, "systemctl is-active keepalived", { allowFail: true }).trim(), "inactive", "delete stops what it started");
});

test("a command that never returns is stopped at the resource's bound: the step and host are named, nothing changes, nothing is left", async () => {
    const path = "/etc/onprem-hang.conf";
    const inputs = hostInputs(h1, [{ path, content: "one\n" }], { commandTimeoutSeconds: 3 });
    const { id, outs } = await p.create(inputs);
    const started = Date.now();
    const err = await rejection(p.update(id, outs, {
        ...inputs,
        files: [{ path, content: "two\n" }],
        validators: [{ description: "a config test that hangs", command: "sleep 600" }],
    }));
    const took = (Date.now() - started) / 1000;
    assert.equal(err.kind, "Timeout");
    assert.match(err.message, new RegExp(`^root@${h1.address}: a config test that hangs did not finish within 3 s`));
    assert.ok(took < 20, `the bound held (${took.toFixed(1)} s)`);
    assert.equal(onHost(h1, `cat ${path}`), "one\n", "the live file is untouched");
    assert.equal(onHost(h1, "ls -A /etc | grep onprem-new || true"), "", "no staged copy is left behind");
    assert.equal(onHost(h1, "pgrep -f 'sleep 6[0]0' || true").trim(), "", "the hung command was ended on the host");
    await p.delete(id, outs);
});

test("a service that fails after the swap is rolled back and runs on the old file again", async () => {
    const conf = "/etc/docker/registry/config.yml";
    const registry = (addr: string) => `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/docker-registry\nhttp:\n  addr: ${addr}\n`;
    const good = `${h2.address}:5000`;
    const bad = `${h2.address.replace(/\.\d+$/, ".250")}:5000`; // not this host's address: the registry cannot bind
    const answers = (addr: string) => `curl -s -o /dev/null -w '%{http_code}' http://${addr}/v2/ | grep -q 200`;
    const inputs = hostInputs(h2, [{ path: conf, content: registry(good) }], {
        services: [{ name: "docker-registry", onChange: "restart", state: "running" }],
        verifiers: [{ description: "registry answers /v2/", command: answers(good), attempts: 20, intervalMs: 250 }],
    });
    const { id, outs } = await p.create(inputs);
    const err = await rejection(p.update(id, outs, {
        ...inputs,
        files: [{ path: conf, content: registry(bad) }],
        verifiers: [{ description: "registry answers /v2/", command: answers(bad), attempts: 6, intervalMs: 250 }],
    }));
    // The registry dies on the bad address either while systemctl starts it or just after: both are caught.
    assert.ok(err.kind === "Verification" || err.kind === "Apply", err.message);
    assert.match(err.message, /(verify: (docker-registry is active|registry answers \/v2\/)|activate docker-registry) failed/);
    assert.match(err.message, /rolled back/);
    assert.equal(onHost(h2, `cat ${conf}`), registry(good));
    // Not its first transaction: what delete needs (the originals) stays, and the transaction's markers go.
    assert.equal(onHost(h2, `ls ${stateDir(inputs.key)}/orig | grep -c . ; ls ${stateDir(inputs.key)}/txn`).trim(), "2", "the originals kept, no transaction left");
    await eventually("the registry answers on its old address", () => onHost(h2, answers(good) + " && echo up", { allowFail: true }).trim() === "up");
    await p.delete(id, outs);
});

test("a connection cut mid-transfer leaves the old file; the rerun converges", async () => {
    const path = "/opt/big.bin";
    onHost(h1, `echo old > ${path}`);
    const big = "x".repeat(96 * 1024 * 1024) + "\n";
    const inputs = hostInputs(h1, [{ path, content: big }]);
    const applying = rejection(p.create(inputs));
    await eventually("staging has begun", () => onHost(h1, "ls -A /opt").includes(".big.bin.onprem-new"), 30_000, 20);
    // Cut: kill the sshd processes serving this connection (by PID, inside the lab host).
    onHost(h1, "ss -tnpH state established '( sport = :22 )' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | xargs -r kill -9");
    const err = await applying;
    assert.equal(err.kind, "Connection", err.message);
    assert.equal(onHost(h1, `cat ${path}`), "old\n", "the target still has its old bytes");
    const { id, outs } = await p.create(inputs);
    assert.equal(onHost(h1, `wc -c < ${path}`).trim(), String(big.length));
    assert.equal(onHost(h1, "ls -A /opt | grep onprem || true"), "", "stale staged copies were removed");
    await p.delete(id, outs);
    assert.equal(onHost(h1, `cat ${path}`), "old\n");
});

test("the host rolls back by itself when the controller vanishes after the swap", async () => {
    const path = "/etc/watchdog-test.conf";
    onHost(h2, `echo before > ${path}`);
    const inputs = hostInputs(h2, [{ path, content: "after\n" }]);
    const conn = await connect(inputs.connection);
    const dir = stateDir(inputs.key);
    const desired = desiredState(inputs);
    const snap = await prepare(conn, dir, { paths: [path], services: [] });
    const staged = await stage(conn, dir, planChanges(desired, snap).files);
    await checkpointAndSwap(conn, dir, staged, snap, [], 2); // then "vanish": no verify, no commit
    assert.equal(onHost(h2, `cat ${path}`), "after\n");
    await eventually("the watchdog restored the old file", () => onHost(h2, `cat ${path}`) === "before\n", 8000, 200);
    // It was the resource's first transaction: nothing of it is left, its state directory included.
    assert.equal(onHost(h2, `test -e ${dir} && echo present || echo gone`).trim(), "gone", "no state directory after the first transaction was undone");
    onHost(h2, `rm -rf ${dir} ${path}`);
});

test("a wrong pinned host key is refused with the real fingerprint, and nothing is touched", async () => {
    const real = presentedKey(Buffer.from(h1.hostPublicKey.split(/\s+/)[1], "base64")).fingerprint;
    onHost(h1, "rm -f /etc/never-written");
    const inputs = hostInputs(h1, [{ path: "/etc/never-written", content: "x" }]);
    inputs.connection.hostKey = labHost(1).hostPublicKey;
    const err = await rejection(p.create(inputs));
    assert.equal(err.kind, "HostKey");
    assert.match(err.message, /does not match the pinned `hostKey`/);
    assert.ok(err.message.includes(real), `${err.message} should name ${real}`);
    assert.equal(onHost(h1, "test -e /etc/never-written && echo yes || echo no"), "no\n");
});

test("a sudo user applies the same change; a user without sudo gets a clear error", async () => {
    const path = "/etc/sudo-test.conf";
    const viaSudo = hostInputs(h1, [{ path, content: "by ops\n" }]);
    viaSudo.connection.user = h1.users.sudo;
    const { id, outs } = await p.create(viaSudo);
    assert.equal(onHost(h1, `stat -c '%U %a' ${path}; cat ${path}`), "root 644\nby ops\n");
    await p.delete(id, outs);
    assert.equal(onHost(h1, `test -e ${path} && echo yes || echo no`), "no\n");

    const noSudo = hostInputs(h1, [{ path, content: "by guest\n" }]);
    noSudo.connection.user = h1.users.unprivileged;
    const err = await rejection(p.create(noSudo));
    assert.equal(err.kind, "Permission");
    assert.match(err.message, new RegExp(`user \`${h1.users.unprivileged}\` cannot run commands as root`));
});

test("a host that is down fails alone, named, within dialErrorLimit x perDialTimeout", async () => {
    const nowhere = h1.address.replace(/\.\d+$/, ".99"); // inside the lab's bridge, no host there
    const down = hostInputs(h1, [{ path: "/etc/x", content: "x" }]);
    down.connection = { ...down.connection, host: nowhere, dialErrorLimit: 2, perDialTimeout: 2 };
    const up = hostInputs(h2, [{ path: "/etc/host-down-test.conf", content: "applied\n" }]);
    const started = Date.now();
    const [a, b] = await Promise.allSettled([p.create(down), p.create(up)]);
    const elapsed = (Date.now() - started) / 1000;
    assert.equal(a.status, "rejected");
    const reason = (a as PromiseRejectedResult).reason as Error & { kind: string };
    assert.equal(reason.kind, "Connection");
    assert.match(reason.message, new RegExp(`^root@${nowhere.replace(/\./g, "\\.")}: cannot connect`));
    assert.ok(elapsed <= 2 * 2 + 1, `gave up after ${elapsed} s`);
    assert.equal(b.status, "fulfilled");
    assert.equal(onHost(h2, "cat /etc/host-down-test.conf"), "applied\n");
    const { id, outs } = (b as PromiseFulfilledResult<{ id: string; outs: never }>).value;
    await p.delete(id, outs);
});
