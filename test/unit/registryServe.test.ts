/**
 * Where docker-registry and curl are installed, the config.yml goldens are served by the real registry
 * on 127.0.0.1 (distribution 2.8 has no config check command) and probed with curl: loopback only,
 * bounded, every process stopped by its PID.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { fillSecrets } from "../../provider/contract/secrets";
import { htpasswdFile } from "../../provider/derive/htpasswd";
import { CertificateAndKey, generateCa, issueServerCert } from "../../provider/derive/tls";
import type { DockerRegistryInput } from "../../provider/plan/registry/args";
import { REGISTRY_CERT_PATH, REGISTRY_HTPASSWD_PATH, REGISTRY_KEY_PATH } from "../../provider/plan/registry/model";
import { registryPaths } from "../../provider/plan/registry/plan";
import { registryFiles, registrySecrets } from "../../provider/work/dockerRegistry";
import { has } from "../support/tools";
import { ALICE_PASSWORD, BOB_PASSWORD, goldenPath, nativeTls, parsed, PROXY_PASSWORD, proxyCache, tlsOff } from "../support/registryCases";

const execFileAsync = promisify(execFile);

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
    spec: DockerRegistryInput,
    dir: string,
    port: number,
    material: { secrets: Record<string, string>; certificate?: string },
    swaps: [string, string][] = [],
): string {
    const { secrets } = material;
    let text = fs.readFileSync(goldenPath(`${name}.config.yml`), "utf8");
    const paths = registryPaths(parsed(spec));
    const storage = path.join(dir, "storage");
    fs.mkdirSync(storage, { recursive: true });
    const replace = (from: string, to: string) => {
        assert.ok(text.includes(from), `${name}: golden has no ${from}`);
        text = text.split(from).join(to);
    };
    replace(`rootdirectory: ${paths.storage}\n`, `rootdirectory: ${storage}\n`);
    replace(`addr: ${paths.addr}\n`, `addr: 127.0.0.1:${port}\n`);
    if (spec.tls?.mode !== "off") {
        replace(`certificate: ${REGISTRY_CERT_PATH}\n`, `certificate: ${path.join(dir, "registry.crt")}\n`);
        replace(`key: ${REGISTRY_KEY_PATH}\n`, `key: ${path.join(dir, "registry.key")}\n`);
    }
    if ((spec.users ?? []).length > 0) replace(`path: ${REGISTRY_HTPASSWD_PATH}\n`, `path: ${path.join(dir, "htpasswd")}\n`);
    for (const [from, to] of swaps) replace(from, to);
    // The secret files are what registryFiles writes, filled in the same way.
    for (const file of registryFiles(parsed(spec), material.certificate === undefined ? undefined : { certificate: material.certificate })) {
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

    const tlsMaterial = (spec: DockerRegistryInput, htpasswd?: string) => ({
        secrets: registrySecrets(parsed(spec), { htpasswd, tlsKey: server.privateKey }),
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
        const config = fillGolden("tls-off-insecure", tlsOff, dir, port, { secrets: registrySecrets(parsed(tlsOff), {}) });
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

