import { strict as assert } from "node:assert";
import { test } from "node:test";
import { fillSecrets, placeholder, placeholdersLike, redactSecrets, referencedSecrets } from "../../provider/contract/secrets";

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

test("placeholdersLike: two secrets with one value each come back as their own placeholder", () => {
    const secrets = { auth_VI_1: "same-pw", auth_VI_2: "same-pw", other: "x1y2" };
    const template = `vrrp VI_1\n  auth_pass ${placeholder("auth_VI_1")}\nvrrp VI_2\n  auth_pass ${placeholder("auth_VI_2")}\n`;
    const host = fillSecrets(template, secrets);
    // What a plain redaction gives: the first name on both lines.
    assert.equal(redactSecrets(host, secrets).split(placeholder("auth_VI_1")).length - 1, 2);
    assert.equal(placeholdersLike(redactSecrets(host, secrets), template, secrets), template);
    // The template itself, in either order of its lines, is given back unchanged.
    const swapped = `vrrp VI_2\n  auth_pass ${placeholder("auth_VI_2")}\nvrrp VI_1\n  auth_pass ${placeholder("auth_VI_1")}\n`;
    assert.equal(placeholdersLike(swapped, swapped, secrets), swapped);
    assert.equal(placeholdersLike(redactSecrets(fillSecrets(swapped, secrets), secrets), swapped, secrets), swapped);
});

test("placeholdersLike: a hand edit shows as that line only; a changed secret line stays redacted", () => {
    const secrets = { a: "same-pw", b: "same-pw" };
    const template = `one ${placeholder("a")}\ntwo ${placeholder("b")}\n`;
    const edited = `# hand edit\none same-pw\ntwo same-pw\nthree same-pw\n`;
    assert.equal(
        placeholdersLike(redactSecrets(edited, secrets), template, secrets),
        `# hand edit\none ${placeholder("a")}\ntwo ${placeholder("b")}\nthree ${placeholder("a")}\n`,
    );
    const out = placeholdersLike(redactSecrets("one same-pw\ntwo other\n", secrets), template, secrets);
    assert.equal(out, `one ${placeholder("a")}\ntwo other\n`);
    assert.ok(!placeholdersLike(redactSecrets("x same-pw y\n", secrets), template, secrets).includes("same-pw"), "no value in clear");
});

test("placeholdersLike: a secret over several lines is redacted whole and keeps its line", () => {
    const secrets = { key: "-----BEGIN KEY-----\nabc\n-----END KEY-----", copy: "-----BEGIN KEY-----\nabc\n-----END KEY-----" };
    const template = `first: ${placeholder("key")}\nsecond: ${placeholder("copy")}\n`;
    const host = `${fillSecrets(template, secrets)}edited\n`;
    const out = placeholdersLike(redactSecrets(host, secrets), template, secrets);
    assert.equal(out, `${template}edited\n`);
    assert.ok(!out.includes("abc"));
});
