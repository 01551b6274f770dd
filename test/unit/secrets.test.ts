import { strict as assert } from "node:assert";
import { test } from "node:test";
import { fillSecrets, placeholder, redactSecrets, referencedSecrets } from "../../provider/contract/secrets";

test("fillSecrets fills each placeholder and names a missing one without its value", () => {
    const t = `auth_pass ${placeholder("vrrp")}\nother ${placeholder("vrrp")} ${placeholder("b")}`;
    assert.equal(fillSecrets(t, { vrrp: "s3cr3t", b: "x" }), "auth_pass s3cr3t\nother s3cr3t x");
    assert.throws(() => fillSecrets(t, { vrrp: "s3cr3t" }), /placeholder `b` has no value/);
    assert.deepEqual(referencedSecrets(t), ["b", "vrrp"]);
});

test("redactSecrets puts placeholders back, longest secret first", () => {
    const secrets = { short: "abc", long: "abcdef" };
    assert.equal(redactSecrets("x abcdef y abc z", secrets), `x ${placeholder("long")} y ${placeholder("short")} z`);
    assert.equal(redactSecrets("nothing here", secrets), "nothing here");
    assert.equal(redactSecrets("keep", { empty: "" }), "keep");
});

test("fill then redact gives the template back", () => {
    const secrets = { a: "p@ss'word", b: "$(rm -rf /)" };
    const t = `one ${placeholder("a")} two ${placeholder("b")}`;
    assert.equal(redactSecrets(fillSecrets(t, secrets), secrets), t);
});
