/**
 * DockerRegistry's host work: what the registry host and each client get (files, services, states,
 * checks), the container's config digest, and the only-if-running service rule.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { ServiceWork } from "../../provider/host/changes";
import { renderRestoreScript } from "../../provider/host/restore";
import { renderActivateScript } from "../../provider/host/steps/activate";
import { DAEMON_JSON_PATH, DAEMON_JSON_VALIDATOR } from "../../provider/render/docker/daemonJson";
import type { DockerRegistryInput } from "../../provider/plan/registry/args";
import { parsed } from "../support/registryCases";
import { configDigest, REGISTRY_RESTART_DROPIN_PATH, registryClientWork, registryHostWork } from "../../provider/work/dockerRegistry";
import { renderRestartDropIn } from "../../provider/render/systemd/restartDropIn";

const tls: DockerRegistryInput = {
    runtime: "native",
    address: "10.0.0.13",
    hostnames: ["registry.lab"],
    tls: { mode: "generated" },
    users: [{ name: "alice", password: "********" }],
    clients: [{ name: "app1", dockerConfig: "daemon-json" }],
};
const plain: DockerRegistryInput = { runtime: "native", address: "10.0.0.13", tls: { mode: "off", insecure: true }, clients: [{ name: "app1", dockerConfig: "daemon-json" }] };
const material = { certificate: "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n", caCertificate: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n" };
const sh = (script: string) => spawnSync("sh", ["-n", "-c", script]).status;

describe("registry host", () => {
    test("native: package, restart on change of its own files, back after a crash, storage owned by the service user and kept, /v2/ answering 401 by name with the CA", () => {
        const work = registryHostWork(parsed(tls), material, "d");
        const own = ["/etc/docker/registry/ca.crt", "/etc/docker/registry/config.yml", "/etc/docker/registry/htpasswd", "/etc/docker/registry/registry.crt", "/etc/docker/registry/registry.key"];
        assert.deepEqual(work.files.map((f) => f.path), [...own, "/etc/systemd/system/docker-registry.service.d/pulumi-onprem-restart.conf"]);
        assert.deepEqual(work.files.at(-1), { path: REGISTRY_RESTART_DROPIN_PATH, content: renderRestartDropIn(), mode: "0644", owner: "root", group: "root" });
        assert.deepEqual(work.packages.map((p) => p.name), ["docker-registry", "curl"]);
        // A new or changed drop-in needs only systemd's daemon-reload after the swap: it restarts no registry.
        assert.deepEqual(work.services, [{ name: "docker-registry", onChange: "restart", watch: own, state: "running", enabled: true }]);
        const [storage] = work.states;
        assert.equal(storage.expected, "docker-registry");
        assert.match(storage.apply, /mkdir -p \/opt\/data\/registry/);
        assert.equal(storage.remove, "true", "images are kept by default");
        const [health] = work.verifiers;
        assert.match(health.command, /--cacert \/etc\/docker\/registry\/ca.crt --connect-to ::10\.0\.0\.13:5000 https:\/\/registry\.lab:5000\/v2\//);
        assert.match(health.command, /= 401 \]/);
        for (const c of [storage.read, storage.apply, storage.remove, health.command]) assert.equal(sh(c), 0, c);
    });

    test("retainDataOnDelete false removes only a directory this resource created", () => {
        const [storage] = registryHostWork(parsed({ ...tls, retainDataOnDelete: false, storagePath: "/srv/images" }), material, "d").states;
        assert.equal(storage.remove, "if [ -e /srv/images/.pulumi-onprem-created ]; then rm -rf /srv/images; fi");
    });

    test("container: the seed's docker run, storage as a volume, run again when the config digest changes", () => {
        const work = registryHostWork(parsed({ ...tls, runtime: "container", image: "registry:2.8" }), material, "abc123");
        assert.deepEqual(work.services, []);
        assert.ok(!work.files.some((f) => f.path === REGISTRY_RESTART_DROPIN_PATH), "no unit to drop into: dockerd restarts the container (--restart=always)");
        const container = work.states.find((s) => s.name.startsWith("registry container "))!;
        assert.match(container.apply, /docker run -d --name pulumi-onprem-registry --restart=always --label pulumi-onprem\.config=abc123 -p 10\.0\.0\.13:5000:5000 -v \/opt\/data\/registry:\/var\/lib\/registry -v \/etc\/docker\/registry:\/etc\/docker\/registry:ro registry:2\.8/);
        assert.equal(container.expected, "registry:2.8 always abc123 true");
        assert.equal(work.states[0].expected, "root");
        assert.equal(sh(container.read), 0);
    });

    test("the config digest changes with a secret, and without the key says nothing about it", () => {
        const files = registryHostWork(parsed(tls), material, "").files;
        const key = "k".repeat(64);
        const a = configDigest(files, { registry_proxy_password: "hunter2" }, key);
        assert.match(a, /^[0-9a-f]{32}$/);
        assert.equal(configDigest(files, { registry_proxy_password: "hunter2" }, key), a, "stable while nothing changes");
        assert.notEqual(configDigest(files, { registry_proxy_password: "hunter3" }, key), a, "a new password runs the container again");
        // The old digest was an unkeyed SHA-256 of this text: a guessed password could be checked against it.
        const text = JSON.stringify({ files: files.map((f) => [f.path, f.content]), secrets: [["registry_proxy_password", "hunter2"]] });
        assert.notEqual(createHash("sha256").update(text).digest("hex").slice(0, 32), a);
        assert.notEqual(configDigest(files, { registry_proxy_password: "hunter2" }, "j".repeat(64)), a, "another key, another digest");
    });
});

describe("registry clients", () => {
    test("with TLS: the CA for every name, no daemon.json", () => {
        const work = registryClientWork(parsed(tls), parsed(tls).clients[0], material.caCertificate);
        assert.deepEqual(work.files.map((f) => f.path), ["/etc/docker/certs.d/10.0.0.13:5000/ca.crt", "/etc/docker/certs.d/registry.lab:5000/ca.crt"]);
        assert.deepEqual(work.services, []);
    });

    test("TLS off: insecure-registries merged as an owned key, dockerd validated and reloaded only if it runs", () => {
        const work = registryClientWork(parsed(plain), parsed(plain).clients[0], undefined);
        assert.deepEqual(work.files, [{ path: DAEMON_JSON_PATH, content: '{\n  "insecure-registries": [\n    "10.0.0.13:5000"\n  ]\n}\n', merge: "json-keys", mode: "0644" }]);
        assert.deepEqual(work.services, [{ name: "docker", onChange: "reload", onlyIfRunning: true, watch: [DAEMON_JSON_PATH] }]);
        assert.equal(work.validators[0], DAEMON_JSON_VALIDATOR, "the one daemon.json validator");
    });

    test("certs-only: nothing in daemon.json", () => {
        assert.deepEqual(registryClientWork(parsed(tls), { name: "app1", dockerConfig: "certs-only" }, material.caCertificate).services, []);
    });
});

test("onlyIfRunning: reloads a running daemon, never starts, stops or disables it", () => {
    const service = { name: "docker", onChange: "reload" as const, onlyIfRunning: true };
    const work: ServiceWork[] = [{ service, trigger: true, start: false, stop: false, enable: false }];
    const activate = renderActivateScript(work);
    assert.match(activate, /if systemctl is-active -q docker; then systemctl reload docker; fi/);
    assert.doesNotMatch(activate, /start docker/);
    const restore = renderRestoreScript("/var/lib/pulumi-onprem/k", [DAEMON_JSON_PATH], [service]);
    assert.doesNotMatch(restore, /systemctl (stop|disable|restart) docker/);
    assert.match(restore, /systemctl reload docker/);
    assert.equal(sh(activate), 0);
    assert.equal(sh(restore), 0);
});
