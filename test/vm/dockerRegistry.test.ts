// DockerRegistry on real machines: the registry:2 container under dockerd on vm1 (TLS generated, one user),
// dockerd on vm2 and vm3 as clients; push, pull, the registry killed (-9); with PULUMI_ONPREM_VM_FULL=1 dockerd
// killed too and a reboot; destroy keeps the images.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { test } from "node:test";
import { crashAndRecover, recoveryLine } from "../support/crash";
import { eventually, inventory, type LabHost } from "../support/lab";
import { exampleProject, secondsSince, setObjectConfig, timedPulumi } from "../support/pulumi";
import { labKind, onAnyHost, runOnHost } from "../support/vmlab";

const USER = "alice";
const PASSWORD = "alice-Pw-7f3k";
const STORAGE = "/opt/data/registry";
const CONFIG_DIR = "/etc/docker/registry";
/** The container the "container" runtime runs. */
const CONTAINER = "pulumi-onprem-registry";

const exists = (h: LabHost, path: string) => onAnyHost(h, `test -e ${path} && echo yes || echo no`) === "yes";
const containerId = (h: LabHost) => runOnHost(h, `docker inspect -f '{{.Id}}' ${CONTAINER}`, { allowFail: true }).stdout.trim();

/** Waits for SSH after a reboot; the seconds it took from the reboot command. */
async function rebootAndWait(h: LabHost): Promise<number> {
    const bootId = onAnyHost(h, "cat /proc/sys/kernel/random/boot_id");
    const started = process.hrtime.bigint();
    runOnHost(h, "systemctl reboot", { allowFail: true, timeoutMs: 30_000 });
    await eventually(`${h.name} back after a reboot`, () => {
        const r = runOnHost(h, "cat /proc/sys/kernel/random/boot_id", { allowFail: true, timeoutMs: 30_000 });
        return r.status === 0 && r.stdout.trim() !== bootId;
    }, 300_000, 2000);
    return secondsSince(started);
}

/** PULUMI_ONPREM_VM_FULL=1 (npm run test:vm-full): the longer parts too. */
const FULL = process.env.PULUMI_ONPREM_VM_FULL === "1";

