// DockerRegistry garbage collection on a real systemd and dockerd. Native runtime: the timer fires on its
// schedule, the registry is read-only (a drop-in under /run) while the collector runs; destroy removes the
// timer and the service, and systemd forgets them. Container runtime: a run from `pulumi up` serves a
// read-only container meanwhile. Both: the deleted tag's layer is freed, the kept image pulls. One VM.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test, TestContext } from "node:test";
import { eventually, inventory, onHost } from "../support/lab";
import { exampleProject, setObjectConfig, timedPulumi } from "../support/pulumi";
import { assertWindowSafe, pushWhileCollecting, skopeo, twoTagsOneDeleted } from "../support/registryPushes";
import { labKind } from "../support/vmlab";

const STORAGE = "/opt/data/registry";
const LOG = "/var/log/pulumi-onprem-registry-gc.log";
const TIMER = "pulumi-onprem-registry-gc.timer";
const UNITS = ["/etc/systemd/system/pulumi-onprem-registry-gc.service", `/etc/systemd/system/${TIMER}`];
/** Every 30 s: soon enough to wait for, slow enough for a run under emulation to finish first. */
const SCHEDULE = "*:*:00/30";

/** fetch, once more on a failure: a kept-alive connection to the registry of the test before may be gone. */
const get = async (url: string, init?: RequestInit): Promise<Response> => fetch(url, init).catch(() => fetch(url, init));


/**
 * A clean registry VM, the example deployed with `config` (twice: the second changes nothing), two tags
 * pushed and one deleted. A failure half way destroys the stack: no registry or 30 s timer is left to the
 * tests that follow on this VM.
 */
