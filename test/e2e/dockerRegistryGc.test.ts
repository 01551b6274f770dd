import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { inventory, onHost } from "../support/lab";
import { assertWindowSafe, pushWhileCollecting, skopeo, twoTagsOneDeleted } from "../support/registryPushes";
import { destroyAfter, exampleProject, setObjectConfig, timedPulumi } from "../support/pulumi";

const STORAGE = "/opt/data/registry";
const GC_FILES = ["/usr/local/sbin/pulumi-onprem-registry-gc", "/etc/docker/registry/config-readonly.yml", "/var/lib/pulumi-onprem/registry-gc.trigger"];


test("DockerRegistry garbage collection through the real CLI: a deleted tag's space freed by a run from `pulumi up`, read-only meanwhile, the kept image pulls; destroy removes the job", async (t) => {
    const [reg] = inventory().hosts;
    const base = `http://${reg.address}:5000`;
    onHost(reg, `systemctl stop docker-registry; rm -rf ${STORAGE} /var/log/pulumi-onprem-registry-gc.log ${GC_FILES.join(" ")}`, { allowFail: true });
    const configBefore = onHost(reg, "cat /etc/docker/registry/config.yml");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-registry-gc-"));
    const statsDir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-stats-"));
    const project = exampleProject("private-registry", { PULUMI_ONPREM_STATS_DIR: statsDir });
    t.after(() => fs.rmSync(statsDir, { recursive: true, force: true }));
    t.after(() => fs.rmSync(work, { recursive: true, force: true }));
    destroyAfter(t, project);
    const pulumi = timedPulumi(t, project);
    const up = () => pulumi(["up", "--yes", "--skip-preview"]);
    const upUnchanged = () => pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    setObjectConfig(project, { registry: reg, insecure: true, deleteEnabled: true, garbageCollection: { schedule: "none" } });

    up();
    upUnchanged();
    const { kept, goneLayer } = await twoTagsOneDeleted(base, work);
    const blobOnDisk = (d: string) => onHost(reg, `test -e ${STORAGE}/docker/registry/v2/blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}/data && echo yes || echo no`).trim();
    assert.equal(blobOnDisk(goneLayer), "yes", "a deleted tag frees nothing by itself");
    // The bytes of stored blobs: the concurrent pushes below add directories and tiny probe blobs, never a layer.
    const bytes = () => Number(onHost(reg, `find ${STORAGE}/docker/registry/v2/blobs -name data -type f -printf '%s\\n' | awk '{ s += $1 } END { print s + 0 }'`).trim());
    const before = bytes();

    // Run it once from the program: the trigger changes, `pulumi up` runs the job.
    const pusher = pushWhileCollecting(base, kept, work);
    await new Promise((r) => setTimeout(r, 500));
    setObjectConfig(project, { garbageCollection: { schedule: "none", trigger: "gc-1" } });
    fs.rmSync(statsDir, { recursive: true, force: true });
    const preview = pulumi(["preview", "--diff"]).out;
    assert.equal(fs.existsSync(statsDir) ? fs.readdirSync(statsDir).length : 0, 0, "the preview opened no SSH connection");
    assert.match(preview, /\+ \[\d\]: \{[^}]*expected: "gc-1"[^}]*name\s*: "registry garbage collection run"/, `the preview shows the run it will do:\n${preview}`);
    const run = up().out;
    await new Promise((r) => setTimeout(r, 1000));
    const { attempts, images } = await pusher.stop();
    const after = bytes();

    const codes = attempts.map((a) => a.code);
    t.diagnostic(await assertWindowSafe(base, kept.tag, attempts, images));
    t.diagnostic(`a refused push, as skopeo reports it: ${(images.find((i) => /405|not allowed/i.test(i.out))?.out ?? "").trim().split("\n").pop()}`);
    assert.ok(codes.slice(0, 3).every((c) => c === "201"), `pushes before the run are stored: ${codes.join(" ")}`);
    assert.equal(codes[codes.length - 1], "201", `pushes after the run are stored again: ${codes.join(" ")}`);
    const refusedImages = images.filter((i) => i.code !== 0);
    assert.ok(refusedImages.length > 0, `an image pushed during the collection is refused: ${images.length} pushes all succeeded`);
    for (const i of refusedImages) assert.match(i.out, /405|not allowed|connection refused|connection reset|EOF/i, `${i.repo}: skopeo fails clearly:\n${i.out}`);

    assert.equal(blobOnDisk(goneLayer), "no", "the deleted tag's layer is gone");
    assert.ok(after < before - 150_000, `space freed: blobs ${before} -> ${after} bytes`);
    const line = onHost(reg, "grep 'bytes before' /var/log/pulumi-onprem-registry-gc.log | tail -1");
    assert.match(line, /registry garbage collection of \/opt\/data\/registry: \d+ bytes before, \d+ after, \d+ freed/);
    assert.ok(Number(line.match(/(\d+) freed/)![1]) > 150_000, `the job reports the layer it freed: ${line}`);
    assert.ok(run.includes("registry garbage collection run"), "the run shows in the update");
    const pulled = path.join(work, "pulled");
    const pull = skopeo(["copy", "--src-tls-verify=false", `docker://${reg.address}:5000/app:1.0`, `oci:${pulled}:1.0`]);
    assert.equal(pull.code, 0, `the kept image still pulls:\n${pull.out}`);
    t.diagnostic(`blobs ${before} -> ${after} bytes; the job's log: ${line.trim()}`);
    upUnchanged();

    pulumi(["destroy", "--yes", "--skip-preview"]);
    for (const f of GC_FILES) assert.equal(onHost(reg, `test -e ${f} && echo yes || echo no`).trim(), "no", `${f} is gone`);
    const configAfter = onHost(reg, "cat /etc/docker/registry/config.yml");
    assert.ok(!configAfter.includes("pulumi-onprem"), "the package's own config.yml is back");
    // (A run that failed before its destroy leaves ours behind; destroy then still restores the package's.)
    if (!configBefore.includes("pulumi-onprem")) assert.equal(configAfter, configBefore, "the config from before is back");
    assert.equal(onHost(reg, `test -d ${STORAGE}/docker && echo kept`).trim(), "kept", "the images are kept");
});
