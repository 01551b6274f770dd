// A registry started by hand as seed 000 does it (`docker run -d -p 5000:5000 --restart=always -v
// /opt/data/registry:/var/lib/registry registry:2`, an image pushed to it), then declared with DockerRegistry
// at its defaults on the same storage: preview says the container is adopted and changes nothing; `up`
// stops it and serves the same images, while a client keeps pulling (manifest and layer, every 0.2 s, from
// a watcher on the client itself) and the longest gap is measured; destroy starts the hand container again.
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { inventory, type LabHost } from "../support/lab";
import { destroyAfter, exampleProject, setObjectConfig, timedPulumi } from "../support/pulumi";
import { labKind, onAnyHost, runOnHost } from "../support/vmlab";

const STORAGE = "/opt/data/registry";
const HAND = "registry";
const REPO = "seed/busybox";
const PULLS = "/run/onprem-test-pulls";
const WATCH_UNIT = "onprem-test-pull-watch";
/**
 * The gap a client may see: from the hand container's stop to the registry's start, the host's transaction
 * runs its last steps (docker's CLI twice, systemd's daemon-reload for the new drop-in, the restart). A few
 * seconds on a real server; under TCG each of them takes seconds to tens of seconds, and with a second lab
 * and a netns tier beside, 147 s and 225 s were seen.
 */
const PULL_GAP_BOUND_SECONDS = 360;

const handState = (h: LabHost) => runOnHost(h, `docker inspect -f '{{.State.Running}} {{.HostConfig.RestartPolicy.Name}}' ${HAND}`, { allowFail: true }).stdout.trim();

/** Seconds of the longest run of failed pulls in the watcher's log ("<uptime> ok|fail" lines), and the counts. */
function pullGaps(log: string): { ok: number; failed: number; longestGap: number } {
    let ok = 0, failed = 0, longestGap = 0;
    let lastOk: number | undefined;
    let failing = false;
    for (const line of log.split("\n").filter((l) => l !== "")) {
        const [at, what] = line.split(" ");
        if (what === "ok") {
            ok++;
            if (failing && lastOk !== undefined) longestGap = Math.max(longestGap, Number(at) - lastOk);
            failing = false;
            lastOk = Number(at);
        } else {
            failed++;
            failing = true;
        }
    }
    assert.ok(!failing, `the last pulls failed: ${log.split("\n").slice(-5).join(" | ")}`);
    return { ok, failed, longestGap };
}

test("DockerRegistry adopts a registry container started by hand on its storage: preview says so, pulls go on during up, destroy gives it back", async (t) => {
    assert.equal(labKind(), "vm", "this test needs the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    const [reg, , puller] = inventory().hosts;
    assert.ok(reg && puller, "the VM lab needs 3 VMs");
    const base = `http://${reg.address}:5000/v2/${REPO}`;

    // The operator's registry, by hand: storage on the host, restarted by dockerd, one image pushed.
    // Cleanups run in the order they are registered: destroy first (it gives the hand container back), then the hand setup goes.
    const project = exampleProject("private-registry");
    destroyAfter(t, project);
    t.after(() => runOnHost(reg, `docker rm -f ${HAND} >/dev/null 2>&1; rm -rf ${STORAGE}; true`, { allowFail: true }));
    onAnyHost(reg, `docker rm -f ${HAND} >/dev/null 2>&1; rm -rf ${STORAGE}; docker run -d -p 5000:5000 --restart=always --name ${HAND} -v ${STORAGE}:/var/lib/registry registry:2 >/dev/null`);
    onAnyHost(reg, `for i in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:5000/v2/ && break; sleep 0.2; done; docker tag onprem-test/busybox localhost:5000/${REPO}:1 && docker push -q localhost:5000/${REPO}:1 >/dev/null`);
    const manifest = JSON.parse(onAnyHost(puller, `curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' ${base}/manifests/1`)) as { layers: { digest: string }[] };
    const layer = manifest.layers[0].digest;
    const pull = `curl -sf -m 3 -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' ${base}/manifests/1 && curl -sf -m 10 ${base}/blobs/${layer} | sha256sum | grep -q ${layer.replace("sha256:", "")}`;
    assert.equal(runOnHost(puller, pull, { allowFail: true }).status, 0, "the client pulls the hand registry's image");

    const timed = timedPulumi(t, project);
    // What the operator declares for it: seed 000's storage and port (the defaults), no TLS, no users.
    setObjectConfig(project, { registry: reg, insecure: true });

    const preview = timed(["preview", "--diff"]).out;
    assert.match(preview, new RegExp(`adopts the container '${HAND}' \\(image registry:2\\) serving ${STORAGE} on port 5000`), preview);
    assert.equal(handState(reg), "true always", "preview changes nothing");

    // A client pulls throughout `up`, from a watcher on the client itself (an SSH poll from here would be
    // slower than the gap it measures).
    onAnyHost(puller, `rm -f ${PULLS}; systemd-run --quiet --unit ${WATCH_UNIT} sh -c 'while :; do if ${pull.replace(/'/g, `'"'"'`)}; then r=ok; else r=fail; fi; echo "$(cut -d" " -f1 /proc/uptime) $r" >> ${PULLS}; sleep 0.2; done'`);
    t.after(() => runOnHost(puller, `systemctl stop ${WATCH_UNIT} 2>/dev/null; true`, { allowFail: true }));
    const up = timed(["up", "--yes"]).out;
    // The registry answers before `up` ends (its health check); a second of pulls after it is the proof the gap closed.
    onAnyHost(puller, `sleep 2; systemctl stop ${WATCH_UNIT}`);
    const pulls = pullGaps(onAnyHost(puller, `cat ${PULLS}`));
    t.diagnostic(`pulls during up: ${pulls.ok} answered, ${pulls.failed} failed, longest gap ${pulls.longestGap.toFixed(1)} s`);
    assert.ok(pulls.longestGap <= PULL_GAP_BOUND_SECONDS, `longest gap ${pulls.longestGap.toFixed(1)} s, bound ${PULL_GAP_BOUND_SECONDS} s\n${up}`);
    assert.equal(handState(reg), "false no", "the hand container is stopped, and no reboot starts it against the registry");
    assert.equal(onAnyHost(reg, "systemctl is-active docker-registry"), "active");
    assert.equal(runOnHost(puller, pull, { allowFail: true }).status, 0, "the image pushed by hand, served by the declared registry");

    const again = timed(["up", "--yes", "--expect-no-changes"]).out;
    assert.doesNotMatch(again, /updated|created|replaced|deleted/, again);

    timed(["destroy", "--yes"]);
    assert.equal(handState(reg), "true always", "destroy starts the hand container again, restarted by dockerd as before");
    onAnyHost(puller, `for i in $(seq 50); do ${pull} && exit 0; sleep 0.2; done; exit 1`);
    assert.equal(onAnyHost(reg, "ls /var/lib/pulumi-onprem/registry-adopted 2>/dev/null | wc -l"), "0", "no record left");
});
