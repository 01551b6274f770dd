import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { inventory, onHost } from "../support/lab";

const ROOT = path.resolve(__dirname, "../..");

test("examples/datacenter through the demo: up, addresses, mesh ping matrix, registry push and catalog through the VIP, failover, destroy", (t) => {
    const hosts = inventory().hosts.slice(0, 3);
    const net = hosts[0].address.replace(/\.\d+$/, "");
    for (const h of hosts) onHost(h, "systemctl stop keepalived docker-registry; rm -rf /etc/keepalived /opt/data/registry", { allowFail: true });
    const before = hosts.map((h) => onHost(h, "ip -o -4 addr show dev eth0 | awk '{print $4}'; ovs-vsctl --timeout=5 list-br 2>/dev/null || true"));

    // The demo's Pulumi part (scripts/demo.sh adds setup and a lab of its own): it exits non-zero when a check fails.
    const run = spawnSync("node", ["--import", "tsx", "scripts/demo.ts"], { cwd: ROOT, env: { ...process.env, DEMO_KEEP: "no" }, encoding: "utf8", maxBuffer: 64 << 20 });
    const out = `${run.stdout}${run.stderr}`;
    t.diagnostic(out.slice(out.indexOf("==> 4/4"), out.indexOf("==> pulumi destroy")));
    assert.equal(run.status, 0, out.slice(-4000));

    for (const [i, h] of hosts.entries()) {
        assert.match(out, new RegExp(`^${h.name}\\s+${h.address.replace(/\./g, "\\.")}/24 ${net.replace(/\./g, "\\.")}\\.${61 + i}/24\\s`, "m"), `${h.name}: both addresses read back`);
    }
    assert.match(out, /from \\ to[^\n]*\n(?:[^\n]*ok, [\d.]+ ms[^\n]*\n){3}/, "every pair of hosts pings over the mesh");
    assert.doesNotMatch(out, /FAILED/);
    assert.match(out, /\{"repositories":\["demo\/hello"\]\}/, "the image pushed through the VIP is in the catalog");
    assert.match(out, new RegExp(`${net.replace(/\./g, "\\.")}\\.100 moved from ${hosts[0].name} to \\S+ in [\\d.]+ s`), "the VIP failed over");
    // Destroy put every host back: its own addresses, no bridge of ours.
    assert.deepEqual(hosts.map((h) => onHost(h, "ip -o -4 addr show dev eth0 | awk '{print $4}'; ovs-vsctl --timeout=5 list-br 2>/dev/null || true")), before);
});
