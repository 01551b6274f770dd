import { strict as assert } from "node:assert";
import { test } from "node:test";
import { diff } from "../../provider/dynamic/hostConfig";
import type { HostConfigInputs } from "../../provider/dynamic/hostConfigInputs";
import { placeholder } from "../../provider/contract/secrets";
import { UNKNOWN } from "../../provider/dynamic/unknown";

const inputs: HostConfigInputs = {
    connection: { host: "192.0.2.1", user: "root", privateKey: "key-1" },
    key: "k",
    kind: "keepalived",
    target: "root@192.0.2.1",
    files: [{ path: "/etc/x.conf", content: `auth_pass ${placeholder("pw")}\n` }],
    secrets: { pw: "old-pw" },
};
const outs = { ...inputs, hostKeyFingerprint: "SHA256:x", __provider: "exports.handler = ...v1" };
const secretsChanged = { ...inputs, secrets: { pw: "new-pw" } };
const filesChanged = { ...inputs, files: [{ path: "/etc/x.conf", content: "auth_pass none\n" }] };

// `changes: undefined` is DIFF_UNKNOWN: the engine diffs the inputs itself and marks each changed key.
test("diff: a changed secret answers unknown, so the engine marks `secrets` (as [secret]) itself", async () => {
    assert.deepEqual(await diff("id", outs, secretsChanged), { changes: undefined, replaces: [], deleteBeforeReplace: true });
    assert.equal((await diff("id", outs, { ...secretsChanged, files: filesChanged.files })).changes, undefined, "with a file change too");
    const newKey = { ...inputs, connection: { ...inputs.connection, privateKey: "key-2" } };
    assert.equal((await diff("id", outs, newKey)).changes, undefined, "a connection credential is a secret input too");
});

test("diff: no secret changed keeps a definite answer: none, some, or a replacement", async () => {
    assert.deepEqual(await diff("id", outs, inputs), { changes: false, replaces: [], deleteBeforeReplace: true });
    assert.deepEqual(await diff("id", outs, filesChanged), { changes: true, replaces: [], deleteBeforeReplace: true });
    // New provider code alone (`__provider` differs) is no change: an upgrade stays a no-op.
    assert.equal((await diff("id", { ...outs, __provider: "exports.handler = ...v2" } as typeof outs, inputs)).changes, false);
});

test("diff: a replacement or an unknown value stays a definite change, whatever else moved", async () => {
    const moved = { ...secretsChanged, connection: { ...inputs.connection, host: "192.0.2.2" } };
    assert.deepEqual(await diff("id", outs, moved), { changes: true, replaces: ["connection"], deleteBeforeReplace: true });
    const unknown = { ...secretsChanged, files: [{ path: "/etc/x.conf", content: UNKNOWN }] };
    assert.equal((await diff("id", outs, unknown)).changes, true);
    // Commit-confirm: the host the last apply reached is recorded in the outputs only; that is no secret change.
    const confirm = { hosts: ["192.0.2.9"] };
    const reached = { ...outs, confirm, connection: { ...inputs.connection, host: "192.0.2.9" } };
    assert.equal((await diff("id", reached, { ...inputs, confirm })).changes, true);
});
