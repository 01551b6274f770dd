/**
 * DockerRegistry: config.yml goldens (one case per file under test/golden/registry/), validation
 * table, htpasswd, certificates, client files and daemon.json entries. Where the tools are installed,
 * the goldens are served by the real docker-registry on 127.0.0.1 (distribution 2.8 has no config
 * check command) and probed with curl, and the certificates are checked with openssl.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { isOnpremError } from "../../provider/contract/errors";
import { fillSecrets, referencedSecrets } from "../../provider/contract/secrets";
import {
    DockerRegistrySpec,
    REGISTRY_SECRET_HTPASSWD,
    REGISTRY_SECRET_PROXY_PASSWORD,
    REGISTRY_SECRET_TLS_KEY,
} from "../../provider/plan/registry/model";
import { isImageReference, validateRegistry } from "../../provider/plan/registry/validate";
import { MANAGED_HEADER } from "../../provider/render/managedHeader";
import { htpasswdFile, htpasswdLine, htpasswdVerify, parseHtpasswd } from "../../provider/derive/htpasswd";
import {
    CONTAINER_STORAGE_PATH,
    REGISTRY_CERT_PATH,
    REGISTRY_HTPASSWD_PATH,
    REGISTRY_KEY_PATH,
    clientDaemonEntries,
    clientFiles,
    mergeClientDaemonJson,
    registryFiles,
    registryHostPorts,
    registryPaths,
    registrySecrets,
    registryUrl,
    renderRegistryConfig,
} from "../../provider/render/registry/configYml";
import { CertificateAndKey, certificateInfo, generateCa, issueServerCert, registrySans, renewalReason } from "../../provider/derive/tls";
import { expectGolden } from "../support/golden";
import { has } from "../support/tools";

const GOLDEN_DIR = path.resolve(__dirname, "../golden/registry");
const execFileAsync = promisify(execFile);

const ALICE_PASSWORD = "alice-Pw-1";
const BOB_PASSWORD = "bob:pw with spaces";
/** Quotes, a backslash and a colon: the YAML escaping of the proxy password must survive them. */
const PROXY_PASSWORD = `to"ken\\with:'odd`;

// ---------------------------------------------------------------------------------------------
// Cases: seed 000's registry (storage on /opt/data/registry, port 5000, authentication), done securely

/** Seed 000 on Debian's package: TLS generated for the registry's names, two users. */
const nativeTls: DockerRegistrySpec = {
    runtime: "native",
    address: "10.99.0.13",
    hostnames: ["registry.lab", "10.99.0.13"],
    tls: { mode: "generated" },
    users: [
        { name: "bob", password: BOB_PASSWORD },
        { name: "alice", password: ALICE_PASSWORD },
    ],
    deleteEnabled: true,
    clients: [{ name: "client1", dockerConfig: "certs-only" }],
};

/** Plain HTTP on all addresses, said out loud; clients get `insecure-registries`. */
const tlsOff: DockerRegistrySpec = {
    runtime: "native",
    hostnames: ["registry.lab"],
    tls: { mode: "off", insecure: true },
    clients: [{ name: "client1", dockerConfig: "daemon-json" }],
};

/** A Docker Hub pull-through cache in a container, with an upstream account and one local user. */
const proxyCache: DockerRegistrySpec = {
    runtime: "container",
    image: "registry:2.8.2",
    storagePath: "/opt/data/registry-cache",
    port: 5001,
    hostnames: ["mirror.lab"],
    tls: { mode: "generated", validityDays: 90 },
    users: [{ name: "alice", password: ALICE_PASSWORD }],
    proxy: { remoteUrl: "https://registry-1.docker.io", username: "mirror-bot", password: PROXY_PASSWORD },
    clients: [{ name: "client1", dockerConfig: "daemon-json" }],
};

const goldenCases: { name: string; spec: DockerRegistrySpec }[] = [
    { name: "native-tls-two-users", spec: nativeTls },
    { name: "tls-off-insecure", spec: tlsOff },
    { name: "proxy-cache", spec: proxyCache },
];

const goldenPath = (file: string) => path.join(GOLDEN_DIR, file);


/** A daemon.json a client host had before: our entries go beside these. */
const CLIENT_DAEMON_JSON = `{
  "log-driver": "journald",
  "insecure-registries": ["legacy.lab:5000"],
  "bip": "172.31.0.1/24"
}
`;

