/**
 * DockerRegistry's derived values: htpasswd lines (bcrypt, kept while they verify), certificates
 * (checked with openssl where installed), the config digest's key, and the derivations that keep
 * them stable across runs.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { isOnpremError } from "../../provider/contract/errors";
import { htpasswdFile, htpasswdLine, htpasswdVerify } from "../../provider/derive/htpasswd";
import { DERIVATIONS } from "../../provider/derive/table";
import { CertificateAndKey, certificateInfo, generateCa, issueServerCert, renewalReason } from "../../provider/derive/tls";
import { registrySans } from "../../provider/plan/registry/plan";
import { MANAGED_HEADER } from "../../provider/render/managedHeader";
import { parseHtpasswd } from "../../provider/render/registry/htpasswd";
import { has } from "../support/tools";
import { ALICE_PASSWORD, BOB_PASSWORD, nativeTls, parsed } from "../support/registryCases";

// ---------------------------------------------------------------------------------------------
// htpasswd

describe("htpasswd", () => {
    test("a line is name:$2y$10$ + 53 characters and verifies only its own password", () => {
        const line = htpasswdLine("alice", ALICE_PASSWORD);
        assert.match(line, /^alice:\$2y\$10\$[./A-Za-z0-9]{53}$/);
        assert.ok(htpasswdVerify(line, ALICE_PASSWORD));
        assert.ok(!htpasswdVerify(line, "wrong"));
        assert.ok(!htpasswdVerify("alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "password"), "non-bcrypt never verifies");
        assert.match(htpasswdLine("bob", BOB_PASSWORD, 4), /^bob:\$2y\$04\$/);
    });

    test("an unchanged user list keeps every line; a changed password or cost rehashes only that user", () => {
        const users = [
            { name: "bob", password: BOB_PASSWORD },
            { name: "alice", password: ALICE_PASSWORD },
        ];
        const first = htpasswdFile(users, { saltRounds: 4 });
        assert.equal(first.split("\n")[0], MANAGED_HEADER);
        assert.deepEqual([...parseHtpasswd(first).keys()], ["alice", "bob"]);
        assert.equal(htpasswdFile([...users].reverse(), { previous: first, saltRounds: 4 }), first);

        const changed = htpasswdFile([{ name: "bob", password: "new-pw" }, users[1]], { previous: first, saltRounds: 4 });
        assert.equal(parseHtpasswd(changed).get("alice"), parseHtpasswd(first).get("alice"));
        assert.notEqual(parseHtpasswd(changed).get("bob"), parseHtpasswd(first).get("bob"));

        const added = htpasswdFile([...users, { name: "carol", password: "c" }], { previous: first, saltRounds: 4 });
        assert.equal(parseHtpasswd(added).get("bob"), parseHtpasswd(first).get("bob"));
        assert.ok(!htpasswdFile([users[1]], { previous: first, saltRounds: 4 }).includes("bob:"));

        const costlier = htpasswdFile(users, { previous: first, saltRounds: 5 });
        assert.match(parseHtpasswd(costlier).get("alice")!, /^\$2y\$05\$/);
    });

    test("without the previous file every run hashes afresh (why the previous file is passed in)", () => {
        const users = [{ name: "alice", password: ALICE_PASSWORD }];
        assert.notEqual(htpasswdFile(users, { saltRounds: 4 }), htpasswdFile(users, { saltRounds: 4 }));
    });

    test("bad names and passwords are refused without quoting the password", () => {
        for (const [name, password] of [["a:b", "x"], ["#c", "x"], ["", "x"], ["a b", "x"], ["ok", ""], ["ok", "p".repeat(73)]]) {
            assert.throws(
                () => htpasswdLine(name, password, 4),
                (e) => isOnpremError(e, "InvalidArgument") && (password.length < 2 || !e.message.includes(password)),
                `${name}/${password.length}`,
            );
        }
        assert.throws(() => htpasswdFile([{ name: "a", password: "1" }, { name: "a", password: "2" }]), /listed twice/);
    });
});

// ---------------------------------------------------------------------------------------------
// Certificates

describe("certificates", () => {
    let ca: CertificateAndKey;
    let server: CertificateAndKey;
    let scratch = "";
    const sans = { dnsNames: ["registry.lab", "mirror.lab"], ipAddresses: ["127.0.0.1", "10.99.0.13", "fd00::13"] };

    before(async () => {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "registry-tls-"));
        ca = await generateCa("pulumi-onprem test CA", 30);
        server = await issueServerCert(ca, { ...sans, validityDays: 10 });
    });
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    test("PEM shapes: certificates and PKCS#8 keys", () => {
        for (const kp of [ca, server]) {
            assert.match(kp.certificate, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
            assert.match(kp.privateKey, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
        }
    });

    test("certificateInfo reads names, validity, CA flag and fingerprint", () => {
        const info = certificateInfo(server.certificate);
        assert.equal(info.subject, "CN=registry.lab");
        assert.equal(info.issuer, "CN=pulumi-onprem test CA, O=pulumi-onprem");
        assert.deepEqual(info.dnsNames, sans.dnsNames);
        assert.deepEqual(info.ipAddresses, sans.ipAddresses);
        assert.equal(info.isCa, false);
        assert.equal(certificateInfo(ca.certificate).isCa, true);
        const days = (Date.parse(info.notAfter) - Date.now()) / 86_400_000;
        assert.ok(days > 9.9 && days <= 10, `${days} days`);
        assert.match(info.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        assert.throws(() => certificateInfo("not a certificate"), (e) => isOnpremError(e, "InvalidArgument"));
    });

    test("a server certificate never outlives its CA", async () => {
        const longer = await issueServerCert(ca, { dnsNames: ["registry.lab"], ipAddresses: [], validityDays: 400 });
        assert.equal(certificateInfo(longer.certificate).notAfter, certificateInfo(ca.certificate).notAfter);
    });

    test("renewalReason: names changed or fewer than 30 days left", () => {
        const info = certificateInfo(server.certificate);
        const now = new Date();
        assert.equal(renewalReason(info, { ...sans, now, minDaysLeft: 5 }), undefined);
        assert.equal(renewalReason(info, { dnsNames: ["MIRROR.lab", "registry.lab"], ipAddresses: ["fd00:0::13", "10.99.0.13", "127.0.0.1"], now, minDaysLeft: 5 }), undefined);
        assert.match(renewalReason(info, { ...sans, now })!, /in less than 30 days/);
        assert.match(renewalReason(info, { ...sans, now: new Date(Date.now() + 11 * 86_400_000), minDaysLeft: 5 })!, /expired/);
        assert.match(renewalReason(info, { ...sans, dnsNames: ["registry.lab"], now, minDaysLeft: 5 })!, /differ/);
        assert.match(renewalReason(info, { ...sans, ipAddresses: ["127.0.0.1"], now, minDaysLeft: 5 })!, /differ/);
    });

    test("registrySans: hostnames split into names and IPs, plus a specific address", () => {
        assert.deepEqual(registrySans(parsed(nativeTls)), { dnsNames: ["registry.lab"], ipAddresses: ["10.99.0.13"] });
        assert.deepEqual(registrySans(parsed({ runtime: "native", address: "0.0.0.0", hostnames: ["Reg.Lab", "fd00::1"], tls: { mode: "generated" } })), {
            dnsNames: ["reg.lab"],
            ipAddresses: ["fd00::1"],
        });
    });

    test("openssl verifies the chain and sees the SANs", { skip: has("openssl") ? false : "openssl is not installed" }, () => {
        const caFile = path.join(scratch, "ca.pem");
        const serverFile = path.join(scratch, "server.pem");
        fs.writeFileSync(caFile, ca.certificate);
        fs.writeFileSync(serverFile, server.certificate);
        const verify = spawnSync("openssl", ["verify", "-CAfile", caFile, "-purpose", "sslserver", serverFile], { encoding: "utf8" });
        assert.equal(verify.status, 0, verify.stderr + verify.stdout);
        assert.match(verify.stdout, /server\.pem: OK/);
        const text = spawnSync("openssl", ["x509", "-noout", "-text", "-in", serverFile], { encoding: "utf8" }).stdout;
        assert.match(text, /DNS:registry\.lab, DNS:mirror\.lab, IP Address:127\.0\.0\.1, IP Address:10\.99\.0\.13, IP Address:FD00:0:0:0:0:0:0:13/);
        assert.match(text, /CA:FALSE/);
        assert.match(text, /TLS Web Server Authentication/);
        const caText = spawnSync("openssl", ["x509", "-noout", "-text", "-in", caFile], { encoding: "utf8" }).stdout;
        assert.match(caText, /CA:TRUE, pathlen:0/);
        const fingerprint = spawnSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", serverFile], { encoding: "utf8" }).stdout;
        assert.equal(fingerprint.trim().split("=")[1], certificateInfo(server.certificate).fingerprintSha256);
        // The key openssl reads is the one the certificate was issued for.
        const keyFile = path.join(scratch, "server.key");
        fs.writeFileSync(keyFile, server.privateKey, { mode: 0o600 });
        const pubFromKey = spawnSync("openssl", ["pkey", "-in", keyFile, "-pubout"], { encoding: "utf8" }).stdout;
        const pubFromCert = spawnSync("openssl", ["x509", "-in", serverFile, "-noout", "-pubkey"], { encoding: "utf8" }).stdout;
        assert.ok(pubFromKey.length > 0 && pubFromKey === pubFromCert);
    });
});


describe("derivations", () => {
    const input = { caCommonName: "r registry CA", dnsNames: ["registry.lab"], ipAddresses: ["10.0.0.13"], validityDays: 365 };

    test("registryTls: kept while it fits; new names reissue the server certificate by the same CA", async () => {
        const first = (await DERIVATIONS.registryTls(input, undefined))!;
        assert.ok(certificateInfo(first.caCertificate).isCa);
        assert.deepEqual((await DERIVATIONS.registryTls(input, first))!, first, "nothing changed: the same certificates");
        const renamed = (await DERIVATIONS.registryTls({ ...input, dnsNames: ["registry.lab", "mirror.lab"] }, first))!;
        assert.equal(renamed.caCertificate, first.caCertificate, "clients keep their CA");
        assert.notEqual(renamed.certificate, first.certificate);
        assert.deepEqual(certificateInfo(renamed.certificate).dnsNames, ["registry.lab", "mirror.lab"]);
        assert.deepEqual((await DERIVATIONS.registryTls({ ...input, dnsNames: [], ipAddresses: [] }, first))!, first, "without names (broken input) nothing is issued");
    });

    test("htpasswd: existing lines kept, a new user added", async () => {
        const users = [{ name: "alice", password: "a-pw" }];
        const first = (await DERIVATIONS.htpasswd({ users }, undefined))!;
        assert.equal((await DERIVATIONS.htpasswd({ users }, first))!, first);
        const more = (await DERIVATIONS.htpasswd({ users: [...users, { name: "bob", password: "b-pw" }] }, first))!;
        assert.ok(more.includes(first.split("\n")[1]));
        assert.match(more, /^bob:\$2y\$/m);
    });

    test("registryConfigKey: 32 random bytes once, then kept", async () => {
        const key = (await DERIVATIONS.registryConfigKey({}, undefined))!;
        assert.match(key, /^[0-9a-f]{64}$/);
        assert.equal((await DERIVATIONS.registryConfigKey({}, key))!, key);
        assert.notEqual((await DERIVATIONS.registryConfigKey({}, undefined))!, key);
    });
});