async function deployed(t: TestContext, config: Record<string, unknown>) {
    assert.equal(labKind(), "vm", "this test needs the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    const [reg] = inventory().hosts;
    const base = `http://${reg.address}:5000`;
    onHost(reg, `systemctl disable --now ${TIMER}; systemctl stop docker-registry; docker rm -f pulumi-onprem-registry; rm -rf ${STORAGE} ${LOG}`, { allowFail: true });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-registry-gc-vm-"));
    const project = exampleProject("private-registry");
    t.after(() => fs.rmSync(work, { recursive: true, force: true }));
    let destroyed = false;
    t.after(() => {
        if (!destroyed) project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const pulumi = timedPulumi(t, project);
    setObjectConfig(project, { registry: reg, insecure: true, deleteEnabled: true, ...config });
    pulumi(["up", "--yes", "--skip-preview"]);
    pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]);

    const { kept, goneLayer } = await twoTagsOneDeleted(base, work, get);
    const onDisk = (d: string) => onHost(reg, `test -e ${STORAGE}/docker/registry/v2/blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}/data && echo yes || echo no`).trim();
    assert.equal(onDisk(goneLayer), "yes", "a deleted tag frees nothing by itself");
    const destroy = () => {
        pulumi(["destroy", "--yes", "--skip-preview"]);
        destroyed = true;
    };
    return { reg, base, work, project, pulumi, kept, goneLayer, onDisk, destroy };
}

test("DockerRegistry garbage collection on a VM: the systemd timer runs the job, read-only meanwhile, space freed; destroy removes the timer", async (t) => {
    const { reg, base, work, kept, goneLayer, onDisk, destroy } = await deployed(t, { garbageCollection: { schedule: SCHEDULE } });
    assert.equal(onHost(reg, `systemctl is-enabled ${TIMER}; systemctl is-active ${TIMER}`), "enabled\nactive\n");

    // The next run of the timer, with pushes alongside.
    const runs = () => Number(onHost(reg, `grep -c 'bytes before' ${LOG} 2>/dev/null || true`).trim() || "0");
    const already = runs();
    const pushes = pushWhileCollecting(base, kept, work);
    await eventually("the timer runs the job", () => runs() > already, 120_000, 1000);
    // Hold the timer (it fires every 30 s) so that no later run disturbs the checks; then, with no run
    // in progress, no read-only drop-in is left behind.
    onHost(reg, `systemctl stop ${TIMER}`);
    const between = () => onHost(reg, "systemctl is-active pulumi-onprem-registry-gc.service; ls /run/systemd/system/docker-registry.service.d 2>/dev/null | wc -l", { allowFail: true }).trim();
    await eventually("the run over, no read-only drop-in left", () => between() === "inactive\n0", 120_000, 500);
    await eventually("the registry is writable again", async () => (await get(`${base}/v2/`).catch(() => undefined))?.status === 200, 60_000, 500);
    await new Promise((r) => setTimeout(r, 2000));
    const { attempts, images } = await pushes.stop();
    t.diagnostic(await assertWindowSafe(base, kept.tag, attempts, images, get));

    assert.equal(onDisk(goneLayer), "no", "the deleted tag's layer is gone");
    // The run the test waited for (the timer may have fired once more before it was held).
    const line = onHost(reg, `grep 'bytes before' ${LOG} | sed -n '${already + 1}p'`).trim();
    assert.match(line, /registry garbage collection of \/opt\/data\/registry: \d+ bytes before, \d+ after, \d+ freed/);
    assert.ok(Number(line.match(/(\d+) freed/)![1]) > 150_000, `the job reports the layer it freed: ${line}`);
    assert.match(onHost(reg, "journalctl -u pulumi-onprem-registry-gc.service --no-pager -o cat | grep 'bytes before' | tail -1"), /bytes before/, "the run is in the journal");
    const pull = skopeo(["copy", "--src-tls-verify=false", `docker://${reg.address}:5000/app:1.0`, `oci:${path.join(work, "pulled")}:1.0`]);
    assert.equal(pull.code, 0, `the kept image still pulls:\n${pull.out}`);
    t.diagnostic(`the job's log: ${line}`);

    destroy();
    assert.equal(onHost(reg, `systemctl is-enabled ${TIMER} 2>&1; systemctl is-active ${TIMER} 2>&1`, { allowFail: true }).includes("enabled\nactive"), false, "the timer is off");
    for (const f of UNITS) assert.equal(onHost(reg, `test -e ${f} && echo yes || echo no`).trim(), "no", `${f} is gone`);
    // systemd reloaded: it no longer knows the units (without a daemon-reload they stay loaded from memory).
    for (const f of UNITS) assert.equal(onHost(reg, `systemctl show -p LoadState --value ${path.basename(f)}`).trim(), "not-found", `${path.basename(f)} unloaded`);
    assert.equal(onHost(reg, `test -d ${STORAGE}/docker && echo kept`).trim(), "kept", "the images are kept");
});

test("DockerRegistry garbage collection on a VM, container runtime: a run from `pulumi up` serves a read-only container meanwhile, space freed, the kept image pulls", async (t) => {
    const { reg, base, work, project, pulumi, kept, goneLayer, onDisk, destroy } = await deployed(t, { runtime: "container", garbageCollection: { schedule: "none" } });
    const pushes = pushWhileCollecting(base, kept, work);
    await new Promise((r) => setTimeout(r, 1000));
    setObjectConfig(project, { garbageCollection: { schedule: "none", trigger: "gc-1" } });
    pulumi(["up", "--yes", "--skip-preview"]);
    await eventually("the registry is writable again", async () => (await get(`${base}/v2/`).catch(() => undefined))?.status === 200, 60_000, 500);
    await new Promise((r) => setTimeout(r, 2000));
    const { attempts, images } = await pushes.stop();
    t.diagnostic(await assertWindowSafe(base, kept.tag, attempts, images, get));

    assert.equal(onDisk(goneLayer), "no", "the deleted tag's layer is gone");
    const line = onHost(reg, `grep 'bytes before' ${LOG} | tail -1`).trim();
    assert.ok(Number(line.match(/(\d+) freed/)?.[1] ?? 0) > 150_000, `the job reports the layer it freed: ${line}`);
    const pull = skopeo(["copy", "--src-tls-verify=false", `docker://${reg.address}:5000/app:1.0`, `oci:${path.join(work, "pulled")}:1.0`]);
    assert.equal(pull.code, 0, `the kept image still pulls:\n${pull.out}`);
    pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    destroy();
    assert.equal(onHost(reg, "docker ps -aq --filter name=pulumi-onprem-registry").trim(), "", "the container is gone");
});