describe("config.yml goldens", () => {
    for (const c of goldenCases) {
        test(`${c.name} matches its golden and is valid`, () => {
            assert.deepEqual(validateRegistry(c.spec), []);
            expectGolden(GOLDEN_DIR, `${c.name}.config.yml`, renderRegistryConfig(c.spec));
        });
    }

    test("tls-off-insecure client daemon.json keeps the host's keys and list entries", () => {
        const entries = clientDaemonEntries(tlsOff, tlsOff.clients![0]);
        expectGolden(GOLDEN_DIR, "tls-off-insecure.client-daemon.json", mergeClientDaemonJson(CLIENT_DAEMON_JSON, entries)!);
    });

    test("proxy-cache client daemon.json gets the mirror", () => {
        const entries = clientDaemonEntries(proxyCache, proxyCache.clients![0]);
        expectGolden(GOLDEN_DIR, "proxy-cache.client-daemon.json", mergeClientDaemonJson(undefined, entries)!);
    });

    test("goldens start with the header, parse as YAML and hold no secret", () => {
        for (const c of goldenCases) {
            const text = fs.readFileSync(goldenPath(`${c.name}.config.yml`), "utf8");
            assert.ok(text.startsWith(`${MANAGED_HEADER}\n`) && text.endsWith("\n"), c.name);
            const parsed = parseYaml(text) as Record<string, any>;
            assert.equal(parsed.version, 0.1);
            for (const secret of [ALICE_PASSWORD, BOB_PASSWORD, PROXY_PASSWORD, "to\\\"ken"]) assert.ok(!text.includes(secret), `${c.name} leaks a password`);
        }
        const proxy = parseYaml(fs.readFileSync(goldenPath("proxy-cache.config.yml"), "utf8")) as Record<string, any>;
        assert.equal(proxy.proxy.password, "{{secret:registry_proxy_password}}");
    });

    test("every golden file is a case above (no stale goldens)", () => {
        const expected = [
            ...goldenCases.map((c) => `${c.name}.config.yml`),
            "proxy-cache.client-daemon.json",
            "tls-off-insecure.client-daemon.json",
        ].sort();
        assert.deepEqual(fs.readdirSync(GOLDEN_DIR).sort(), expected);
    });
});

// ---------------------------------------------------------------------------------------------
// Rendering details

test("the container runtime sees its storage at the image's path and listens inside on :5000", () => {
    assert.deepEqual(registryPaths(proxyCache), {
        storage: CONTAINER_STORAGE_PATH,
        htpasswd: REGISTRY_HTPASSWD_PATH,
        certificate: REGISTRY_CERT_PATH,
        key: REGISTRY_KEY_PATH,
        addr: ":5000",
    });
    assert.equal(registryPaths(nativeTls).storage, "/opt/data/registry");
    assert.equal(registryPaths(nativeTls).addr, "10.99.0.13:5000");
    assert.equal(registryPaths({ ...tlsOff, address: "fd00::13", port: 443 }).addr, "[fd00::13]:443");
    assert.equal(registryPaths(tlsOff).addr, ":5000");
});

test("rendering is deterministic and follows the spec, not the order users are listed in", () => {
    const reordered = { ...nativeTls, users: [...nativeTls.users!].reverse() };
    assert.equal(renderRegistryConfig(reordered), renderRegistryConfig(nativeTls));
    assert.equal(renderRegistryConfig(nativeTls), renderRegistryConfig(nativeTls));
    const noUsers = renderRegistryConfig({ ...nativeTls, users: [] });
    assert.ok(!noUsers.includes("auth:") && !noUsers.includes("htpasswd"));
});

test("registryFiles: secrets are single placeholders, the key and htpasswd belong to the service user", () => {
    const files = registryFiles(nativeTls, { certificate: "CERT", caCertificate: "CA" });
    assert.deepEqual(
        files.map((f) => [f.path, f.mode, f.owner, f.group]),
        [
            ["/etc/docker/registry/ca.crt", "0644", "root", "root"],
            ["/etc/docker/registry/config.yml", "0640", "root", "docker-registry"],
            ["/etc/docker/registry/htpasswd", "0600", "docker-registry", "docker-registry"],
            ["/etc/docker/registry/registry.crt", "0644", "root", "root"],
            ["/etc/docker/registry/registry.key", "0600", "docker-registry", "docker-registry"],
        ],
    );
    const byPath = Object.fromEntries(files.map((f) => [f.path, f.content]));
    assert.equal(byPath["/etc/docker/registry/htpasswd"], "{{secret:registry_htpasswd}}");
    assert.equal(byPath["/etc/docker/registry/registry.key"], "{{secret:registry_tls_key}}");
    assert.equal(byPath["/etc/docker/registry/registry.crt"], "CERT\n");
    assert.deepEqual(registryFiles(tlsOff).map((f) => f.path), ["/etc/docker/registry/config.yml"]);
    assert.throws(() => registryFiles(nativeTls), (e) => isOnpremError(e, "Bug"));
});