test("DockerRegistry, container runtime, on VMs: TLS and a user, push from one dockerd, pull on another, kill -9 of the registry (and of dockerd and a reboot in the full run), destroy keeps the images", async (t) => {
    assert.equal(labKind(), "vm", "this test needs the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    const [reg, pusher, puller] = inventory().hosts;
    assert.ok(reg && pusher && puller, "the VM lab needs 3 VMs");
    const hostPort = `${reg.address}:5000`;
    const certsDir = `/etc/docker/certs.d/${hostPort}`;
    const ref = `${hostPort}/test/busybox:1`;
    const clients = [pusher, puller];

    // A clean start: no registry container, no storage, no login or image of an earlier run.
    runOnHost(reg, `docker rm -f ${CONTAINER} >/dev/null 2>&1; rm -rf ${STORAGE}`, { allowFail: true });
    for (const c of clients) runOnHost(c, `docker logout ${hostPort} >/dev/null 2>&1; docker rmi ${ref} >/dev/null 2>&1; true`);
    const configBefore = onAnyHost(reg, `cd ${CONFIG_DIR} && ls -A && sha256sum config.yml`);
    const clientsBefore = clients.map((c) => onAnyHost(c, "ls -A /etc/docker; ls -A /etc/docker/certs.d 2>/dev/null; true"));
    const storageParentBefore = exists(reg, "/opt/data");
    const dockerBefore = onAnyHost(reg, "systemctl is-enabled docker; systemctl is-active docker");

    const project = exampleProject("private-registry");
    t.after(() => {
        fs.rmSync(project.dir, { recursive: true, force: true });
        for (const c of clients) runOnHost(c, `docker logout ${hostPort} >/dev/null 2>&1; docker rmi ${ref} >/dev/null 2>&1; true`, { allowFail: true });
        // The kept images are this test's own: gone after it, so a rerun starts clean.
        runOnHost(reg, `rm -rf ${STORAGE}${storageParentBefore ? "" : "; rmdir /opt/data"}`, { allowFail: true });
    });
    const timed = timedPulumi(t, project);
    const run = (args: string[]) => timed(args).out;
    setObjectConfig(project, { registry: reg, clients, userNames: [USER], runtime: "container" });
    project.pulumi(["config", "set", "--secret", "passwords", JSON.stringify({ [USER]: PASSWORD })]);

    run(["up", "--yes"]);
    const id = containerId(reg);
    assert.notEqual(id, "", "the registry container exists");
    const rerun = run(["up", "--yes", "--expect-no-changes"]);
    assert.doesNotMatch(rerun, /updated|created|replaced|deleted/, rerun);
    assert.equal(containerId(reg), id, "a second up leaves the container alone");

    // The container: running, restarted by dockerd, storage on the host path, the config read-only.
    const inspect = JSON.parse(onAnyHost(reg, `docker inspect ${CONTAINER}`))[0] as {
        State: { Running: boolean }; HostConfig: { RestartPolicy: { Name: string } };
        Mounts: { Source: string; Destination: string; RW: boolean }[];
    };
    assert.equal(inspect.State.Running, true);
    assert.equal(inspect.HostConfig.RestartPolicy.Name, "always", "--restart=always");
    assert.ok(inspect.Mounts.some((m) => m.Source === STORAGE && m.Destination === "/var/lib/registry" && m.RW), `storage on ${STORAGE}: ${JSON.stringify(inspect.Mounts)}`);
    assert.ok(inspect.Mounts.some((m) => m.Source === CONFIG_DIR && !m.RW), "the config directory read-only");
    assert.equal(onAnyHost(reg, "systemctl is-enabled docker"), "enabled", "dockerd starts at boot, and with it the registry");
    for (const c of clients) assert.ok(exists(c, `${certsDir}/ca.crt`), `${c.name} trusts the registry's CA`);

    // Push from vm2's dockerd, pull on vm3's: TLS verified through certs.d, the user's login.
    const login = `printf '%s' '${PASSWORD}' | docker login -u ${USER} --password-stdin ${hostPort}`;
    const anonymous = runOnHost(pusher, `docker tag onprem-test/busybox ${ref} && docker push ${ref}`, { allowFail: true });
    assert.notEqual(anonymous.status, 0, "a push without login is refused");
    assert.match(anonymous.stdout + anonymous.stderr, /unauthorized|authentication required|no basic auth/i);
    for (const c of clients) assert.match(onAnyHost(c, login), /Login Succeeded/, c.name);
    let started = process.hrtime.bigint();
    onAnyHost(pusher, `docker push ${ref}`);
    t.diagnostic(`docker push (${pusher.name}): ${secondsSince(started).toFixed(1)} s`);
    assert.ok(exists(reg, `${STORAGE}/docker/registry/v2/repositories/test/busybox/_manifests/tags/1`), "the image is stored on the host path");
    const imageId = onAnyHost(pusher, `docker image inspect -f '{{.Id}}' ${ref}`);
    const pull = () => {
        runOnHost(puller, `docker rmi ${ref} >/dev/null 2>&1; true`);
        const began = process.hrtime.bigint();
        onAnyHost(puller, `docker pull ${ref}`);
        const took = secondsSince(began);
        assert.equal(onAnyHost(puller, `docker image inspect -f '{{.Id}}' ${ref}`), imageId, "vm3 pulled the image vm2 pushed");
        assert.equal(onAnyHost(puller, `docker run --rm ${ref} echo pulled`), "pulled");
        return took;
    };
    t.diagnostic(`docker pull (${puller.name}): ${pull().toFixed(1)} s`);

    // Crashes: kill -9 of the registry process (dockerd starts the container again: --restart=always), then
    // of dockerd itself (systemd starts it, and it the container). The same container, the image still there.
    const answers = () => runOnHost(puller, `curl -s -o /dev/null --cacert ${certsDir}/ca.crt https://${hostPort}/v2/`, { allowFail: true }).status === 0;
    {
        const pid = onAnyHost(reg, `docker inspect -f '{{.State.Pid}}' ${CONTAINER}`);
        const killed = process.hrtime.bigint();
        onAnyHost(reg, `kill -9 ${pid}`);
        await eventually("the registry container running again after kill -9", () => {
            const [running, now] = runOnHost(reg, `docker inspect -f '{{.State.Running}} {{.State.Pid}}' ${CONTAINER}`, { allowFail: true }).stdout.trim().split(" ");
            return running === "true" && now !== pid;
        }, 300_000, 250);
        await eventually("the registry answers after kill -9", answers, 300_000, 500);
        t.diagnostic(`kill -9 of the registry process on ${reg.name}: answering again after ${secondsSince(killed).toFixed(1)} s (restart count ${onAnyHost(reg, `docker inspect -f '{{.RestartCount}}' ${CONTAINER}`)})`);
        // dockerd's own crash and restart: the full run (here and in the OvsMesh VM test).
        if (FULL) {
            const dockerKilled = process.hrtime.bigint();
            const docker = await crashAndRecover(reg, "docker");
            assert.ok(docker.restarts >= 1, "systemd restarted dockerd by itself");
            await eventually("the registry answers after dockerd's crash", answers, 300_000, 500);
            t.diagnostic(`${recoveryLine(reg, "docker", docker)}; the registry answering ${secondsSince(dockerKilled).toFixed(1)} s after the kill`);
        }
        assert.equal(containerId(reg), id, "the same container, started again");
    }
    t.diagnostic(`docker pull after the crashes: ${pull().toFixed(1)} s`);

    // A reboot of the registry host (the full run: about 3 minutes under TCG): dockerd starts the
    // container by itself, the image is still there.
    if (FULL) {
        const rebooted = await rebootAndWait(reg);
        t.diagnostic(`reboot of ${reg.name} until SSH answers: ${rebooted.toFixed(1)} s`);
        const since = process.hrtime.bigint();
        await eventually("the registry container running after the reboot", () => runOnHost(reg, `docker inspect -f '{{.State.Running}}' ${CONTAINER}`, { allowFail: true }).stdout.trim() === "true", 180_000, 2000);
        await eventually("the registry answers after the reboot", () => runOnHost(puller, `curl -s -o /dev/null --cacert ${certsDir}/ca.crt https://${hostPort}/v2/`, { allowFail: true }).status === 0, 120_000, 1000);
        t.diagnostic(`registry answering ${(rebooted + secondsSince(since)).toFixed(1)} s after the reboot command`);
        assert.equal(containerId(reg), id, "the same container, started again by dockerd");
        assert.equal(onAnyHost(reg, "systemctl is-enabled docker; systemctl is-active docker"), "enabled\nactive");
        t.diagnostic(`docker pull after the reboot: ${pull().toFixed(1)} s`);
    }
    // The host as the stack left it: a refresh reads files, container and storage back and finds no change.
    run(["refresh", "--yes", "--expect-no-changes"]);

    // Destroy: the container and the files go, the images stay.
    for (const c of clients) runOnHost(c, `docker logout ${hostPort} >/dev/null; docker rmi ${ref} >/dev/null 2>&1; true`);
    run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(containerId(reg), "", "the container is gone");
    assert.equal(onAnyHost(reg, `docker ps -a --format '{{.Names}}' | grep -c '^${CONTAINER}$' || true`), "0");
    assert.equal(onAnyHost(reg, `cd ${CONFIG_DIR} && ls -A && sha256sum config.yml`), configBefore, "the registry's config and certificates removed, Debian's config.yml as it was");
    assert.ok(exists(reg, `${STORAGE}/docker/registry/v2/repositories/test/busybox/_manifests/tags/1`), "the storage directory is kept with the images");
    assert.equal(onAnyHost(reg, "systemctl is-enabled docker; systemctl is-active docker"), dockerBefore, "dockerd as it was");
    clients.forEach((c, i) => {
        assert.equal(exists(c, certsDir), false, `${c.name}: certs.d for the registry removed`);
        assert.equal(onAnyHost(c, "ls -A /etc/docker; ls -A /etc/docker/certs.d 2>/dev/null; true"), clientsBefore[i], `${c.name}: /etc/docker as it was`);
    });
});
