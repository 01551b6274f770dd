/**
 * Another service on the registry's port (a registry started by hand, seed 000's way, or anything else):
 * preview and up refuse with one line naming the holder, before anything changes on the host; once it
 * is gone the registry comes up, and its own process on the port never refuses (a check created while it
 * runs, as after an upgrade, passes).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { test } from "node:test";
import { inventory, onHost } from "../support/lab";
import { exampleProject, setObjectConfig, timedPulumi } from "../support/pulumi";

const STORAGE = "/opt/data/registry";
const HOLDER_PID = "/run/port-holder.pid";
const MARK = "/run/port-holder-test.mark";

test("DockerRegistry: another process on its port refuses preview and up with one line naming it, changing nothing; its own process never refuses", async (t) => {
    const reg = inventory().hosts[0];
    onHost(reg, `systemctl stop docker-registry; rm -rf ${STORAGE}`, { allowFail: true });
    // Something else listens on 5000, started by hand outside any program.
    onHost(reg, `cd / && setsid python3 -m http.server 5000 >/dev/null 2>&1 & echo $! > ${HOLDER_PID}; for i in $(seq 50); do ss -Htln 'sport = :5000' | grep -q . && break; sleep 0.1; done; touch ${MARK}`);
    const stopHolder = () => onHost(reg, `[ -s ${HOLDER_PID} ] && kill $(cat ${HOLDER_PID}); rm -f ${HOLDER_PID}`, { allowFail: true });

    const project = exampleProject("private-registry");
    t.after(() => {
        stopHolder();
        project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const pulumi = timedPulumi(t, project);
    setObjectConfig(project, { registry: reg, insecure: true });

    const holder = onHost(reg, `cat ${HOLDER_PID}`).trim();
    const refusal = new RegExp(`port 5000 on \\S+ is already in use by python3 \\(pid ${holder}\\), not by this registry`);
    for (const args of [["preview"], ["up", "--yes"]]) {
        const r = pulumi(args, { allowFail: true });
        assert.notEqual(r.code, 0, `${args[0]} refuses:\n${r.out}`);
        const lines = [...new Set(r.out.split("\n").filter((l) => refusal.test(l)).map((l) => l.slice(l.indexOf("resource '")).trim()))];
        assert.equal(lines.length, 1, `one line says it, naming the holder:\n${r.out}`);
        t.diagnostic(`${args[0]}: ${lines[0]}`);
    }
    assert.equal(onHost(reg, `find /etc /opt /var/lib -xdev -newer ${MARK} ! -path '/var/lib/pulumi-onprem/known*' 2>/dev/null; systemctl is-active docker-registry; true`).trim(), "inactive", "nothing changed on the host");

    // The holder goes: the registry comes up; a second up changes nothing.
    stopHolder();
    pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(onHost(reg, "systemctl is-active docker-registry").trim(), "active");
    assert.match(pulumi(["up", "--yes", "--expect-no-changes"]).out, /unchanged/);

    // The probe runs again while the registry itself holds the port (as when its probe changes, or on a
    // stack from before the check): its own process passes.
    const state = JSON.parse(project.pulumi(["stack", "export"]).out);
    const check = state.deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::registry-check"));
    assert.ok(check?.inputs?.probes?.registry?.length, "the check holds the registry's probe");
    check.inputs.probes = {};
    const exported = `${project.dir}/state.json`;
    fs.writeFileSync(exported, JSON.stringify(state));
    project.pulumi(["stack", "import", "--file", exported]);
    const again = pulumi(["preview"], { allowFail: true });
    assert.equal(again.code, 0, `the registry's own process on the port passes:\n${again.out}`);
    pulumi(["up", "--yes", "--skip-preview"]);
    assert.match(pulumi(["preview", "--expect-no-changes"]).out, /unchanged/);
});
