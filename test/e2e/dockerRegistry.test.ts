import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { inventory, LabHost, onHost } from "../support/lab";
import { firstLayer, writeOciImage } from "../support/oci";
import { destroyAfter, exampleProject, setObjectConfig } from "../support/pulumi";

const PASSWORDS = { alice: "alice-Pw-7f3k", bob: "bob-Pw-q82m", carol: "carol-Pw-x1v9" };
const STORAGE = "/opt/data/registry";
const DAEMON_JSON = "/etc/docker/daemon.json";
/** The client's own daemon.json, from before pulumi-onprem. */
const CLIENT_DAEMON_JSON = '{\n  "log-level": "warn",\n  "max-concurrent-downloads": 3\n}\n';

function skopeo(args: string[]): { code: number; out: string } {
    const r = spawnSync("skopeo", ["--insecure-policy", ...args], { encoding: "utf8", timeout: 60_000 });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

const seconds = (since: bigint) => (Number(process.hrtime.bigint() - since) / 1e9).toFixed(1);
const registryPid = (h: LabHost) => onHost(h, "cat /run/docker-registry.pid 2>/dev/null || true").trim();
const sums = (h: LabHost, paths: string[]) => onHost(h, `sha256sum ${paths.join(" ")} 2>&1 || true`);

test("DockerRegistry through the real CLI: TLS and users, push and pull with skopeo, a user added, stable reruns, a client's CA, destroy keeps the images", async (t) => {
    const [reg, client, plain] = inventory().hosts;
    const hostPort = `${reg.address}:5000`;
    const caOnClient = `/etc/docker/certs.d/${hostPort}/ca.crt`;
    onHost(reg, `systemctl stop docker-registry; rm -rf ${STORAGE}`, { allowFail: true });
    onHost(client, `rm -rf /etc/docker/certs.d; mkdir -p /etc/docker && printf '%s' '${CLIENT_DAEMON_JSON}' > ${DAEMON_JSON}`);
    const debianConfig = sums(reg, ["/etc/docker/registry/config.yml"]);

    const work = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-registry-"));
    const project = exampleProject("private-registry");
    destroyAfter(t, project);
    t.after(() => fs.rmSync(work, { recursive: true, force: true }));
    const outputs: string[] = [];
    const run = (args: string[], opts?: { allowFail?: boolean }) => {
        const started = process.hrtime.bigint();
        const r = project.pulumi(args, opts);
        t.diagnostic(`pulumi ${args[0]}: ${seconds(started)} s`);
        outputs.push(r.out);
        return r;
    };
    setObjectConfig(project, { registry: reg, clients: [client], userNames: ["alice", "bob"] });
    project.pulumi(["config", "set", "--secret", "passwords", JSON.stringify({ alice: PASSWORDS.alice, bob: PASSWORDS.bob })]);

    const preview = run(["preview", "--diff"]).out;
    assert.match(preview, /\/etc\/docker\/registry\/config\.yml/, "the preview shows the registry's files");
    assert.match(preview, /\{\{secret:registry_tls_key\}\}/, "the key as a placeholder");
    assert.match(preview, /BEGIN CERTIFICATE/, "the certificate is known at preview (derived in check)");

    run(["up", "--yes", "--skip-preview"]);
    assert.equal(onHost(reg, "systemctl is-active docker-registry").trim(), "active");
    const ca = onHost(client, `cat ${caOnClient}`);
    assert.equal(ca, JSON.parse(run(["stack", "output", "caCertificate", "--json"]).out), "the client holds the CA the stack outputs");
    assert.equal(onHost(client, `cat ${DAEMON_JSON}`), CLIENT_DAEMON_JSON, "with TLS the client's own daemon.json is left as it was");
    assert.equal(run(["stack", "output", "url"]).out.trim(), `https://${hostPort}`);
    const files = JSON.parse(run(["stack", "output", "files", "--json"]).out) as Record<string, Record<string, string>>;
    assert.match(files.registry["/etc/docker/registry/config.yml"], /rootdirectory: \/opt\/data\/registry/, "`files` shows the registry's config.yml");
    assert.equal(files.registry["/etc/docker/registry/registry.key"], "{{secret:registry_tls_key}}", "secrets as placeholders in `files`");
    assert.equal(files[`client-${client.name}`][caOnClient], ca, "`files` shows the client's CA file");

    // skopeo on this machine, to the lab address, trusting only the CA copied from the client host.
    const certDir = path.join(work, "certs");
    fs.mkdirSync(certDir);
    fs.writeFileSync(path.join(certDir, "ca.crt"), ca);
    const image = writeOciImage(path.join(work, "oci"), "1.0", "hello from pulumi-onprem\n");
    const ref = `docker://${hostPort}/lab/tiny:1.0`;
    const anonymous = skopeo(["copy", "--dest-cert-dir", certDir, `oci:${image.dir}:1.0`, ref]);
    assert.notEqual(anonymous.code, 0, "a push without credentials is refused");
    assert.match(anonymous.out, /unauthorized|authentication required|401/i, anonymous.out);
    const untrusted = skopeo(["copy", "--dest-creds", `alice:${PASSWORDS.alice}`, `oci:${image.dir}:1.0`, ref]);
    assert.notEqual(untrusted.code, 0, "without the registry's CA the handshake fails");
    assert.match(untrusted.out, /certificate|x509/i, untrusted.out);
    const wrongPassword = skopeo(["copy", "--dest-cert-dir", certDir, "--dest-creds", "alice:wrong", `oci:${image.dir}:1.0`, ref]);
    assert.notEqual(wrongPassword.code, 0, "a wrong password is refused");

    let started = process.hrtime.bigint();
    const push = skopeo(["copy", "--dest-cert-dir", certDir, "--dest-creds", `alice:${PASSWORDS.alice}`, `oci:${image.dir}:1.0`, ref]);
    assert.equal(push.code, 0, push.out);
    t.diagnostic(`skopeo push: ${seconds(started)} s`);
    started = process.hrtime.bigint();
    const pulled = path.join(work, "pulled");
    const pull = skopeo(["copy", "--src-cert-dir", certDir, "--src-creds", `bob:${PASSWORDS.bob}`, ref, `oci:${pulled}:1.0`]);
    assert.equal(pull.code, 0, pull.out);
    t.diagnostic(`skopeo pull: ${seconds(started)} s`);
    assert.ok(firstLayer(pulled, "1.0").includes("hello from pulumi-onprem\n"), "bob pulled alice's layer back");
    assert.ok(onHost(reg, `ls ${STORAGE}/docker/registry/v2/repositories/lab/tiny/_manifests/tags`).includes("1.0"), "the image is stored under the storage path");
    const inspect = (user: keyof typeof PASSWORDS) => skopeo(["inspect", "--cert-dir", certDir, "--creds", `${user}:${PASSWORDS[user]}`, ref]);

    // A third user: the htpasswd changes (the registry restarts), the stored image stays.
    setObjectConfig(project, { userNames: ["alice", "bob", "carol"] });
    project.pulumi(["config", "set", "--secret", "passwords", JSON.stringify(PASSWORDS)]);
    const keptFiles = ["/etc/docker/registry/registry.crt", "/etc/docker/registry/registry.key", "/etc/docker/registry/config.yml"];
    const before = sums(reg, keptFiles);
    const htpasswdBefore = onHost(reg, "cat /etc/docker/registry/htpasswd");
    run(["up", "--yes", "--skip-preview"]);
    assert.equal(inspect("carol").code, 0, "carol can read the image pushed before she existed");
    assert.equal(sums(reg, keptFiles), before, "adding a user keeps the certificate, key and config");
    const htpasswdAfter = onHost(reg, "cat /etc/docker/registry/htpasswd");
    for (const line of htpasswdBefore.split("\n").filter((l) => /^(alice|bob):/.test(l))) assert.ok(htpasswdAfter.includes(line), "existing users keep their hash lines");

    // Nothing changed: no diff, and an up touches nothing (no new certificate, no new hashes, no restart).
    const stable = ["/etc/docker/registry/htpasswd", ...keptFiles];
    const pid = registryPid(reg);
    const beforeRerun = sums(reg, stable);
    run(["preview", "--expect-no-changes"]);
    const rerun = run(["up", "--yes", "--expect-no-changes"]).out;
    assert.doesNotMatch(rerun, /updated|created|replaced/, rerun);
    run(["refresh", "--yes", "--expect-no-changes"]);
    assert.equal(sums(reg, stable), beforeRerun, "the files did not change");
    assert.equal(registryPid(reg), pid, "the registry was not restarted");

    // Secrets never in plain text: not the passwords, the key or the hashes.
    const key = onHost(reg, "cat /etc/docker/registry/registry.key").split("\n")[2];
    const hash = htpasswdAfter.split("\n").find((l) => l.startsWith("alice:"))!.slice("alice:".length);
    const state = project.pulumi(["stack", "export"]).out;
    const secrets = { ...PASSWORDS, "TLS key": key, "alice's hash": hash };
    for (const [i, out] of [...outputs, state].entries()) {
        for (const [what, secret] of Object.entries(secrets)) assert.ok(!out.includes(secret), `${what} in ${i === outputs.length ? "the state" : `CLI output ${i}`}`);
    }

    run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(onHost(reg, "systemctl is-active docker-registry", { allowFail: true }).trim(), "inactive", "the registry is stopped");
    assert.ok(onHost(reg, `ls ${STORAGE}/docker/registry/v2/repositories/lab/tiny/_manifests/tags`).includes("1.0"), "the images stay on disk");
    assert.equal(sums(reg, ["/etc/docker/registry/config.yml"]), debianConfig, "the package's own config.yml is back");
    assert.equal(onHost(reg, "ls /etc/docker/registry").trim(), "config.yml", "the files pulumi-onprem added are gone");
    assert.equal(onHost(client, `test -e ${caOnClient} && echo yes || echo no`).trim(), "no", "the client's CA file is gone");
    assert.equal(onHost(client, `cat ${DAEMON_JSON}`), CLIENT_DAEMON_JSON, "the client's daemon.json is as it was");

    // A second stack: a plain-HTTP registry for the same client. Its key goes into daemon.json beside the client's own.
    onHost(plain, `systemctl stop docker-registry; rm -rf ${STORAGE}`, { allowFail: true });
    project.pulumi(["stack", "init", "plain"]);
    setObjectConfig(project, { registry: plain, clients: [client], insecure: true });
    const up = run(["up", "--yes"]).out;
    assert.match(up, /warning: DockerRegistry registry: TLS is off/, "plain HTTP is warned about at preview");
    const merged = JSON.parse(onHost(client, `cat ${DAEMON_JSON}`));
    assert.deepEqual(merged, { ...JSON.parse(CLIENT_DAEMON_JSON), "insecure-registries": [`${plain.address}:5000`] }, "our key beside the client's own");
    const answer = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", `http://${plain.address}:5000/v2/`], { encoding: "utf8" });
    assert.equal(answer.stdout, "200", "without users the registry answers /v2/ to anyone");
    run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(onHost(client, `cat ${DAEMON_JSON}`), CLIENT_DAEMON_JSON, "destroy takes our key out again");
});