test("registrySecrets: one value per placeholder the files use, nothing else", () => {
    const files = registryFiles(proxyCache, { certificate: "CERT" });
    const secrets = registrySecrets(proxyCache, { htpasswd: "alice:$2y$...\n", tlsKey: "KEY" });
    const used = [...new Set(files.flatMap((f) => referencedSecrets(f.content)))].sort();
    assert.deepEqual(Object.keys(secrets).sort(), used);
    assert.deepEqual(used, [REGISTRY_SECRET_HTPASSWD, REGISTRY_SECRET_PROXY_PASSWORD, REGISTRY_SECRET_TLS_KEY].sort());
    assert.deepEqual(registrySecrets(tlsOff, {}), {});
    assert.throws(() => registrySecrets(nativeTls, { tlsKey: "KEY" }), (e) => isOnpremError(e, "Bug"));
});

test("the proxy password survives YAML whatever it holds", () => {
    for (const password of [PROXY_PASSWORD, "line1\nline2", "tab\there", "ünïcødé €", "#not-a-comment", "{{x}}", "\\u0041"]) {
        const spec: DockerRegistrySpec = { ...proxyCache, proxy: { ...proxyCache.proxy!, password } };
        const filled = fillSecrets(renderRegistryConfig(spec), registrySecrets(spec, { htpasswd: "x", tlsKey: "k" }));
        assert.equal((parseYaml(filled) as Record<string, any>).proxy.password, password, JSON.stringify(password));
    }
});

test("names clients use: first hostname, every host:port, URL with the right scheme", () => {
    assert.equal(registryUrl(nativeTls), "https://registry.lab:5000");
    assert.equal(registryUrl(tlsOff), "http://registry.lab:5000");
    assert.deepEqual(registryHostPorts(nativeTls), ["registry.lab:5000", "10.99.0.13:5000"]);
    assert.deepEqual(registryHostPorts({ runtime: "native", address: "fd00::13", tls: { mode: "generated" } }), ["[fd00::13]:5000"]);
    assert.deepEqual(registryHostPorts({ runtime: "native", address: "0.0.0.0", tls: { mode: "generated" } }), []);
});

test("clientFiles: the CA under certs.d for every name; nothing without TLS or CA", () => {
    const files = clientFiles(nativeTls, "CA", registryHostPorts(nativeTls));
    assert.deepEqual(
        files.map((f) => [f.path, f.content, f.mode]),
        [
            ["/etc/docker/certs.d/10.99.0.13:5000/ca.crt", "CA\n", "0644"],
            ["/etc/docker/certs.d/registry.lab:5000/ca.crt", "CA\n", "0644"],
        ],
    );
    assert.deepEqual(clientFiles(tlsOff, "CA", "registry.lab:5000"), []);
    assert.deepEqual(clientFiles(nativeTls, undefined, "registry.lab:5000"), []);
    assert.throws(() => clientFiles(nativeTls, "CA", "../../etc:5000"), (e) => isOnpremError(e, "Bug"));
});

