/**
 * Faults around the swap that the resource-specific matrix does not cover: a cut before the swap, a full
 * disk, a hand edit between preview and up, two owners of one daemon.json in the same up, and dial retries.
 * Each checks the host's files before and after, that nothing is left beside the targets, the error's
 * host and step, and that a rerun converges.
 */
import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { hostConfigProvider as p } from "../../provider";
import { desiredState } from "../../provider/dynamic/hostConfigInputs";
import { applyHostState } from "../../provider/host/transaction";
import { withProgress } from "../../provider/ssh/exec";
import { closeAll, connect } from "../../provider/ssh/pool";
import { eventually, labHost, onHost } from "../support/lab";
import { CUT_SSH, hostInputs, leftovers, rejection } from "./support";

const h = labHost(3);
const TIMEOUT = 10; // the host's own clean-up and rollback deadline, in seconds: the least a resource may set (a loaded host needs it)
after(() => closeAll());

const sums = (paths: string[]) => onHost(h, `for f in ${paths.join(" ")}; do if [ -e $f ]; then sha256sum $f; else echo "absent $f"; fi; done`);
const quoted = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("a connection cut before the swap: the error says so, the host removes the staged copies by itself within its timeout, a rerun converges", async (t) => {
    onHost(h, "rm -rf /etc/cut-before /opt/cut-before && mkdir -p /etc/cut-before && echo old-a > /etc/cut-before/a.conf");
    const files = [
        { path: "/etc/cut-before/a.conf", content: "new-a\n" },
        { path: "/opt/cut-before/deeper/b.conf", content: "new-b\n" }, // staging creates two directories
    ];
    const paths = files.map((f) => f.path);
    const before = sums(paths);
    const inputs = hostInputs(h, files, { rollbackTimeoutSeconds: TIMEOUT });
    // The validator runs on the staged copies, then cuts every SSH session: the controller is gone before the swap.
    const cut = { ...inputs, validators: [{ description: "config test", command: `test -s {{staged:/etc/cut-before/a.conf}} && ${CUT_SSH}` }] };
    const err = await rejection(p.create(cut));
    assert.equal(err.kind, "Connection", err.message);
    // The step the command was in (staging and validation are one command), or both when its output was cut before it said.
    assert.match(err.message, new RegExp(`^root@${quoted(h.address)}: (stage [^\n]*, then )?config test`), "host and step are named");
    assert.match(err.message, new RegExp(`nothing was swapped: the host keeps its previous files and removes the staged copies by itself within ${TIMEOUT} s`));
    const staged = leftovers(h);
    assert.equal(staged.length, 3, `just after the cut the staged copies and their list are there: ${staged.join(", ")}`);
    assert.equal(sums(paths), before, "the targets are as they were");

    await eventually("the host removed the staged copies", () => leftovers(h).length === 0, (TIMEOUT + 4) * 1000, 250);
    assert.equal(onHost(h, "ls -d /opt/cut-before 2>/dev/null || echo gone"), "gone\n", "the directories staging made are gone too");
    assert.equal(sums(paths), before);
    t.diagnostic(`cut before the swap: ${staged.length} staged items just after, 0 left after ${TIMEOUT} s`);

    const { id, outs } = await p.create(inputs);
    assert.equal(onHost(h, `cat ${paths.join(" ")}`), "new-a\nnew-b\n", "the rerun converges");
    assert.deepEqual(leftovers(h), []);
    await p.delete(id, outs);
    assert.equal(sums(paths), before, "delete gives back the old file and removes the new one");
});

test("a connection cut mid-transfer: nothing is left beside the target once the host's timeout has passed, without a rerun", async () => {
    const path = "/opt/cut-transfer.bin";
    onHost(h, `echo old > ${path}`);
    const inputs = hostInputs(h, [{ path, content: "x".repeat(64 * 1024 * 1024) + "\n" }], { rollbackTimeoutSeconds: TIMEOUT });
    const applying = rejection(p.create(inputs));
    await eventually("staging has begun", () => onHost(h, "ls -A /opt").includes(".cut-transfer.bin.onprem-new"), 30_000, 20);
    onHost(h, CUT_SSH);
    const err = await applying;
    assert.equal(err.kind, "Connection", err.message);
    assert.match(err.message, new RegExp(`^root@${quoted(h.address)}: stage ${path}`));
    assert.match(err.message, /removes the staged copies by itself/);
    await eventually("the host removed the partial copy", () => leftovers(h).length === 0, (TIMEOUT + 4) * 1000, 250);
    assert.equal(onHost(h, `cat ${path}`), "old\n");
    onHost(h, `rm -f ${path}`);
});

test("a full disk under the target: the step and host are named, the old file is intact, nothing is staged, and the rerun converges once there is room", async (t) => {
    const dir = "/etc/onprem-full";
    const path = `${dir}/big.conf`;
    onHost(h, `mkdir -p ${dir} && mount -t tmpfs -o size=256k onprem-full ${dir} && echo old > ${path} && head -c 200k /dev/zero > ${dir}/filler`);
    try {
        const before = sums([path]);
        const inputs = hostInputs(h, [{ path, content: "y".repeat(100 * 1024) + "\n" }]);
        const err = await rejection(p.create(inputs));
        assert.equal(err.kind, "Apply", err.message);
        assert.match(err.message, new RegExp(`^root@${quoted(h.address)}: stage ${path} failed`));
        assert.match(err.message, /No space left on device/, "the host's own reason is in the message");
        assert.equal(sums([path]), before, "the old file is intact");
        assert.deepEqual(leftovers(h), [], "the partial staged copy was removed at once");
        assert.equal(onHost(h, `ls -A ${dir}`), "big.conf\nfiller\n");
        t.diagnostic(`disk full: ${err.message.split("\n")[0]}`);

        onHost(h, `rm ${dir}/filler`);
        const { id, outs } = await p.create(inputs);
        assert.equal(onHost(h, `wc -c < ${path}`).trim(), String(100 * 1024 + 1));
        assert.deepEqual(leftovers(h), []);
        await p.delete(id, outs);
        assert.equal(sums([path]), before, "delete gives the old file back");
    } finally {
        onHost(h, `umount ${dir}; rmdir ${dir}`, { allowFail: true });
    }
});

