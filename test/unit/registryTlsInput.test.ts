/**
 * DockerRegistry's own TLS material (`tls: { mode: "provided" }`): real keys and certificates made here,
 * each rule shown failing with its one line and passing; no line quotes the key.
 */
import { strict as assert } from "node:assert";
import { generateKeyPairSync, KeyObject, webcrypto } from "node:crypto";
import { before, describe, test } from "node:test";
import * as x509 from "@peculiar/x509";
import type { DockerRegistryInput } from "../../provider/plan/registry/args";
import { registryIssues } from "../support/registryCases";

const crypto = webcrypto;
const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date("2027-03-01T12:00:00Z");
const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

type Pair = { publicKey: KeyObject; privateKey: KeyObject };
type Algorithm = typeof EC | typeof RSA;

interface CertOptions {
    /** The certificate's key pair. */
    keys: Pair;
    algorithm: Algorithm;
    /** DNS names and IPs for the SAN extension; none: no extension. */
    dns?: string[];
    ips?: string[];
    /** Signed by this pair (and named after `issuerName`); default: self-signed. */
    issuer?: { keys: Pair; name: string };
    subject?: string;
    notBefore?: Date;
    notAfter?: Date;
    ca?: boolean;
}

/** A node key pair as the WebCrypto keys @peculiar/x509 signs with. */
async function webKeys(pair: Pair, algorithm: Algorithm): Promise<{ publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey }> {
    return {
        publicKey: await crypto.subtle.importKey("spki", pair.publicKey.export({ type: "spki", format: "der" }), algorithm, true, ["verify"]),
        privateKey: await crypto.subtle.importKey("pkcs8", pair.privateKey.export({ type: "pkcs8", format: "der" }), algorithm, true, ["sign"]),
    };
}

async function makeCert(o: CertOptions): Promise<string> {
    const own = await webKeys(o.keys, o.algorithm);
    const signer = o.issuer ? await webKeys(o.issuer.keys, o.algorithm) : own;
    const subject = o.subject ?? "CN=registry.lab";
    const names = [...(o.dns ?? []).map((value) => ({ type: "dns" as const, value })), ...(o.ips ?? []).map((value) => ({ type: "ip" as const, value }))];
    const cert = await x509.X509CertificateGenerator.create(
        {
            serialNumber: "01",
            subject,
            issuer: o.issuer?.name ?? subject,
            notBefore: o.notBefore ?? new Date(NOW.getTime() - DAY_MS),
            notAfter: o.notAfter ?? new Date(NOW.getTime() + 365 * DAY_MS),
            signingAlgorithm: o.algorithm,
            publicKey: own.publicKey,
            signingKey: signer.privateKey,
            extensions: [new x509.BasicConstraintsExtension(o.ca === true, undefined, true), ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [])],
        },
        crypto,
    );
    return cert.toString("pem") + "\n";
}

const pkcs8 = (pair: Pair) => pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
const ecPair = (): Pair => generateKeyPairSync("ec", { namedCurve: "P-256" });

// Made once in `before`: key generation and signing are asynchronous.
let server: Pair;
let other: Pair;
let rsa: Pair;
let caKeys: Pair;
const pem: Record<string, string> = {};

