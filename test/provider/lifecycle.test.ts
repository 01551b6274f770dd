import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { hostConfigProvider as p } from "../../provider";
import { placeholder } from "../../provider/contract/secrets";
import { closeAll } from "../../provider/ssh/pool";
import { labHost, onHost } from "../support/lab";
import { hostInputs } from "./support";

const h = labHost(0);
after(() => closeAll());

test("create, no-op, drift, repair, delete: originals come back byte for byte with mode and owner", async () => {
    onHost(h, `mkdir -p /etc/lc && printf 'orig\\001bytes\\n' > /etc/lc/pre.conf && chmod 640 /etc/lc/pre.conf && chown ops:guest /etc/lc/pre.conf`);
    const before = onHost(h, "sha256sum /etc/lc/pre.conf; stat -c '%a %U %G' /etc/lc/pre.conf");
    const inputs = hostInputs(h, [
        { path: "/etc/lc/pre.conf", content: `managed\npass ${placeholder("pw")}\n` },
        { path: "/etc/lc/new/deep/created.conf", content: "created\n", mode: "0600" },
        { path: "/etc/lc/third.conf", content: "third\n", owner: "ops", group: "ops" },
    ], { secrets: { pw: "s3cret-value" } });

    assert.deepEqual((await p.check(inputs, inputs)).failures, undefined);
    const { id, outs } = await p.create(inputs);
    assert.equal(onHost(h, "cat /etc/lc/pre.conf"), "managed\npass s3cret-value\n");
    // A watchdog that outlived its commit would roll back this resource's next transaction.
    assert.equal(onHost(h, `ps -e -o args | grep -c '^sh .*${id}/tx[n]/'; true`).trim(), "0", "commit ended the watchdog and the staging cleaner");
    // pre.conf holds a secret and names no mode: it is written 0600.
    assert.equal(onHost(h, "stat -c '%a %U %G' /etc/lc/pre.conf /etc/lc/new/deep/created.conf /etc/lc/third.conf"), "600 root root\n600 root root\n644 ops ops\n");
    assert.match(outs.hostKeyFingerprint, /^SHA256:/);
    assert.ok(!JSON.stringify(outs.files).includes("s3cret-value"), "outputs hold templates, not secrets");

    const clean = await p.read(id, outs);
    assert.deepEqual(clean.props!.files, outs.files, "no drift right after apply");

    onHost(h, "echo 'hand edit' >> /etc/lc/third.conf; rm /etc/lc/new/deep/created.conf");
    const drift = await p.read(id, outs);
    const third = drift.props!.files.find((f) => f.path === "/etc/lc/third.conf")!;
    assert.equal(third.content, "third\nhand edit\n");
    assert.equal(drift.props!.files.some((f) => f.path.endsWith("created.conf")), false, "a deleted file drops out");
    assert.equal((await p.diff(id, drift.props!, inputs)).changes, true, "the next up sees the drift");

    await p.update(id, drift.props!, inputs);
    assert.equal(onHost(h, "cat /etc/lc/third.conf /etc/lc/new/deep/created.conf"), "third\ncreated\n");

    // Drop a file from the resource: it goes back to how it was (it did not exist).
    const fewer = { ...inputs, files: inputs.files.filter((f) => !f.path.endsWith("third.conf")) };
    await p.update(id, outs, fewer);
    assert.equal(onHost(h, "test -e /etc/lc/third.conf && echo yes || echo no"), "no\n");

    await p.delete(id, { ...outs, files: fewer.files });
    assert.equal(onHost(h, "sha256sum /etc/lc/pre.conf; stat -c '%a %U %G' /etc/lc/pre.conf"), before);
    assert.equal(onHost(h, "ls -A /etc/lc"), "pre.conf\n", "created files and directories are gone");
    assert.equal(onHost(h, `test -e /var/lib/pulumi-onprem/${id} && echo left || echo clean`), "clean\n");
    const gone = await p.read(id, outs);
    assert.equal(gone.id, undefined, "refresh of a deleted resource returns no id");
});

test("check names the field and the rule, and connects to nothing", async () => {
    const inputs = hostInputs(h, [
        { path: "relative/path", content: "x" },
        { path: "/etc/x", content: `${placeholder("nope")}`, mode: "999" },
        { path: "/etc/y.json", content: "{not json", merge: "json-keys" },
        { path: "/etc/z.json", content: "{}", merge: "yaml-keys" as never },
    ], { connection: { host: "", port: 70000 } as never });
    const reasons = (await p.check(inputs, inputs)).failures!.map((f) => f.reason);
    assert.ok(reasons.includes('`files[0].path`: "relative/path" is not an absolute path'), reasons.join("; "));
    assert.ok(reasons.some((r) => r.startsWith("`files[1].mode`")));
    assert.ok(reasons.some((r) => r.includes("{{secret:nope}} has no value")));
    assert.ok(reasons.includes("`connection.host` is required"));
    assert.ok(reasons.includes("`connection.port`: 70000 is outside 1-65535"));
    assert.ok(reasons.some((r) => r.startsWith("`files[2].content`: is not valid JSON (") && !r.includes("\n")), reasons.join("; "));
    assert.ok(reasons.includes('`files[3].merge`: "yaml-keys" is not one of json-keys'));
});

test("diff replaces (delete first) only when the host changes", async () => {
    const inputs = hostInputs(h, [{ path: "/etc/x", content: "a" }]);
    const outs = { ...inputs, hostKeyFingerprint: "SHA256:x" };
    assert.deepEqual(await p.diff("id", outs, inputs), { changes: false, replaces: [], deleteBeforeReplace: true });
    const edited = { ...inputs, files: [{ path: "/etc/x", content: "b" }] };
    assert.deepEqual(await p.diff("id", outs, edited), { changes: true, replaces: [], deleteBeforeReplace: true });
    const moved = { ...inputs, connection: { ...inputs.connection, host: "10.0.0.2" } };
    assert.deepEqual((await p.diff("id", outs, moved)).replaces, ["connection"]);
    const unknown = { ...inputs, files: [{ path: "/etc/x", content: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }] };
    assert.equal((await p.diff("id", outs, unknown)).changes, true);
});
