import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { eventually, holdsAddress, inventory, onHost } from "../support/lab";
import { destroyAfter, exampleProject, setObjectConfig } from "../support/pulumi";

const PASSWORD = "pr8Tq3vx";
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("pull-request preview: one changed input prints the changed line under its host, no secret, no SSH connection", async (t) => {
    const hosts = inventory().hosts.slice(0, 2);
    const [master, backup] = hosts;
    const net = master.address.replace(/\.\d+$/, "");
    for (const h of hosts) onHost(h, "systemctl stop keepalived; rm -rf /etc/keepalived", { allowFail: true });
    const statsDir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-stats-"));
    const project = exampleProject("keepalived-master-backup", { PULUMI_ONPREM_STATS_DIR: statsDir });
    destroyAfter(t, project);
    t.after(() => fs.rmSync(statsDir, { recursive: true, force: true }));
    setObjectConfig(project, { hosts, vip: `${net}.221` });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", PASSWORD]);
    project.pulumi(["up", "--yes", "--skip-preview"]);
    await eventually("the VIP on the master", () => holdsAddress(master, `${net}.221`));

    // The pull request: a new VIP. The pipeline runs exactly what examples/pr-preview/preview.yml runs.
    setObjectConfig(project, { hosts, vip: `${net}.222` });
    fs.rmSync(statsDir, { recursive: true, force: true });
    const preview = project.pulumi(["preview", "--diff"]).out;
    const connections = fs.existsSync(statsDir) ? fs.readdirSync(statsDir).length : 0;

    // Each node's resource shows the removed and the added line, and names its host in clear.
    for (const h of hosts) {
        const block = preview.split(/\n(?=\s*[~+-] pulumi-nodejs:dynamic)/).find((b) => b.includes(`HostConfig::vrrp-${h.name}]`));
        assert.ok(block, `a diff for ${h.name}'s keepalived.conf:\n${preview}`);
        assert.match(block, new RegExp(`-\\s+${esc(net)}\\.221\\n`), `${h.name}: the old VIP line`);
        assert.match(block, new RegExp(`\\+\\s+${esc(net)}\\.222\\n`), `${h.name}: the new VIP line`);
        assert.match(block, new RegExp(`target\\s*: "root@${esc(h.address)}"`), `${h.name}: the host is named`);
    }
    assert.match(preview, /secrets\s*: \[secret\]/, "the password travels as a secret input");
    assert.ok(!preview.includes(PASSWORD), "no secret in the preview");
    assert.equal(connections, 0, "the preview opened no SSH connection");
    t.diagnostic(`preview of the change: ${preview.split("\n").length} lines, 0 SSH connections`);

    project.pulumi(["up", "--yes", "--skip-preview"]);
    await eventually("the new VIP on the master", () => holdsAddress(master, `${net}.222`));
    assert.equal(holdsAddress(master, `${net}.221`) || holdsAddress(backup, `${net}.221`), false, "the old VIP is gone");
    project.pulumi(["destroy", "--yes", "--skip-preview"]);
});

test("a secret-only change marks `secrets` without its value; the no-op stays clean; refresh with two equal secrets reports nothing made by nobody", async (t) => {
    const hosts = inventory().hosts.slice(0, 2);
    const net = hosts[0].address.replace(/\.\d+$/, "");
    for (const h of hosts) onHost(h, "systemctl stop keepalived; rm -rf /etc/keepalived", { allowFail: true });
    // Two VRRP instances, one password: two placeholders with one value in each keepalived.conf.
    const project = exampleProject("keepalived-dual-master");
    destroyAfter(t, project);
    const started = Date.now();
    const [first, second] = ["sh4Red01", "sh4Red02"];
    setObjectConfig(project, { hosts, vips: [`${net}.223`, `${net}.224`] });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", "--", first]);
    project.pulumi(["up", "--yes", "--skip-preview"]);

    project.pulumi(["config", "set", "--secret", "vrrpPassword", "--", second]);
    const summary = project.pulumi(["preview"]).out;
    const rows = summary.split("\n").filter((l) => /:HostConfig lb-/.test(l));
    assert.equal(rows.length, hosts.length, `a row per node:\n${summary}`);
    for (const row of rows) assert.match(row, /update\s+\[diff: ~secrets\]\s*$/, `only the secrets marked: ${row}`);
    const detail = project.pulumi(["preview", "--diff"]).out;
    assert.equal(detail.match(/~ secrets\s*: \[secret\] => \[secret\]/g)?.length, hosts.length + 1, `secrets changed on each node and once on the cluster's check:\n${detail}`);
    assert.doesNotMatch(detail, /~ files/, "no file is marked");
    for (const out of [summary, detail]) assert.ok(!out.includes(first) && !out.includes(second), "no secret in the preview");

    project.pulumi(["up", "--yes", "--skip-preview"]);
    project.pulumi(["preview", "--expect-no-changes"]);
    project.pulumi(["refresh", "--yes", "--expect-no-changes"]);
    // A read-back (a hand edit makes one) names each instance's placeholder on its own line.
    onHost(hosts[0], "echo '# hand edit' >> /etc/keepalived/keepalived.conf");
    const refresh = project.pulumi(["refresh", "--yes", "--skip-preview", "--diff"]).out;
    const changed = refresh.split("\n").filter((l) => /^\s+[-+] /.test(l)).map((l) => l.trim());
    assert.deepEqual(changed, ["+ # hand edit"], `only the hand edit drifted:\n${refresh}`);
    project.pulumi(["destroy", "--yes", "--skip-preview"]);
    t.diagnostic(`up, secret change, previews, up, no-op preview, two refreshes, destroy: ${Math.round((Date.now() - started) / 1000)} s`);
});
