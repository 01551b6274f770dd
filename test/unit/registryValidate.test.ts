/**
 * DockerRegistry's validation table: each broken rule gives one issue naming the field, and no message
 * quotes a secret.
 */
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import type { DockerRegistryInput } from "../../provider/plan/registry/args";
import { isImageReference } from "../../provider/plan/registry/validate";
import { registryIssues } from "../support/registryCases";

const base = (): DockerRegistryInput => ({
    runtime: "native",
    hostnames: ["registry.lab"],
    tls: { mode: "generated" },
    users: [{ name: "alice", password: "s3cret-pw" }],
    clients: [{ name: "client1", dockerConfig: "certs-only" }],
});

// Provided certificates and keys are checked with real ones in registryTlsInput.test.ts.
test("the base spec of the bad-input table is valid, and so is an IPv6 listener", () => {
    assert.deepEqual(registryIssues(base()), []);
    assert.deepEqual(registryIssues({ ...base(), hostnames: [], address: "fd00::13", port: 443 }), []);
});

const badInputs: { name: string; change: (s: DockerRegistryInput) => void; field: string; message: string }[] = [
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
            assert.deepEqual(registryIssues(spec), [{ field: bad.field, message: bad.message }]);
        });
    }
});

test("no validation message quotes a password", () => {
    const spec: DockerRegistryInput = {
        ...base(),
        users: [{ name: "alice", password: "x".repeat(80) }],
        proxy: { remoteUrl: "https://registry-1.docker.io", username: "bot", password: "" },
    };
    const messages = registryIssues(spec).map((i) => i.message).join("\n");
    assert.ok(!messages.includes("x".repeat(80)), messages);
    assert.equal(registryIssues(spec).length, 2);
});

test("image references: the shapes docker accepts", () => {
    for (const ok of ["registry:2", "registry", "library/registry:2.8.2", "mirror.example:5000/library/registry:2.8", "localhost/a_b/c-d:x", `registry@sha256:${"a".repeat(64)}`]) {
        assert.ok(isImageReference(ok), ok);
    }
    for (const bad of ["", "Registry:2", "registry:", "registry:2 ", ":2", "a//b", "-a:1", `registry@sha256:${"a".repeat(8)}`]) {
        assert.ok(!isImageReference(bad), bad);
    }
});