before(async () => {
    server = ecPair();
    other = ecPair();
    rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    caKeys = ecPair();
    const names = { dns: ["registry.lab"], ips: ["10.0.0.13", "fd00::13"] };
    pem.cert = await makeCert({ keys: server, algorithm: EC, ...names });
    pem.rsaCert = await makeCert({ keys: rsa, algorithm: RSA, ...names });
    pem.ca = await makeCert({ keys: caKeys, algorithm: EC, subject: "CN=lab CA", ca: true });
    pem.issued = await makeCert({ keys: server, algorithm: EC, ...names, issuer: { keys: caKeys, name: "CN=lab CA" } });
    pem.expired = await makeCert({ keys: server, algorithm: EC, ...names, notBefore: new Date(NOW.getTime() - 400 * DAY_MS), notAfter: new Date(NOW.getTime() - DAY_MS) });
    pem.expiredCa = await makeCert({ keys: caKeys, algorithm: EC, subject: "CN=lab CA", ca: true, notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2026-01-01T00:00:00Z") });
    pem.current = await makeCert({ keys: server, algorithm: EC, ...names, notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 365 * DAY_MS) });
    pem.old = await makeCert({ keys: server, algorithm: EC, ...names, notBefore: new Date("2019-01-01T00:00:00Z"), notAfter: new Date("2020-01-01T00:00:00Z") });
    pem.wildcard = await makeCert({ keys: server, algorithm: EC, dns: ["*.lab"] });
    pem.commonNameOnly = await makeCert({ keys: server, algorithm: EC, subject: "CN=registry.lab" });
});

const spec = (certificate: string, key: string, extra: Partial<DockerRegistryInput> = {}): DockerRegistryInput => ({
    runtime: "native",
    hostnames: ["registry.lab", "10.0.0.13"],
    tls: { mode: "provided", certificate, key },
    users: [{ name: "alice", password: "s3cret-pw" }],
    ...extra,
});

/** The lines for a spec, checked to quote no key material on the way. */
function lines(s: DockerRegistryInput): string[] {
    const issues = registryIssues(s, NOW);
    const tls = s.tls as { key: string };
    const keyLines = tls.key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
    for (const i of issues) for (const l of keyLines) assert.ok(!i.message.includes(l), `a message quotes the key: ${i.message}`);
    return issues.map((i) => i.message);
}

describe("provided TLS that is right passes", () => {
    test("an EC certificate and its PKCS#8 key, for every hostname", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(server))), []);
    });
    test("the same key as SEC1 (\"EC PRIVATE KEY\")", () => {
        assert.deepEqual(lines(spec(pem.cert, server.privateKey.export({ type: "sec1", format: "pem" }) as string)), []);
    });
    test("an RSA certificate and its PKCS#1 key (\"RSA PRIVATE KEY\")", () => {
        assert.deepEqual(lines(spec(pem.rsaCert, rsa.privateKey.export({ type: "pkcs1", format: "pem" }) as string)), []);
    });
    test("a server certificate followed by its issuer", () => {
        assert.deepEqual(lines(spec(pem.issued + pem.ca, pkcs8(server))), []);
    });
    test("a wildcard covers one label, as Docker's Go client matches it", () => {
        assert.deepEqual(lines(spec(pem.wildcard, pkcs8(server), { hostnames: ["registry.lab", "MIRROR.lab"] })), []);
    });
    test("without hostnames, the address is the name; IPv6 compares by value", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(server), { hostnames: [], address: "fd00:0:0::13" })), []);
        assert.deepEqual(lines(spec(pem.cert, pkcs8(server), { hostnames: [], address: "10.0.0.13" })), []);
    });
    test("without any name (no clients), only the pair is checked", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(server), { hostnames: [], clients: [] })), []);
    });
    test("without `now`, expiry is decided by the clock", () => {
        assert.deepEqual(registryIssues(spec(pem.current, pkcs8(server))), []);
        assert.deepEqual(
            registryIssues(spec(pem.old, pkcs8(server))).map((i) => i.message),
            ["`tls.certificate`: the server certificate (block 1) expired on 2020-01-01T00:00:00.000Z: clients refuse the registry until it is renewed"],
        );
    });
});

describe("`tls.certificate`: certificates that parse, not expired, naming what clients use", () => {
    test("a private key where the certificate belongs is named as such, not quoted", () => {
        assert.deepEqual(lines({ ...spec(pkcs8(server), pkcs8(server)) }), [
            "`tls.certificate`: holds a private key, not only certificates: the key belongs in `tls.key` (a secret)",
        ]);
        const messages = registryIssues(spec(pkcs8(server), pkcs8(server)), NOW).map((i) => i.message).join("\n");
        assert.ok(!messages.includes(pkcs8(server).split("\n")[1]), messages);
    });
    test("a CERTIFICATE block that is no X.509 certificate", () => {
        const junk = `-----BEGIN CERTIFICATE-----\n${Buffer.from("no certificate in here at all").toString("base64")}\n-----END CERTIFICATE-----\n`;
        assert.deepEqual(lines(spec(junk, pkcs8(server))), ["`tls.certificate`: the server certificate (block 1) does not parse as an X.509 certificate"]);
        assert.deepEqual(lines(spec(pem.issued + junk, pkcs8(server))), ["`tls.certificate`: intermediate 1 (block 2) does not parse as an X.509 certificate"]);
    });
    test("not PEM at all", () => {
        assert.deepEqual(lines(spec("MIIBszCCAVmgAwIBAgIQ", pkcs8(server))), [
            '`tls.certificate`: is not PEM certificates only ("-----BEGIN CERTIFICATE-----" blocks: the server certificate, then its intermediates)',
        ]);
    });
    test("an expired server certificate", () => {
        const notAfter = new Date(NOW.getTime() - DAY_MS).toISOString();
        assert.deepEqual(lines(spec(pem.expired, pkcs8(server))), [
            `\`tls.certificate\`: the server certificate (block 1) expired on ${notAfter}: clients refuse the registry until it is renewed`,
        ]);
    });
    test("an expired intermediate", () => {
        assert.deepEqual(lines(spec(pem.issued + pem.expiredCa, pkcs8(server))), [
            "`tls.certificate`: intermediate 1 (block 2) expired on 2026-01-01T00:00:00.000Z: clients refuse the registry until it is renewed",
        ]);
    });
    test("a hostname the certificate does not name", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(server), { hostnames: ["registry.lab", "other.lab", "10.0.0.99"] })), [
            '`tls.certificate`: does not name hostnames[1] "other.lab", hostnames[2] "10.0.0.99" (its names: registry.lab, 10.0.0.13, fd00::13): clients using that name refuse the registry',
        ]);
    });
    test("a wildcard does not reach two labels down", () => {
        assert.deepEqual(lines(spec(pem.wildcard, pkcs8(server), { hostnames: ["a.registry.lab"] })), [
            '`tls.certificate`: does not name hostnames[0] "a.registry.lab" (its names: *.lab): clients using that name refuse the registry',
        ]);
    });
    test("the address, when it is the only name", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(server), { hostnames: [], address: "10.0.0.99" })), [
            '`tls.certificate`: does not name address "10.0.0.99" (its names: registry.lab, 10.0.0.13, fd00::13): clients using that name refuse the registry',
        ]);
    });
    test("a certificate with a common name only names nothing for Docker", () => {
        assert.deepEqual(lines(spec(pem.commonNameOnly, pkcs8(server), { hostnames: ["registry.lab"] })), [
            '`tls.certificate`: does not name hostnames[0] "registry.lab" (it has no subjectAltName; Docker ignores the common name): clients using that name refuse the registry',
        ]);
    });
});

