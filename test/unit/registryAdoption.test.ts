// A registry container started by hand on the registry's port: adopted when it serves the declared storage
// (the probe says so, `up` stops it, destroy gives it back), refused naming its storage otherwise. The shell
// runs in a real sh against a stand-in `docker` that answers as dockerd would and records its calls; the VM
// suite proves it against dockerd itself.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { PROBE_REFUSES_EXIT } from "../../provider/contract/probe";
import { ADOPTED_CONTAINERS_DIR, adoptionState } from "../../provider/render/registry/adoptedContainer";
import { portHolderProbe } from "../../provider/render/registry/portHolder";

const TARGET = { port: 5000, storage: "/opt/data/registry", container: "pulumi-onprem-registry" };

/** A stand-in docker: one running container "registry" (id c1) publishing 5000, storage `mount`, policy always. */
function stubDocker(dir: string, mount: string): void {
    const script = `#!/bin/sh
echo "$*" >> ${dir}/calls
case "$1 $2" in
  "ps -q") [ -e ${dir}/stopped ] || echo c1 ;;
  "ps --filter") [ -e ${dir}/stopped ] || echo "registry registry:2" ;;
  "inspect -f")
    case "$3" in
      *RestartPolicy*) echo always ;;
      *) echo "/registry ${mount}" ;;
    esac ;;
  "stop -t") touch ${dir}/stopped ;;
  "start registry") rm -f ${dir}/stopped ;;
esac
exit 0
`;
    fs.writeFileSync(path.join(dir, "docker"), script, { mode: 0o755 });
    // The probe asks ss who listens: docker's proxy.
    fs.writeFileSync(path.join(dir, "ss"), `#!/bin/sh\n[ -e ${dir}/stopped ] || echo 'LISTEN 0 4096 0.0.0.0:5000 0.0.0.0:* users:(("docker-proxy",pid=4242,fd=4))'\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "systemctl"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "hostname"), "#!/bin/sh\necho reg1\n", { mode: 0o755 });
}

function sh(dir: string, script: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("sh", ["-c", script.split(ADOPTED_CONTAINERS_DIR).join(path.join(dir, "adopted"))], {
        encoding: "utf8",
        env: { PATH: `${dir}:/usr/bin:/bin` },
    });
    return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

function withStub(mount: string, body: (dir: string) => void): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-adoption-"));
    try {
        stubDocker(dir, mount);
        body(dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

test("a hand-started registry on the declared storage: the probe says it is adopted, up stops it, destroy gives it back", () => {
    withStub("/opt/data/registry", (dir) => {
        const probe = sh(dir, portHolderProbe({ ...TARGET, service: "docker-registry" }).command);
        assert.equal(probe.status, 0, probe.stderr);
        assert.match(probe.stdout, /^adopts the container 'registry' \(image registry:2\) serving \/opt\/data\/registry on port 5000: `up` stops it/);

        const state = adoptionState(TARGET);
        assert.equal(sh(dir, state.read).stdout, "beside: 1");
        const applied = sh(dir, state.apply);
        assert.equal(applied.status, 0, applied.stderr);
        assert.equal(fs.readFileSync(path.join(dir, "adopted", "registry"), "utf8").trim(), "always", "its restart policy kept for destroy");
        const calls = fs.readFileSync(path.join(dir, "calls"), "utf8");
        assert.match(calls, /update --restart=no c1\nstop -t 15 c1\n/, "no restart at reboot, then stopped");
        assert.equal(sh(dir, state.read).stdout, state.expected);

        const removed = sh(dir, state.remove);
        assert.equal(removed.status, 0, removed.stderr);
        assert.match(fs.readFileSync(path.join(dir, "calls"), "utf8"), /update --restart=always registry\nstart registry\n$/);
        assert.ok(!fs.existsSync(path.join(dir, "adopted")), "the record goes with the give-back");
        assert.equal(sh(dir, state.read).stdout, "beside: 1", "running again as before");
    });
});

test("a hand-started registry on other storage is refused, naming its storage and the way to adopt it; up leaves it alone", () => {
    withStub("/srv/images", (dir) => {
        const probe = sh(dir, portHolderProbe({ ...TARGET, service: "docker-registry" }).command);
        assert.equal(probe.status, PROBE_REFUSES_EXIT);
        assert.equal(
            probe.stderr,
            'port 5000 on reg1 is already in use by container \'registry\' (image registry:2, storage /srv/images), not by this registry: stop it first, or choose another `port`, or declare `storagePath` "/srv/images" to adopt it with its images',
        );
        const state = adoptionState(TARGET);
        assert.equal(sh(dir, state.read).stdout, "beside: 0");
        assert.equal(sh(dir, state.apply).status, 0);
        assert.doesNotMatch(fs.readFileSync(path.join(dir, "calls"), "utf8"), /stop|update/);
    });
});