describe("client daemon.json entries", () => {
    test("certs-only clients own nothing in daemon.json", () => {
        const entries = clientDaemonEntries(nativeTls, nativeTls.clients![0]);
        assert.deepEqual(entries, { "insecure-registries": [], "registry-mirrors": [] });
        assert.equal(mergeClientDaemonJson(CLIENT_DAEMON_JSON, entries), undefined);
    });

    test("TLS on, no proxy: a daemon-json client needs no entries either", () => {
        const entries = clientDaemonEntries(nativeTls, { name: "c", dockerConfig: "daemon-json" });
        assert.equal(mergeClientDaemonJson(undefined, entries), undefined);
    });

    test("a mirror only for a Docker Hub cache: dockerd uses registry-mirrors for Docker Hub only", () => {
        const ghcr: DockerRegistrySpec = { ...proxyCache, proxy: { remoteUrl: "https://ghcr.io" } };
        assert.deepEqual(clientDaemonEntries(ghcr, ghcr.clients![0])["registry-mirrors"], []);
        assert.deepEqual(clientDaemonEntries(proxyCache, proxyCache.clients![0])["registry-mirrors"], ["https://mirror.lab:5001"]);
    });

    test("merging twice changes nothing; removing takes out only our entries", () => {
        const entries = clientDaemonEntries(tlsOff, tlsOff.clients![0]);
        const once = mergeClientDaemonJson(CLIENT_DAEMON_JSON, entries)!;
        assert.equal(mergeClientDaemonJson(once, entries, entries), once);
        const none = { "insecure-registries": [], "registry-mirrors": [] };
        const removed = JSON.parse(mergeClientDaemonJson(once, none, entries)!);
        assert.deepEqual(removed, JSON.parse(CLIENT_DAEMON_JSON));
        // A list that only ever held our entry disappears with it.
        const fresh = mergeClientDaemonJson('{"debug": true}', entries)!;
        assert.deepEqual(JSON.parse(mergeClientDaemonJson(fresh, none, entries)!), { debug: true });
    });

    test("a list key that is not a list of strings is reported, not overwritten", () => {
        const entries = clientDaemonEntries(tlsOff, tlsOff.clients![0]);
        assert.throws(
            () => mergeClientDaemonJson('{"insecure-registries": "legacy.lab:5000"}', entries),
            (e) => isOnpremError(e, "Validation") && /`\/etc\/docker\/daemon.json`: "insecure-registries" is not a list/.test(e.message),
        );
    });
});

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
        assert.deepEqual(registrySans(nativeTls), { dnsNames: ["registry.lab"], ipAddresses: ["10.99.0.13"] });
        assert.deepEqual(registrySans({ runtime: "native", address: "0.0.0.0", hostnames: ["Reg.Lab", "fd00::1"], tls: { mode: "generated" } }), {
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

// ---------------------------------------------------------------------------------------------
// Validation

const base = (): DockerRegistrySpec => ({
    runtime: "native",
    hostnames: ["registry.lab"],
    tls: { mode: "generated" },
    users: [{ name: "alice", password: "s3cret-pw" }],
    clients: [{ name: "client1", dockerConfig: "certs-only" }],
});

const FAKE_CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n";
const FAKE_KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n";

test("the base spec of the bad-input table is valid, and so are provided TLS and an IPv6 listener", () => {
    assert.deepEqual(validateRegistry(base()), []);
    assert.deepEqual(validateRegistry({ ...base(), tls: { mode: "provided", certificate: FAKE_CERT + FAKE_CERT, key: FAKE_KEY } }), []);
    assert.deepEqual(validateRegistry({ ...base(), hostnames: [], address: "fd00::13", port: 443 }), []);
});

const badInputs: { name: string; change: (s: DockerRegistrySpec) => void; field: string; message: string }[] = [
    {
        name: "port out of range",
        change: (s) => (s.port = 70000),
        field: "port",
        message: "`port`: 70000 is outside 1-65535",
    },
    {
        name: "storage on /",
        change: (s) => (s.storagePath = "/"),
        field: "storagePath",
        message: '`storagePath`: is "/": the registry would own the whole file system; use a directory such as "/opt/data/registry"',
    },
    {
        name: "relative storage path",
        change: (s) => (s.storagePath = "data/registry"),
        field: "storagePath",
        message: '`storagePath`: "data/registry" is not an absolute path',
    },
    {
        name: "user name with ':'",
        change: (s) => (s.users![0].name = "al:ice"),
        field: "users[0].name",
        message: '`users[0].name`: "al:ice" holds ":", which ends the name in htpasswd and in HTTP basic auth',
    },
    {
        name: "duplicate user",
        change: (s) => s.users!.push({ name: "alice", password: "other" }),
        field: "users[1].name",
        message: '`users[1].name`: "alice" is already users[0]',
    },
    {
        name: "empty password",
        change: (s) => (s.users![0].password = ""),
        field: "users[0].password",
        message: "`users[0].password`: is empty",
    },
    {
        name: "password longer than bcrypt reads",
        change: (s) => (s.users![0].password = "é".repeat(37)),
        field: "users[0].password",
        message: "`users[0].password`: is longer than 72 bytes, the most bcrypt reads",
    },
    {
        name: "TLS off without insecure: true",
        change: (s) => Object.assign(s, { tls: { mode: "off" }, users: [], clients: [] }),
        field: "tls.insecure",
        message: '`tls.insecure`: must be true to turn TLS off: images and credentials would cross the network in clear text; use { mode: "generated" } instead',
    },
    {
        name: "TLS off with users",
        change: (s) => Object.assign(s, { tls: { mode: "off", insecure: true }, clients: [] }),
        field: "users",
        message: '`users`: need TLS: basic auth would send every password in clear text over HTTP; use tls { mode: "generated" } or drop the users',
    },
    {
        name: "provided certificate that is not PEM",
        change: (s) => (s.tls = { mode: "provided", certificate: "MIIBszCCAVmgAwIBAgIQ", key: FAKE_KEY }),
        field: "tls.certificate",
        message: '`tls.certificate`: is not PEM certificates only ("-----BEGIN CERTIFICATE-----" blocks: the server certificate, then its intermediates)',
    },
    {
        name: "provided key that is encrypted",
        change: (s) => (s.tls = { mode: "provided", certificate: FAKE_CERT, key: FAKE_KEY.replace(/PRIVATE KEY/g, "ENCRYPTED PRIVATE KEY") }),
        field: "tls.key",
        message: "`tls.key`: is encrypted: the registry cannot ask for a passphrase; give the key unencrypted (it is kept as a secret)",
    },
    {
        name: "provided key that is a certificate",
        change: (s) => (s.tls = { mode: "provided", certificate: FAKE_CERT, key: FAKE_CERT }),
        field: "tls.key",
        message: '`tls.key`: is not one PEM private key ("-----BEGIN PRIVATE KEY-----", RSA or EC)',
    },
    {
        name: "proxy URL that is not a URL",
        change: (s) => (s.proxy = { remoteUrl: "registry-1.docker.io" }),
        field: "proxy.remoteUrl",
        message: '`proxy.remoteUrl`: "registry-1.docker.io" is not a URL',
    },
    {
        name: "proxy URL over plain HTTP",
        change: (s) => (s.proxy = { remoteUrl: "http://registry-1.docker.io" }),
        field: "proxy.remoteUrl",
        message: '`proxy.remoteUrl`: "http://registry-1.docker.io" is not an https URL',
    },
    {
        name: "proxy URL with credentials",
        change: (s) => (s.proxy = { remoteUrl: "https://bot:hunter2@registry-1.docker.io" }),
        field: "proxy.remoteUrl",
        message: "`proxy.remoteUrl`: holds credentials: use `proxy.username` and `proxy.password` (a secret)",
    },
    {
        name: "proxy password without username",
        change: (s) => (s.proxy = { remoteUrl: "https://registry-1.docker.io", password: "token" }),
        field: "proxy.password",
        message: "`proxy.password`: is set without `proxy.username`",
    },
    {
        name: "delete on a pull-through cache",
        change: (s) => Object.assign(s, { deleteEnabled: true, proxy: { remoteUrl: "https://registry-1.docker.io" } }),
        field: "deleteEnabled",
        message: "`deleteEnabled`: has no effect on a pull-through cache (`proxy`): distribution refuses deletes there and expires cached content itself",
    },
    {
        name: "hostname that is neither a name nor an IP",
        change: (s) => (s.hostnames = ["registry_1.lab"]),
        field: "hostnames[0]",
        message: '`hostnames[0]`: "registry_1.lab" is neither a DNS name nor an IP address',
    },
    {
        name: "hostname that looks like an IP but is none",
        change: (s) => (s.hostnames = ["10.0.0.300"]),
        field: "hostnames[0]",
        message: '`hostnames[0]`: "10.0.0.300" is neither a DNS name nor an IP address',
    },
    {
        name: "same hostname twice",
        change: (s) => (s.hostnames = ["registry.lab", "REGISTRY.lab"]),
        field: "hostnames[1]",
        message: '`hostnames[1]`: "REGISTRY.lab" is already hostnames[0]',
    },
    {
        name: "generated TLS with no name for its SANs",
        change: (s) => Object.assign(s, { hostnames: [], address: "0.0.0.0", clients: [] }),
        field: "hostnames",
        message: "`hostnames`: is empty and `address` is unset or a wildcard: a generated certificate needs at least one name or address for its SANs",
    },
    {
        name: "address with a prefix",
        change: (s) => (s.address = "10.99.0.13/24"),
        field: "address",
        message: '`address`: "10.99.0.13/24" is not a bare IP address (no prefix); leave it unset to listen on all addresses',
    },
    {
        name: "image with the native runtime",
        change: (s) => (s.image = "registry:2"),
        field: "image",
        message: '`image`: is only used by the "container" runtime; the "native" runtime runs the docker-registry package',
    },
    {
        name: "image reference with upper case",
        change: (s) => Object.assign(s, { runtime: "container", image: "Registry:2" }),
        field: "image",
        message: '`image`: "Registry:2" is not an image reference like "registry:2" or "mirror.example:5000/library/registry:2.8"',
    },
    {
        name: "unknown runtime",
        change: (s) => ((s as { runtime: string }).runtime = "podman"),
        field: "runtime",
        message: '`runtime`: "podman" is not "native" or "container"',
    },
    {
        name: "certificate validity of zero days",
        change: (s) => (s.tls = { mode: "generated", validityDays: 0 }),
        field: "tls.validityDays",
        message: "`tls.validityDays`: 0 is not a whole number of days in 1-3650",
    },
    {
        name: "certs-only client of a registry without TLS",
        change: (s) => Object.assign(s, { tls: { mode: "off", insecure: true }, users: [] }),
        field: "clients[0].dockerConfig",
        message: '`clients[0].dockerConfig`: is "certs-only" but TLS is off: the daemon refuses plain HTTP unless `insecure-registries` lists the registry ("daemon-json")',
    },
    {
        name: "two clients with one name",
        change: (s) => s.clients!.push({ name: "client1", dockerConfig: "daemon-json" }),
        field: "clients[1].name",
        message: '`clients[1].name`: "client1" is already clients[0]',
    },
];

describe("bad input fails validation naming the field and the rule", () => {
    for (const bad of badInputs) {
        test(bad.name, () => {
            const spec = base();
            bad.change(spec);
            assert.deepEqual(validateRegistry(spec), [{ field: bad.field, message: bad.message }]);
        });
    }
});

test("no validation message quotes a password or a key", () => {
    const key = FAKE_KEY.replace(/PRIVATE KEY/g, "ENCRYPTED PRIVATE KEY");
    const spec: DockerRegistrySpec = {
        ...base(),
        tls: { mode: "provided", certificate: FAKE_CERT, key },
        users: [{ name: "alice", password: "x".repeat(80) }],
        proxy: { remoteUrl: "https://registry-1.docker.io", username: "bot", password: "" },
    };
    const messages = validateRegistry(spec).map((i) => i.message).join("\n");
    assert.ok(!messages.includes("MIGHAgEAMBMGByqGSM49") && !messages.includes("x".repeat(80)), messages);
    assert.equal(validateRegistry(spec).length, 3);
});

test("image references: the shapes docker accepts", () => {
    for (const ok of ["registry:2", "registry", "library/registry:2.8.2", "mirror.example:5000/library/registry:2.8", "localhost/a_b/c-d:x", `registry@sha256:${"a".repeat(64)}`]) {
        assert.ok(isImageReference(ok), ok);
    }
    for (const bad of ["", "Registry:2", "registry:", "registry:2 ", ":2", "a//b", "-a:1", `registry@sha256:${"a".repeat(8)}`]) {
        assert.ok(!isImageReference(bad), bad);
    }
});

// ---------------------------------------------------------------------------------------------
// The real registry serves the goldens (loopback only, bounded, stopped by PID)

function registryUnavailable(): string | false {
    if (!has("docker-registry")) return "docker-registry is not installed";
    if (!has("curl")) return "curl is not installed";
    return false;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

const REGISTRY_START_TIMEOUT_MS = 15_000;
const REGISTRY_STOP_TIMEOUT_MS = 5_000;
const CURL_TIMEOUT_SECONDS = 5;

/** The environment of processes this test starts: no proxy settings, so nothing leaves the loopback. */
function loopbackEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    for (const k of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"]) delete env[k];
    return env;
}

/** curl's status code for a request; async so that a server in this process can answer meanwhile. */
async function httpStatus(args: string[]): Promise<string> {
    const { stdout } = await execFileAsync(
        "curl",
        ["-sS", "--noproxy", "*", "--max-time", String(CURL_TIMEOUT_SECONDS), "-o", "/dev/null", "-w", "%{http_code}", ...args],
        { env: loopbackEnv() },
    ).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `curl failed: ${e.stderr ?? ""}` }));
    return stdout;
}

