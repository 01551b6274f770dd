/**
 * DockerRegistry rendering: config.yml goldens (one case per file under test/golden/registry/), the
 * clients' daemon.json keys as the engine merges them, the registry host's files and secrets, and the
 * names clients use.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { isOnpremError } from "../../provider/contract/errors";
import { FILE_MERGERS } from "../../provider/contract/mergers";
import { fillSecrets, referencedSecrets } from "../../provider/contract/secrets";
import {
    CONTAINER_STORAGE_PATH,
    REGISTRY_CERT_PATH,
    REGISTRY_HTPASSWD_PATH,
    REGISTRY_KEY_PATH,
    REGISTRY_SECRET_HTPASSWD,
    REGISTRY_SECRET_PROXY_PASSWORD,
    REGISTRY_SECRET_TLS_KEY,
} from "../../provider/plan/registry/model";
import { clientDaemonEntries, registryHostPorts, registryPaths, registryUrl } from "../../provider/plan/registry/plan";
import type { DockerRegistryInput } from "../../provider/plan/registry/args";
import { renderClientDaemonJson } from "../../provider/render/registry/clientDaemonJson";
import { renderRegistryConfig } from "../../provider/render/registry/configYml";
import { MANAGED_HEADER } from "../../provider/render/managedHeader";
import { clientCaFiles, registryFiles, registrySecrets } from "../../provider/work/dockerRegistry";
import { expectGolden } from "../support/golden";
import {
    ALICE_PASSWORD,
    BOB_PASSWORD,
    goldenCases,
    goldenPath,
    nativeTls,
    parsed,
    PROXY_PASSWORD,
    proxyCache,
    REGISTRY_GOLDEN_DIR as GOLDEN_DIR,
    registryIssues,
    tlsOff,
} from "../support/registryCases";

/** What the host's daemon.json becomes: the client's keys merged by the engine's "json-keys" merger. */
const mergedDaemonJson = (current: string | undefined, spec: DockerRegistryInput) =>
    FILE_MERGERS["json-keys"].merge(current, renderClientDaemonJson(clientDaemonEntries(parsed(spec), parsed(spec).clients[0]))!, [], "/etc/docker/daemon.json");
/** A daemon.json a client host had before: our keys go beside its own. */
const CLIENT_DAEMON_JSON = `{
  "log-driver": "journald",
  "insecure-registries": ["legacy.lab:5000"],
  "bip": "172.31.0.1/24"
}
`;

