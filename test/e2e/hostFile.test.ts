import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { inventory, onHost } from "../support/lab";
import { exampleProject, setObjectConfig } from "../support/pulumi";

const SECRET = "tok-9f1c2e7d5a";
const FILES = ["/etc/pulumi-onprem-demo.conf", "/etc/onprem-demo/b.conf", "/opt/onprem-demo/c.conf"];
const FILE = FILES[0];

/** Handshakes and commands the provider processes of one CLI run spent, from their stats files. */
function sshUse(dir: string): { handshakes: number; commands: number } {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    const total = { handshakes: 0, commands: 0 };
    for (const f of files) {
        const s = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
        total.handshakes += s.handshakes;
        total.commands += s.commands;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    return total;
}

test("the real pulumi CLI: preview touches nothing, up writes 3 files on 3 hosts over 3 connections, refresh sees a hand edit, up repairs, destroy removes", async (t) => {
    const hosts = inventory().hosts.slice(0, 3);
    const statsDir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-stats-"));
    const project = exampleProject("host-file", { PULUMI_ONPREM_STATS_DIR: statsDir });
    setObjectConfig(project, { hosts, paths: FILES });
    project.pulumi(["config", "set", "--secret", "token", SECRET]);
    const outputs: string[] = [];
    const run = (args: string[]) => {
        const r = project.pulumi(args);
        outputs.push(r.out);
        return r.out;
    };
    for (const h of hosts) onHost(h, `rm -rf ${FILES.join(" ")} /etc/onprem-demo /opt/onprem-demo`);

    const preview = run(["preview", "--diff"]);
    assert.match(preview, /\+ 19 to create/); // the stack, and per host and file a HostFile and its HostConfig
    assert.match(preview, /token = \{\{secret:token\}\}/, "preview shows the rendered file, placeholder and all");
    for (const h of hosts) assert.equal(onHost(h, `test -e ${FILE} && echo yes || echo no`), "no\n", "preview wrote nothing");
    assert.equal(sshUse(statsDir).handshakes, 0, "preview opened no SSH connection");

    const up = run(["up", "--yes", "--skip-preview"]);
    for (const h of hosts) {
        // Per-host progress as it happens, and a summary of what changed on each host.
        assert.match(up, new RegExp(`root@${h.address.replace(/\./g, "\\.")} \\(file\\): stage ${FILE}`), `progress lines for ${h.name}:\n${up}`);
        assert.match(up, new RegExp(`root@${h.address.replace(/\./g, "\\.")} \\(file\\): changed ${FILE}`), `a summary for ${h.name}`);
        for (const f of FILES) {
            assert.equal(onHost(h, `cat ${f}`), `# managed by pulumi-onprem\nmessage = managed by pulumi-onprem\ntoken = ${SECRET}\n`);
            assert.equal(onHost(h, `stat -c %a ${f}`), "640\n");
        }
    }
    const use = sshUse(statsDir);
    t.diagnostic(`up of 3 files on each of 3 hosts: ${use.handshakes} SSH handshakes, ${use.commands} commands`);
    assert.equal(use.handshakes, hosts.length, `3 files on each of 3 hosts: one connection per host (${use.commands} commands)`);

    onHost(hosts[0], `echo 'hand edit' >> ${FILE}`);
    const refresh = run(["refresh", "--yes", "--diff"]);
    assert.match(refresh, /~ 1 to update|1 updated/, refresh);
    assert.match(refresh, /hand edit/, "the drifted line is shown");
    assert.match(refresh, new RegExp(`drifted from the last apply: ${FILE}`), "refresh names the drifted file");
    const afterRefresh = run(["preview", "--diff"]);
    assert.match(afterRefresh, /~ 1 to update/);
    run(["up", "--yes", "--skip-preview"]);
    assert.doesNotMatch(onHost(hosts[0], `cat ${FILE}`), /hand edit/);
    assert.match(run(["preview"]), /19 unchanged/, "converged");

    // A hand edit between preview and up: up writes the declared content whole and names the file it replaced.
    project.pulumi(["config", "set", "message", "reviewed in a pull request"]);
    assert.match(run(["preview", "--diff"]), /~ 9 to update/);
    onHost(hosts[1], `echo 'hand edit after the preview' >> ${FILE}`);
    const upAfterEdit = run(["up", "--yes", "--skip-preview"]);
    assert.match(upAfterEdit, new RegExp(`root@${hosts[1].address.replace(/\./g, "\\.")} \\(file\\): replace ${FILE}: it was changed on the host since the last apply`), upAfterEdit);
    // And in the apply's summary line, which stays in the output.
    assert.match(upAfterEdit, new RegExp(`root@${hosts[1].address.replace(/\./g, "\\.")} \\(file\\): changed ${FILE}; replaced hand edits in ${FILE}`), upAfterEdit);
    assert.equal((upAfterEdit.match(/it was changed on the host since the last apply/g) ?? []).length, 1, "only the edited file on the edited host is named");
    assert.equal(onHost(hosts[1], `cat ${FILE}`), `# reviewed in a pull request\nmessage = reviewed in a pull request\ntoken = ${SECRET}\n`, "the declared content, whole");
    run(["preview", "--expect-no-changes"]);

    const state = run(["stack", "export", "--show-secrets=false"]);
    assert.ok(!state.includes(SECRET), "no plaintext secret in the state");
    assert.match(state, /require\(\\"pulumi-onprem\/provider\\"\)/, "the provider is a require of the installed package");
    assert.ok(!state.includes("applyHostState"), "no provider code was serialized into the state");

    run(["destroy", "--yes", "--skip-preview"]);
    for (const h of hosts) {
        assert.equal(onHost(h, `ls -d ${FILES.join(" ")} /etc/onprem-demo /opt/onprem-demo 2>/dev/null || true`), "", "destroy removed the files and directories it created");
    }
    for (const out of outputs) assert.ok(!out.includes(SECRET), "no plaintext secret in the CLI's output");
    fs.rmSync(project.dir, { recursive: true, force: true });
    fs.rmSync(statsDir, { recursive: true, force: true });
});
