import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { hostConfigProvider as p } from "../../provider";
import { closeAll } from "../../provider/ssh/pool";
import { labHost, onHost } from "../support/lab";
import { hostInputs } from "./support";

const h = labHost(2);
after(() => closeAll());
const json = (o: object) => `${JSON.stringify(o, null, 2)}\n`;
const onHostJson = (path: string) => JSON.parse(onHost(h, `cat ${path}`));

test("a shared JSON file: the resource sets only its keys, gives up dropped ones, and delete puts the originals back", async () => {
    const path = "/etc/docker/daemon.json";
    onHost(h, `mkdir -p /etc/docker && printf '%s' '{"log-driver": "journald", "mtu": 1400}' > ${path}`);
    const mine = { mtu: 1450, bip: "172.18.42.1/16" };
    const inputs = hostInputs(h, [{ path, content: json(mine), merge: "json-keys" }]);
    const { id, outs } = await p.create(inputs);
    assert.deepEqual(onHostJson(path), { "log-driver": "journald", mtu: 1450, bip: "172.18.42.1/16" }, "other keys kept, ours set");

    // Another owner changes its own key: no drift. Someone changes ours: drift, showing only our keys.
    onHost(h, `sed -i 's/journald/local/' ${path}`);
    assert.deepEqual((await p.read(id, outs)).props!.files, outs.files);
    onHost(h, `sed -i 's/1450/9000/' ${path}`);
    const drift = await p.read(id, outs);
    assert.deepEqual(JSON.parse(drift.props!.files[0].content), { mtu: 9000, bip: "172.18.42.1/16" });
    assert.equal((await p.diff(id, drift.props!, inputs)).changes, true);

    // Stop owning `bip`: it goes; the repaired `mtu` is ours again; the other owner's edit stays.
    const fewer = { ...inputs, files: [{ path, content: json({ mtu: 1450 }), merge: "json-keys" as const }] };
    const updated = await p.update(id, drift.props!, fewer);
    assert.deepEqual(onHostJson(path), { "log-driver": "local", mtu: 1450 });
    assert.equal(JSON.stringify(updated.outs).includes("released"), false, "bookkeeping stays out of the state");

    await p.delete(id, updated.outs);
    assert.deepEqual(onHostJson(path), { "log-driver": "local", mtu: 1400 }, "mtu has its original value again; the other owner's change stays");
});

test("a shared JSON file the resource created is removed on delete once nothing else is in it", async () => {
    const path = "/etc/onprem-shared/created.json";
    onHost(h, "rm -rf /etc/onprem-shared");
    const inputs = hostInputs(h, [{ path, content: json({ a: 1 }), merge: "json-keys" }]);
    const { id, outs } = await p.create(inputs);
    assert.deepEqual(onHostJson(path), { a: 1 });
    await p.delete(id, outs);
    assert.equal(onHost(h, "ls -d /etc/onprem-shared 2>/dev/null || echo gone"), "gone\n");

    // With another owner's key in it, it stays (minus ours).
    const again = hostInputs(h, [{ path, content: json({ a: 1 }), merge: "json-keys" }]);
    const second = await p.create(again);
    onHost(h, `printf '%s' '{"a": 1, "theirs": true}' > ${path}`);
    await p.delete(second.id, second.outs);
    assert.deepEqual(onHostJson(path), { theirs: true });
    onHost(h, "rm -rf /etc/onprem-shared");
});