describe("config.yml goldens", () => {
    for (const c of goldenCases) {
        test(`${c.name} matches its golden and is valid`, () => {
            assert.deepEqual(registryIssues(c.spec), []);
            expectGolden(GOLDEN_DIR, `${c.name}.config.yml`, renderRegistryConfig(parsed(c.spec)));
        });
    }

    test("tls-off-insecure client daemon.json keeps the host's other keys; the registry owns insecure-registries", () => {
        expectGolden(GOLDEN_DIR, "tls-off-insecure.client-daemon.json", mergedDaemonJson(CLIENT_DAEMON_JSON, tlsOff));
    });

    test("proxy-cache client daemon.json gets the mirror", () => {
        expectGolden(GOLDEN_DIR, "proxy-cache.client-daemon.json", mergedDaemonJson(undefined, proxyCache));
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
    assert.deepEqual(registryPaths(parsed(proxyCache)), {
        storage: CONTAINER_STORAGE_PATH,
        htpasswd: REGISTRY_HTPASSWD_PATH,
        certificate: REGISTRY_CERT_PATH,
        key: REGISTRY_KEY_PATH,
        addr: ":5000",
    });
    assert.equal(registryPaths(parsed(nativeTls)).storage, "/opt/data/registry");
    assert.equal(registryPaths(parsed(nativeTls)).addr, "10.99.0.13:5000");
    assert.equal(registryPaths(parsed({ ...tlsOff, address: "fd00::13", port: 443 })).addr, "[fd00::13]:443");
    assert.equal(registryPaths(parsed(tlsOff)).addr, ":5000");
});

test("rendering is deterministic and follows the spec, not the order users are listed in", () => {
    const reordered = { ...nativeTls, users: [...nativeTls.users!].reverse() };
    assert.equal(renderRegistryConfig(parsed(reordered)), renderRegistryConfig(parsed(nativeTls)));
    assert.equal(renderRegistryConfig(parsed(nativeTls)), renderRegistryConfig(parsed(nativeTls)));
    const noUsers = renderRegistryConfig(parsed({ ...nativeTls, users: [] }));
    assert.ok(!noUsers.includes("auth:") && !noUsers.includes("htpasswd"));
});

test("registryFiles: secrets are single placeholders, the key and htpasswd belong to the service user", () => {
    const files = registryFiles(parsed(nativeTls), { certificate: "CERT", caCertificate: "CA" });
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
    assert.deepEqual(registryFiles(parsed(tlsOff)).map((f) => f.path), ["/etc/docker/registry/config.yml"]);
    assert.throws(() => registryFiles(parsed(nativeTls)), (e) => isOnpremError(e, "Bug"));
});

test("registrySecrets: one value per placeholder the files use, nothing else", () => {
    const files = registryFiles(parsed(proxyCache), { certificate: "CERT" });
    const secrets = registrySecrets(parsed(proxyCache), { htpasswd: "alice:$2y$...\n", tlsKey: "KEY" });
    const used = [...new Set(files.flatMap((f) => referencedSecrets(f.content)))].sort();
    assert.deepEqual(Object.keys(secrets).sort(), used);
    assert.deepEqual(used, [REGISTRY_SECRET_HTPASSWD, REGISTRY_SECRET_PROXY_PASSWORD, REGISTRY_SECRET_TLS_KEY].sort());
    assert.deepEqual(registrySecrets(parsed(tlsOff), {}), {});
    assert.throws(() => registrySecrets(parsed(nativeTls), { tlsKey: "KEY" }), (e) => isOnpremError(e, "Bug"));
});

test("the proxy password survives YAML whatever it holds", () => {
    for (const password of [PROXY_PASSWORD, "line1\nline2", "tab\there", "ünïcødé €", "#not-a-comment", "{{x}}", "\\u0041"]) {
        const spec: DockerRegistryInput = { ...proxyCache, proxy: { ...proxyCache.proxy!, password } };
        const filled = fillSecrets(renderRegistryConfig(parsed(spec)), registrySecrets(parsed(spec), { htpasswd: "x", tlsKey: "k" }));
        assert.equal((parseYaml(filled) as Record<string, any>).proxy.password, password, JSON.stringify(password));
    }
});

test("names clients use: first hostname, every host:port, URL with the right scheme", () => {
    assert.equal(registryUrl(parsed(nativeTls)), "https://registry.lab:5000");
    assert.equal(registryUrl(parsed(tlsOff)), "http://registry.lab:5000");
    assert.deepEqual(registryHostPorts(parsed(nativeTls)), ["registry.lab:5000", "10.99.0.13:5000"]);
    assert.deepEqual(registryHostPorts(parsed({ runtime: "native", address: "fd00::13", tls: { mode: "generated" } })), ["[fd00::13]:5000"]);
    // A wildcard gives no name (a generated certificate would need one: plain HTTP takes it).
    assert.deepEqual(registryHostPorts(parsed({ runtime: "native", address: "0.0.0.0", tls: { mode: "off", insecure: true } })), []);
});

test("names without a registry name: no URL, and the health check asks the listen address", () => {
    const unnamed: DockerRegistryInput = { runtime: "native", tls: { mode: "off", insecure: true } };
    assert.deepEqual(registryIssues(unnamed), []);
    assert.equal(registryUrl(parsed(unnamed)), "");
    assert.deepEqual(registryHostPorts(parsed({ ...unnamed, address: "fd00:0::13", hostnames: ["fd00::13"] })), ["[fd00::13]:5000"], "one name per address, however written");
});

test("clientCaFiles: the CA under certs.d for every name; nothing without a CA", () => {
    const files = clientCaFiles("CA", registryHostPorts(parsed(nativeTls)));
    assert.deepEqual(
        files.map((f) => [f.path, f.content, f.mode]),
        [
            ["/etc/docker/certs.d/10.99.0.13:5000/ca.crt", "CA\n", "0644"],
            ["/etc/docker/certs.d/registry.lab:5000/ca.crt", "CA\n", "0644"],
        ],
    );
    assert.deepEqual(clientCaFiles(undefined, ["registry.lab:5000"]), []);
    assert.throws(() => clientCaFiles("CA", ["../../etc:5000"]), (e) => isOnpremError(e, "Bug"));
});

describe("client daemon.json keys", () => {
    test("certs-only clients own nothing in daemon.json", () => {
        const entries = clientDaemonEntries(parsed(nativeTls), parsed(nativeTls).clients[0]);
        assert.deepEqual(entries, { "insecure-registries": [], "registry-mirrors": [] });
        assert.equal(renderClientDaemonJson(entries), undefined);
    });

    test("TLS on, no proxy: a daemon-json client needs no keys either", () => {
        assert.equal(renderClientDaemonJson(clientDaemonEntries(parsed(nativeTls), { name: "c", dockerConfig: "daemon-json" })), undefined);
    });

    test("a mirror only for a Docker Hub cache: dockerd uses registry-mirrors for Docker Hub only", () => {
        const ghcr: DockerRegistryInput = { ...proxyCache, proxy: { remoteUrl: "https://ghcr.io" } };
        assert.deepEqual(clientDaemonEntries(parsed(ghcr), parsed(ghcr).clients[0])["registry-mirrors"], []);
        assert.deepEqual(clientDaemonEntries(parsed(proxyCache), parsed(proxyCache).clients[0])["registry-mirrors"], ["https://mirror.lab:5001"]);
    });

    test("merging twice changes nothing; releasing the keys gives the host's file back", () => {
        const desired = renderClientDaemonJson(clientDaemonEntries(parsed(tlsOff), parsed(tlsOff).clients[0]))!;
        const merger = FILE_MERGERS["json-keys"];
        const fresh = '{\n  "debug": true\n}\n';
        const once = merger.merge(fresh, desired, [], "/etc/docker/daemon.json");
        assert.equal(merger.merge(once, desired, [], "/etc/docker/daemon.json"), once);
        assert.deepEqual(JSON.parse(merger.merge(once, merger.empty, merger.parts(desired), "/etc/docker/daemon.json")), { debug: true });
    });
});