test("a hand edit between preview and up: up writes the declared content whole, names the file it replaced, and a refused change leaves the edit", async () => {
    onHost(h, "rm -rf /etc/hand-edit");
    const v1 = hostInputs(h, [{ path: "/etc/hand-edit/a.conf", content: "a1\n" }, { path: "/etc/hand-edit/b.conf", content: "b1\n" }]);
    const { id, outs } = await p.create(v1);
    const v2 = { ...v1, files: [{ path: "/etc/hand-edit/a.conf", content: "a2\n" }, { path: "/etc/hand-edit/b.conf", content: "b2\n" }] };
    assert.equal((await p.diff(id, outs, v2)).changes, true, "preview: an update");
    onHost(h, "echo 'hand edit' >> /etc/hand-edit/b.conf"); // after the preview, before the up

    // A refused change keeps the host as it was, hand edit included: never a mix of old, new and edited.
    const refused = { ...v2, validators: [{ description: "config test", command: "exit 1" }] };
    await rejection(applyHostState(refused.connection, id, desiredState(refused)));
    assert.equal(onHost(h, "cat /etc/hand-edit/a.conf /etc/hand-edit/b.conf"), "a1\nb1\nhand edit\n");

    const lines: string[] = [];
    const result = await withProgress((l) => lines.push(l), () => applyHostState(v2.connection, id, desiredState(v2)));
    assert.equal(onHost(h, "cat /etc/hand-edit/a.conf /etc/hand-edit/b.conf"), "a2\nb2\n", "the declared content, whole");
    assert.deepEqual(result.replacedDrift, ["/etc/hand-edit/b.conf"], "only the hand-edited file is reported");
    assert.ok(lines.includes("replace /etc/hand-edit/b.conf: it was changed on the host since the last apply"), lines.join("\n"));
    assert.deepEqual(leftovers(h), []);
    const again = await applyHostState(v2.connection, id, desiredState(v2));
    assert.deepEqual([again.changedFiles, again.replacedDrift], [[], []], "the rerun changes nothing");
    await p.delete(id, { ...outs, files: v2.files });
    assert.equal(onHost(h, "ls -d /etc/hand-edit 2>/dev/null || echo gone"), "gone\n");
});

test("two resources merging keys into one daemon.json in the same up: both sets land, a rerun changes nothing, each delete gives back only its keys", async () => {
    const path = "/etc/docker/daemon.json";
    onHost(h, `mkdir -p /etc/docker && printf '%s' '{"log-driver": "journald"}' > ${path}`);
    const json = (o: object) => `${JSON.stringify(o, null, 2)}\n`;
    const mesh = hostInputs(h, [{ path, content: json({ bip: "172.18.42.1/16", mtu: 1450 }), merge: "json-keys" }], { kind: "ovs-mesh" });
    const client = hostInputs(h, [{ path, content: json({ "insecure-registries": ["10.81.0.11:5000"] }), merge: "json-keys" }], { kind: "registry-client" });
    const [a, b] = await Promise.all([p.create(mesh), p.create(client)]);
    const read = () => JSON.parse(onHost(h, `cat ${path}`));
    assert.deepEqual(read(), { "log-driver": "journald", bip: "172.18.42.1/16", mtu: 1450, "insecure-registries": ["10.81.0.11:5000"] }, "neither owner's keys were lost");

    const inode = onHost(h, `stat -c '%i %Y' ${path}`);
    const reruns = await Promise.all([applyHostState(mesh.connection, a.id, desiredState(mesh)), applyHostState(client.connection, b.id, desiredState(client))]);
    assert.deepEqual(reruns.map((r) => r.changedFiles), [[], []], "the rerun changes nothing");
    assert.equal(onHost(h, `stat -c '%i %Y' ${path}`), inode, "the file was not rewritten");

    await p.delete(a.id, a.outs);
    assert.deepEqual(read(), { "log-driver": "journald", "insecure-registries": ["10.81.0.11:5000"] }, "only the mesh's keys went");
    await p.delete(b.id, b.outs);
    assert.deepEqual(read(), { "log-driver": "journald" }, "the file is as it was");
    assert.deepEqual(leftovers(h), []);
});

test("each failed dial that will be retried is reported, as @pulumi/command reports 'Dial 1/10 failed: retrying'", async () => {
    const nowhere = h.address.replace(/\.\d+$/, ".98"); // inside the lab's bridge, no host there
    const lines: string[] = [];
    const spec = { ...hostInputs(h, []).connection, host: nowhere, dialErrorLimit: 3, perDialTimeout: 1 };
    const err = await rejection(withProgress((l) => lines.push(l), () => connect(spec)));
    assert.equal(err.kind, "Connection");
    const dials = lines.filter((l) => l.startsWith("dial "));
    assert.equal(dials.length, 2, `two retries after three dials, each said once:\n${lines.join("\n")}`);
    dials.forEach((l, i) => assert.match(l, new RegExp(`^dial ${i + 1}/3 to root@${quoted(nowhere)} failed \\(.+\\): retrying in \\d\\.\\d\\d s$`)));
});