describe("`tls.key`: one unencrypted private key of a kind the registry serves, the certificate's", () => {
    test("a key that is not the certificate's", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(other))), [
            "`tls.key`: is not the key of `tls.certificate`: its public key differs from the server certificate's (the first block)",
        ]);
    });
    test("the key of an intermediate is not the server's", () => {
        assert.deepEqual(lines(spec(pem.issued + pem.ca, pkcs8(caKeys))), [
            "`tls.key`: is not the key of `tls.certificate`: its public key differs from the server certificate's (the first block)",
        ]);
    });
    test("a certificate where the key belongs", () => {
        assert.deepEqual(lines(spec(pem.cert, pem.cert)), ["`tls.key`: is a certificate, not a private key: certificates belong in `tls.certificate`"]);
    });
    test("certificate and key swapped: one line each", () => {
        assert.deepEqual(lines(spec(pkcs8(server), pem.cert)), [
            "`tls.certificate`: holds a private key, not only certificates: the key belongs in `tls.key` (a secret)",
            "`tls.key`: is a certificate, not a private key: certificates belong in `tls.certificate`",
        ]);
    });
    test("a public key", () => {
        assert.deepEqual(lines(spec(pem.cert, server.publicKey.export({ type: "spki", format: "pem" }) as string)), [
            "`tls.key`: is a public key; give the private key of `tls.certificate`",
        ]);
    });
    test("a PEM block that is no key", () => {
        const damaged = `-----BEGIN PRIVATE KEY-----\n${Buffer.from("no key in here, only words").toString("base64")}\n-----END PRIVATE KEY-----\n`;
        assert.deepEqual(lines(spec(pem.cert, damaged)), ["`tls.key`: does not parse as a private key: its PEM block is damaged or holds something else"]);
    });
    test("an encrypted key", () => {
        const encrypted = server.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }) as string;
        assert.deepEqual(lines(spec(pem.cert, encrypted)), ["`tls.key`: is encrypted: the registry cannot ask for a passphrase; give the key unencrypted (it is kept as a secret)"]);
    });
    test("a key plus its certificate in one field", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(server) + pem.cert)), ['`tls.key`: is not one PEM private key ("-----BEGIN PRIVATE KEY-----", RSA or EC)']);
    });
    test("an EC key on a curve TLS does not sign with", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(generateKeyPairSync("ec", { namedCurve: "secp256k1" })))), [
            '`tls.key`: is an EC key on curve "secp256k1": the registry signs with P-256, P-384 or P-521 only',
        ]);
    });
    test("a key type Go's TLS does not serve", () => {
        assert.deepEqual(lines(spec(pem.cert, pkcs8(generateKeyPairSync("ed448")))), [
            '`tls.key`: is of type "ed448": the registry serves TLS with RSA, ECDSA or Ed25519 keys only',
        ]);
    });
});
