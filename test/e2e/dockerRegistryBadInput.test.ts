import { strict as assert } from "node:assert";
import { test } from "node:test";
import { BadInputCase, expectPreviewRefusals, previewProject } from "../support/badInput";
import { KEY } from "../support/badCorpus";
import { setObjectConfig } from "../support/pulumi";

const PASSWORDS = { alice: "alice-secret-1", bob: "bob-secret-2" };
/** Not a key: a secret that must never be quoted back. */
const BAD_KEY = "this-is-not-a-pem-key-but-a-secret";
const connection = { host: "10.0.0.11", privateKey: KEY /* parses, reaches nothing */ };
type Args = Record<string, unknown> & { users?: { name: string }[] };
const good = (): Args => ({
    connection,
    address: "10.0.0.11",
    users: [{ name: "alice" }, { name: "bob" }],
    clients: [{ name: "c1", connection: { ...connection, host: "10.0.0.12" } }],
});

const cases: BadInputCase<Args>[] = [
    ["port out of range", (a) => (a.port = 70000), /`port`: 70000 is outside 1-65535/],
    ["user name with ':'", (a) => (a.users![0].name = "al:ice"), /`users\[0\]\.name`: "al:ice" holds ":"/],
    ["empty password", (a) => (a.users![1].name = "carol"), /`users\[1\]\.password`: is empty/],
    ["proxy URL not a URL", (a) => (a.proxy = { remoteUrl: "not a url" }), /`proxy\.remoteUrl`: "not a url" is not a URL/],
    ["TLS off with users", (a) => (a.tls = { mode: "off", insecure: true }), /`users`: need TLS/],
    ["TLS off not acknowledged", (a) => { a.tls = { mode: "off" }; delete a.users; }, /`tls\.insecure`: must be true/],
    ["address not an IP", (a) => (a.address = "10.0.0.300"), /`address`: "10\.0\.0\.300" is not a bare IP address/],
    ["no name for the certificate", (a) => { delete a.address; delete a.clients; }, /`hostnames`: is empty and `address` is unset/],
    ["provided key not PEM", (a) => (a.tls = { mode: "provided", certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key: BAD_KEY }), /`tls\.key`: is not one PEM private key/],
    ["two clients with one name", (a) => { a.clients = [{ name: "c1", connection }, { name: "c1", connection }]; }, /`clients\[1\]\.name`: "c1" is already clients\[0\]/],
    ["certs-only client without TLS", (a) => { a.tls = { mode: "off", insecure: true }; delete a.users; a.clients = [{ name: "c1", connection, dockerConfig: "certs-only" }]; }, /`clients\[0\]\.dockerConfig`: is "certs-only" but TLS is off/],
];

test("DockerRegistry bad input fails at `pulumi preview`, naming the field, with no SSH connection", async (t) => {
    const { project, dials } = previewProject(t, "test/e2e/programs/registry-args");
    project.pulumi(["config", "set", "--secret", "passwords", JSON.stringify(PASSWORDS)]);

    setObjectConfig(project, { registry: good() });
    const clean = project.pulumi(["preview"]);
    assert.equal(clean.code, 0, "the unbroken input previews cleanly");
    assert.doesNotMatch(clean.out, /TLS is off/);

    expectPreviewRefusals(t, project, { label: "DockerRegistry r", good, config: (registry) => ({ registry }), cases, secrets: [...Object.values(PASSWORDS), BAD_KEY] });

    // Plain HTTP without users is allowed, with a warning at preview.
    const insecure = good();
    insecure.tls = { mode: "off", insecure: true };
    delete insecure.users;
    setObjectConfig(project, { registry: insecure });
    const warned = project.pulumi(["preview"]);
    assert.match(warned.out, /warning: DockerRegistry r: TLS is off/);

    assert.deepEqual(dials(), [], "no provider process dialled anything");
});