interface RunningRegistry {
    child: ChildProcess;
    port: number;
    output: () => string;
}

/** Starts docker-registry on a config that listens on 127.0.0.1:port, and waits until it answers. */
async function startRegistry(configFile: string, port: number, scheme: "http" | "https", env: Record<string, string> = {}): Promise<RunningRegistry> {
    const child = spawn("docker-registry", ["serve", configFile], { stdio: ["ignore", "pipe", "pipe"], env: loopbackEnv(env) });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const running: RunningRegistry = { child, port, output: () => out };
    const deadline = Date.now() + REGISTRY_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`docker-registry exited early:\n${out}`);
        const status = await httpStatus(["-k", `${scheme}://127.0.0.1:${port}/v2/`]);
        if (/^[1-5][0-9][0-9]$/.test(status)) return running;
        await new Promise((r) => setTimeout(r, 100));
    }
    await stopRegistry(running);
    throw new Error(`docker-registry did not answer within ${REGISTRY_START_TIMEOUT_MS} ms:\n${out}`);
}

/** Stops the process this test started, by its PID: TERM, then KILL if it lingers. */
async function stopRegistry(r: RunningRegistry): Promise<void> {
    if (r.child.exitCode !== null || r.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => r.child.once("exit", () => resolve()));
    process.kill(r.child.pid!, "SIGTERM");
    const timer = setTimeout(() => r.child.exitCode === null && r.child.signalCode === null && process.kill(r.child.pid!, "SIGKILL"), REGISTRY_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
}

/**
 * The golden text with the host's paths and listen address swapped for the scratch directory and a
 * free loopback port, and its placeholders filled: what the provider writes, moved somewhere harmless.
 */
function fillGolden(
    name: string,
    spec: DockerRegistrySpec,
    dir: string,
    port: number,
    material: { secrets: Record<string, string>; certificate?: string },
    swaps: [string, string][] = [],
): string {
    const { secrets } = material;
    let text = fs.readFileSync(goldenPath(`${name}.config.yml`), "utf8");
    const paths = registryPaths(spec);
    const storage = path.join(dir, "storage");
    fs.mkdirSync(storage, { recursive: true });
    const replace = (from: string, to: string) => {
        assert.ok(text.includes(from), `${name}: golden has no ${from}`);
        text = text.split(from).join(to);
    };
    replace(`rootdirectory: ${paths.storage}\n`, `rootdirectory: ${storage}\n`);
    replace(`addr: ${paths.addr}\n`, `addr: 127.0.0.1:${port}\n`);
    if (spec.tls.mode !== "off") {
        replace(`certificate: ${REGISTRY_CERT_PATH}\n`, `certificate: ${path.join(dir, "registry.crt")}\n`);
        replace(`key: ${REGISTRY_KEY_PATH}\n`, `key: ${path.join(dir, "registry.key")}\n`);
    }
    if ((spec.users ?? []).length > 0) replace(`path: ${REGISTRY_HTPASSWD_PATH}\n`, `path: ${path.join(dir, "htpasswd")}\n`);
    for (const [from, to] of swaps) replace(from, to);
    // The secret files are what registryFiles writes, filled in the same way.
    for (const file of registryFiles(spec, material.certificate === undefined ? undefined : { certificate: material.certificate })) {
        const local = { [REGISTRY_CERT_PATH]: "registry.crt", [REGISTRY_KEY_PATH]: "registry.key", [REGISTRY_HTPASSWD_PATH]: "htpasswd" }[file.path];
        if (local) fs.writeFileSync(path.join(dir, local), fillSecrets(file.content, secrets), { mode: 0o600 });
    }
    const configFile = path.join(dir, "config.yml");
    fs.writeFileSync(configFile, fillSecrets(text, secrets), { mode: 0o600 });
    return configFile;
}

describe("docker-registry 2.8 serves the goldens", { skip: registryUnavailable() }, () => {
    let scratch = "";
    let ca: CertificateAndKey;
    let server: CertificateAndKey;
    let caFile = "";
    const running: RunningRegistry[] = [];

    before(async () => {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "registry-serve-"));
        ca = await generateCa("pulumi-onprem test CA", 2);
        server = await issueServerCert(ca, { dnsNames: ["registry.lab", "mirror.lab"], ipAddresses: ["127.0.0.1"], validityDays: 1 });
        caFile = path.join(scratch, "ca.pem");
        fs.writeFileSync(caFile, ca.certificate);
    });
    after(async () => {
        for (const r of running) await stopRegistry(r);
        fs.rmSync(scratch, { recursive: true, force: true });
    });

    const tlsMaterial = (spec: DockerRegistrySpec, htpasswd?: string) => ({
        secrets: registrySecrets(spec, { htpasswd, tlsKey: server.privateKey }),
        certificate: server.certificate,
    });

    test("native-tls-two-users: 401 without or with wrong credentials, 200 for each user, TLS verified with the CA", async () => {
        const dir = fs.mkdtempSync(path.join(scratch, "native-"));
        const port = await freePort();
        const htpasswd = htpasswdFile(nativeTls.users!, { saltRounds: 4 });
        const config = fillGolden("native-tls-two-users", nativeTls, dir, port, tlsMaterial(nativeTls, htpasswd));
        const r = await startRegistry(config, port, "https");
        running.push(r);
        const url = `https://registry.lab:${port}/v2/`;
        const tls = ["--cacert", caFile, "--resolve", `registry.lab:${port}:127.0.0.1`];
        assert.equal(await httpStatus([...tls, url]), "401", r.output());
        assert.equal(await httpStatus([...tls, "-u", `alice:${ALICE_PASSWORD}`, url]), "200", r.output());
        assert.equal(await httpStatus([...tls, "-u", `bob:${BOB_PASSWORD}`, url]), "200", r.output());
        assert.equal(await httpStatus([...tls, "-u", "alice:wrong", url]), "401");
        assert.equal(await httpStatus([...tls, "-u", `carol:${ALICE_PASSWORD}`, url]), "401");
        // Without the CA the handshake is refused: the registry really serves the generated certificate.
        const untrusted = await httpStatus(["--resolve", `registry.lab:${port}:127.0.0.1`, url]);
        assert.match(untrusted, /^(000|curl failed)/);
        await stopRegistry(r);
    });

    test("tls-off-insecure: 200 without credentials over plain HTTP", async () => {
        const dir = fs.mkdtempSync(path.join(scratch, "plain-"));
        const port = await freePort();
        const config = fillGolden("tls-off-insecure", tlsOff, dir, port, { secrets: registrySecrets(tlsOff, {}) });
        const r = await startRegistry(config, port, "http");
        running.push(r);
        assert.equal(await httpStatus([`http://127.0.0.1:${port}/v2/`]), "200", r.output());
        await stopRegistry(r);
    });

    test("proxy-cache: starts against an upstream, authenticates it with the exact proxy password", async () => {
        // A stand-in for Docker Hub on the loopback: token auth, and no image ever exists.
        const upstreamPort = await freePort();
        const seenAuth: string[] = [];
        const challenge = `Bearer realm="https://127.0.0.1:${upstreamPort}/token",service="upstream.test"`;
        const upstream = https.createServer({ cert: server.certificate, key: server.privateKey }, (req, res) => {
            if (req.url?.startsWith("/token")) {
                seenAuth.push(req.headers.authorization ?? "");
                res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ token: "t", access_token: "t", expires_in: 300 }));
            } else if (req.headers.authorization !== "Bearer t") {
                res.writeHead(401, { "WWW-Authenticate": challenge, "Content-Type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
            } else {
                res.writeHead(404, { "Content-Type": "application/json" }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
            }
        });
        await new Promise<void>((resolve) => upstream.listen(upstreamPort, "127.0.0.1", resolve));
        try {
            const dir = fs.mkdtempSync(path.join(scratch, "proxy-"));
            const port = await freePort();
            const htpasswd = htpasswdFile(proxyCache.users!, { saltRounds: 4 });
            const config = fillGolden("proxy-cache", proxyCache, dir, port, tlsMaterial(proxyCache, htpasswd), [
                ["remoteurl: https://registry-1.docker.io\n", `remoteurl: https://127.0.0.1:${upstreamPort}\n`],
            ]);
            // Go reads SSL_CERT_FILE for its roots: the registry trusts the stand-in through our CA.
            const r = await startRegistry(config, port, "https", { SSL_CERT_FILE: caFile });
            running.push(r);
            const url = `https://mirror.lab:${port}/v2/library/busybox/manifests/latest`;
            const tls = ["--cacert", caFile, "--resolve", `mirror.lab:${port}:127.0.0.1`];
            assert.equal(await httpStatus([...tls, url]), "401", r.output());
            assert.equal(await httpStatus([...tls, "-u", `alice:${ALICE_PASSWORD}`, url]), "404", r.output());
            const expected = `Basic ${Buffer.from(`mirror-bot:${PROXY_PASSWORD}`).toString("base64")}`;
            assert.ok(seenAuth.includes(expected), `upstream saw ${JSON.stringify(seenAuth)}\n${r.output()}`);
            await stopRegistry(r);
        } finally {
            await new Promise<void>((resolve) => upstream.close(() => resolve()));
        }
    });
});
