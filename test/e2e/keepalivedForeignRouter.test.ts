/**
 * A VRRP router outside the cluster on its segment, through the real CLI: a keepalived started by hand on
 * a lab host that is not a node, with the cluster's VRID, makes preview and up refuse before any node
 * changes; with another VRID the cluster comes up; the running cluster's own adverts never refuse it.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { eventually, holdsAddress, inventory, LabHost, onHost } from "../support/lab";
import { exampleProject, setObjectConfig, timedPulumi } from "../support/pulumi";

const CONF = "/etc/keepalived/keepalived.conf";
const FOREIGN_CONF = "/etc/keepalived-foreign.conf";
const MARK = "/run/foreign-router-test.mark";

/** keepalived by hand on `h`, outside any program: one instance on eth0 with `vrid`, holding `vip`. */
function startForeign(h: LabHost, vrid: number, vip: string, priority = 50): void {
    stopForeign(h);
    const conf = `vrrp_instance FOREIGN {\n  state MASTER\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${priority}\n  advert_int 1\n  virtual_ipaddress {\n    ${vip}/24\n  }\n}\n`;
    onHost(h, `printf '%s' '${conf}' > ${FOREIGN_CONF} && keepalived -f ${FOREIGN_CONF} -p /run/foreign.pid -r /run/foreign-vrrp.pid`);
}

function stopForeign(h: LabHost): void {
    onHost(h, "[ -s /run/foreign.pid ] && kill $(cat /run/foreign.pid); for i in $(seq 50); do [ -e /run/foreign.pid ] || break; sleep 0.1; done; rm -f /run/foreign*.pid", { allowFail: true });
}

/** What a node holds that an apply could change: files written since the mark (logs aside), keepalived. */
const changedSinceMark = (h: LabHost) =>
    onHost(h, `find /etc /var /opt /root /usr/local /srv /home /tmp -xdev -newer ${MARK} ! -path '/var/log/*' 2>/dev/null; pgrep -x keepalived || echo no keepalived`);

test("KeepalivedCluster: a foreign VRRP router on one of its VRIDs refuses preview and up with one line, changing nothing; another VRID passes; the cluster's own adverts never refuse", async (t) => {
    const [n1, n2, outsider] = inventory().hosts.slice(0, 3);
    const nodes = [n1, n2];
    const net = n1.address.replace(/\.\d+$/, "");
    const [vip, foreignVip] = [`${net}.201`, `${net}.250`];
    for (const h of nodes) onHost(h, `systemctl stop keepalived; rm -f ${CONF}`, { allowFail: true });
    startForeign(outsider, 51, foreignVip);
    await eventually("the foreign router is master (it advertises)", () => holdsAddress(outsider, foreignVip), 15_000, 100);
    for (const h of nodes) onHost(h, `touch ${MARK}`);
    const before = nodes.map(changedSinceMark);

    const project = exampleProject("test/e2e/programs/keepalived-foreign-router");
    const pulumi = timedPulumi(t, project);
    setObjectConfig(project, { hosts: nodes, vip });
    try {
        const refusal = new RegExp(`VRID 51 on eth0 is already in use by ${outsider.address.replace(/\./g, "\\.")}, a VRRP router outside this cluster`);
        // The distinct refusals in the CLI's output.
        const refusals = (out: string) => [...new Set(out.split("\n").filter((l) => refusal.test(l)).map((l) => l.slice(l.indexOf("resource '")).trim()))];
        for (const args of [["preview"], ["up", "--yes"]]) {
            const r = pulumi(args, { allowFail: true });
            assert.notEqual(r.code, 0, `${args[0]} refuses:\n${r.out}`);
            const lines = refusals(r.out);
            assert.equal(lines.length, 1, `one line says it (the CLI prints it under the resource and again in the diagnostics):\n${r.out}`);
            assert.match(lines[0], new RegExp(`resource 'lb-check' has a problem: ${n1.name}, ${n2.name}: VRID 51 on eth0 is already in use by `), "both nodes heard it, named on the line");
            t.diagnostic(`${args[0]}: ${lines[0].trim()}`);
        }
        assert.deepEqual(nodes.map(changedSinceMark), before, "nothing on any node changed");

        // Another VRID on the segment is another cluster's business.
        startForeign(outsider, 61, foreignVip);
        await eventually("the foreign router is master again", () => holdsAddress(outsider, foreignVip), 15_000, 100);
        pulumi(["up", "--yes"]);
        await eventually("the VIP on its master", () => holdsAddress(n1, vip), 15_000, 100);

        // Listening on every run: the running cluster's own adverts (from its nodes' addresses) pass.
        setObjectConfig(project, { foreignRouterCheck: "always" });
        const second = pulumi(["up", "--yes"]);
        assert.match(second.out, /unchanged/, "the option changes nothing on the nodes");
        assert.ok(holdsAddress(n1, vip) && !holdsAddress(n2, vip));
        // ... and a foreign router that appears beside the running cluster is heard on demand. It outranks
        // the cluster's master, so it goes on advertising (one of lower priority falls silent as a backup).
        startForeign(outsider, 51, foreignVip, 254);
        await eventually("the foreign router advertises VRID 51", () => holdsAddress(outsider, foreignVip), 15_000, 100);
        const onDemand = pulumi(["preview"], { allowFail: true });
        assert.notEqual(onDemand.code, 0, `preview refuses:\n${onDemand.out}`);
        assert.equal(refusals(onDemand.out).length, 1, onDemand.out);
        stopForeign(outsider);

        pulumi(["destroy", "--yes"]);
    } finally {
        stopForeign(outsider);
        onHost(outsider, `rm -f ${FOREIGN_CONF}`, { allowFail: true });
    }
});
