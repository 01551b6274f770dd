import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { inventory, onHost } from "../support/lab";
import { writeOciImage } from "../support/oci";
import { exampleProject, setObjectConfig, timedPulumi } from "../support/pulumi";

const STORAGE = "/opt/data/registry";
const GC_FILES = ["/usr/local/sbin/pulumi-onprem-registry-gc", "/etc/docker/registry/config-readonly.yml", "/var/lib/pulumi-onprem/registry-gc.trigger"];

function skopeo(args: string[]): { code: number; out: string } {
    const r = spawnSync("skopeo", ["--insecure-policy", ...args], { encoding: "utf8", timeout: 60_000 });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/**
 * Pushes a fresh one-request blob every 50 ms while it runs (each 201 is stored, each refusal must not
 * be), and at the first refusal a whole image with skopeo, as a client would. Runs in a shell of its own
 * so that `pulumi up`, run synchronously, cannot stall it.
 */
function pushWhileCollecting(base: string, image: { dir: string; tag: string }, work: string): { stop(): Promise<{ attempts: { n: number; code: string; digest: string }[]; skopeo: string }> } {
    const out = path.join(work, "skopeo.out");
    const script = [
        "n=0",
        "while :; do",
        "  n=$((n+1)); body=\"probe $n $EPOCHREALTIME\"; digest=sha256:$(printf '%s' \"$body\" | sha256sum | cut -d' ' -f1)",
        `  code=$(printf '%s' "$body" | curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/octet-stream' --data-binary @- "${base}/v2/probe/blobs/uploads/?digest=$digest")`,
        "  echo \"$n $code $digest\"",
        `  if [ "$code" = 405 ] && [ ! -e ${out} ]; then skopeo --insecure-policy copy --dest-tls-verify=false oci:${image.dir}:${image.tag} docker://${base.replace("http://", "")}/refused:${image.tag} > ${out}.tmp 2>&1; mv ${out}.tmp ${out}; fi`,
        "  sleep 0.05",
        "done",
    ].join("\n");
    const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    return {
        async stop() {
            child.kill();
            await new Promise((r) => child.once("exit", r));
            const attempts = text.trim().split("\n").filter((l) => l.split(" ").length === 3).map((l) => {
                const [n, code, digest] = l.split(" ");
                return { n: Number(n), code, digest };
            });
            return { attempts, skopeo: fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "" };
        },
    };
}

test("DockerRegistry garbage collection through the real CLI: a deleted tag's space freed by a run from `pulumi up`, read-only meanwhile, the kept image pulls; destroy removes the job", async (t) => {
    const [reg] = inventory().hosts;
    const base = `http://${reg.address}:5000`;
    onHost(reg, `systemctl stop docker-registry; rm -rf ${STORAGE} /var/log/pulumi-onprem-registry-gc.log`, { allowFail: true });
    const debianConfig = onHost(reg, "sha256sum /etc/docker/registry/config.yml");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-registry-gc-"));
    const project = exampleProject("private-registry");
    t.after(() => fs.rmSync(work, { recursive: true, force: true }));
    t.after(() => fs.rmSync(project.dir, { recursive: true, force: true }));
    const pulumi = timedPulumi(t, project);
    const up = () => pulumi(["up", "--yes", "--skip-preview"]);
    const upUnchanged = () => pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    setObjectConfig(project, { registry: reg, insecure: true, deleteEnabled: true, garbageCollection: { schedule: "none" } });

    up();
    upUnchanged();
    // Two tags of one repository, each with a layer of its own; one deleted through the API.
    const kept = writeOciImage(path.join(work, "kept"), "1.0", "kept layer\n".repeat(20_000));
    const gone = writeOciImage(path.join(work, "gone"), "2.0", "deleted layer\n".repeat(20_000));
    for (const image of [kept, gone]) {
        const push = skopeo(["copy", "--dest-tls-verify=false", `oci:${image.dir}:${image.tag}`, `docker://${reg.address}:5000/app:${image.tag}`]);
        assert.equal(push.code, 0, push.out);
    }
    const head = await fetch(`${base}/v2/app/manifests/2.0`, { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
    const digest = head.headers.get("docker-content-digest")!;
    assert.equal((await fetch(`${base}/v2/app/manifests/${digest}`, { method: "DELETE" })).status, 202, "the tag is deleted through the API");
    const blobStatus = async (repo: string, d: string) => (await fetch(`${base}/v2/${repo}/blobs/${d}`, { method: "HEAD" })).status;
    assert.equal(await blobStatus("app", gone.layerDigest), 200, "a deleted tag frees nothing by itself");
    const bytes = () => Number(onHost(reg, `du -sb ${STORAGE} | cut -f1`).trim());
    const before = bytes();

    // Run it once from the program: the trigger changes, `pulumi up` runs the job.
    const pusher = pushWhileCollecting(base, kept, work);
    await new Promise((r) => setTimeout(r, 500));
    setObjectConfig(project, { garbageCollection: { schedule: "none", trigger: "gc-1" } });
    const run = up().out;
    await new Promise((r) => setTimeout(r, 1000));
    const { attempts, skopeo: refusedPush } = await pusher.stop();
    const after = bytes();

    const codes = attempts.map((a) => a.code);
    const firstRefused = codes.indexOf("405");
    t.diagnostic(`pushes during the run: ${codes.filter((c) => c === "201").length} stored, ${codes.filter((c) => c === "405").length} refused (read-only), ${codes.filter((c) => c !== "201" && c !== "405").length} unanswered (restarts)`);
    assert.ok(codes.slice(0, 3).every((c) => c === "201"), `pushes before the run are stored: ${codes.join(" ")}`);
    assert.ok(firstRefused > 0, `a push during the collection is refused: ${codes.join(" ")}`);
    assert.equal(codes[codes.length - 1], "201", `pushes after the run are stored again: ${codes.join(" ")}`);
    assert.match(refusedPush, /405|not allowed|unsupported/i, `skopeo's push during the window fails clearly:\n${refusedPush}`);
    for (const a of attempts.filter((x) => x.code === "405")) assert.equal(await blobStatus("probe", a.digest), 404, `refused blob ${a.n} was not stored`);
    assert.equal((await fetch(`${base}/v2/refused/tags/list`)).status, 404, "the refused image left no repository behind");

    assert.equal(await blobStatus("app", gone.layerDigest), 404, "the deleted tag's layer is gone");
    assert.ok(after < before - 100_000, `space freed: ${before} -> ${after} bytes`);
    const line = onHost(reg, "grep 'bytes before' /var/log/pulumi-onprem-registry-gc.log | tail -1");
    assert.match(line, /registry garbage collection of \/opt\/data\/registry: \d+ bytes before, \d+ after, \d+ freed/);
    assert.ok(run.includes("registry garbage collection run"), "the run shows in the update");
    const pulled = path.join(work, "pulled");
    const pull = skopeo(["copy", "--src-tls-verify=false", `docker://${reg.address}:5000/app:1.0`, `oci:${pulled}:1.0`]);
    assert.equal(pull.code, 0, `the kept image still pulls:\n${pull.out}`);
    t.diagnostic(`storage ${before} -> ${after} bytes; ${line.trim()}`);
    upUnchanged();

    pulumi(["destroy", "--yes", "--skip-preview"]);
    for (const f of GC_FILES) assert.equal(onHost(reg, `test -e ${f} && echo yes || echo no`).trim(), "no", `${f} is gone`);
    assert.equal(onHost(reg, "sha256sum /etc/docker/registry/config.yml"), debianConfig, "Debian's config is back");
    assert.equal(onHost(reg, `test -d ${STORAGE}/docker && echo kept`).trim(), "kept", "the images are kept");
});
