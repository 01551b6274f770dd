import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { presentedKey, verifyHostKey } from "../../provider/ssh/hostKey";

function makeKey(dir: string, name: string) {
    const file = path.join(dir, name);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
    const line = fs.readFileSync(`${file}.pub`, "utf8").trim();
    const [type, b64] = line.split(/\s+/);
    const fingerprint = execFileSync("ssh-keygen", ["-lf", `${file}.pub`]).toString().split(/\s+/)[1];
    return { line: `${type} ${b64}`, blob: Buffer.from(b64, "base64"), fingerprint };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostkey-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const good = makeKey(dir, "good");
const other = makeKey(dir, "other");

test("presentedKey: type and fingerprint as ssh-keygen prints them", () => {
    const k = presentedKey(good.blob);
    assert.equal(k.type, "ssh-ed25519");
    assert.equal(k.fingerprint, good.fingerprint);
});

test("pinned key: by public key line or by fingerprint; a wrong pin names the real fingerprint", () => {
    const k = presentedKey(good.blob);
    assert.deepEqual(verifyHostKey({ host: "h", port: 22, hostKey: good.line }, k), { ok: true, how: "pinned" });
    assert.deepEqual(verifyHostKey({ host: "h", port: 22, hostKey: good.fingerprint }, k), { ok: true, how: "pinned" });
    const v = verifyHostKey({ host: "h", port: 22, hostKey: other.line }, k);
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.reason : "", new RegExp(good.fingerprint.replace(/[+/]/g, "\\$&")));
});

test("known_hosts: plain, [host]:port and hashed entries; changed and unknown keys refused", () => {
    const kh = path.join(dir, "known_hosts");
    fs.writeFileSync(kh, `# comment\nh1,10.0.0.1 ${good.line}\n[h2]:2222 ${good.line}\nh3 ${other.line}\nh4 ${good.line}\n`);
    execFileSync("ssh-keygen", ["-H", "-f", kh], { stdio: "ignore" }); // hash h4's and all names, as HashKnownHosts does
    fs.appendFileSync(kh, `h5 ${good.line}\n`);
    const k = presentedKey(good.blob);
    const policy = (host: string, port = 22) => ({ host, port, knownHostsPath: kh });
    assert.equal(verifyHostKey(policy("10.0.0.1"), k).ok, true); // hashed by ssh-keygen -H
    assert.equal(verifyHostKey(policy("h2", 2222), k).ok, true);
    assert.equal(verifyHostKey(policy("h5"), k).ok, true); // plain
    assert.equal(verifyHostKey(policy("h2"), k).ok, false); // wrong port
    const changed = verifyHostKey(policy("h3"), k);
    assert.match(!changed.ok ? changed.reason : "", /CHANGED/);
    const unknown = verifyHostKey(policy("nowhere"), k);
    assert.match(!unknown.ok ? unknown.reason : "", /unknown host key.*SHA256:/);
});

test("trust on first use records an unknown key once, and refuses a later different key", () => {
    const kh = path.join(dir, "tofu_known_hosts");
    const k = presentedKey(good.blob);
    assert.deepEqual(verifyHostKey({ host: "new", port: 2200, knownHostsPath: kh, trustOnFirstUse: true }, k), { ok: true, how: "trusted-on-first-use" });
    assert.match(fs.readFileSync(kh, "utf8"), /^\[new\]:2200 ssh-ed25519 /);
    assert.deepEqual(verifyHostKey({ host: "new", port: 2200, knownHostsPath: kh, trustOnFirstUse: true }, k), { ok: true, how: "known_hosts" });
    const v = verifyHostKey({ host: "new", port: 2200, knownHostsPath: kh, trustOnFirstUse: true }, presentedKey(other.blob));
    assert.equal(v.ok, false);
});
