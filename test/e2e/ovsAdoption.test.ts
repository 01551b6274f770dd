/**
 * OvsMesh on hosts whose Open vSwitch was set up by hand, seed 003's way (`ovs-vsctl add-br br0`, a GRE
 * port per peer): a tunnel port OVS refuses fails the `up` naming host and port, never reports success;
 * declared under its hand name (`tunnelPortNames`) the operator's tunnel is adopted, the same record, and
 * carries the mesh; the operator's bridge is adopted, kept with its own ports, and given back (not deleted)
 * by destroy.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { test } from "node:test";
import { scrubMesh } from "../support/containers";
import { eventually, inventory, onHost } from "../support/lab";
import { exampleProject, setObjectConfig, timedPulumi } from "../support/pulumi";

const DAEMON_JSON = "/etc/docker/daemon.json";
const ours = (h: Parameters<typeof onHost>[0], table: string, name: string) =>
    onHost(h, `ovs-vsctl --format=csv --data=bare --no-headings --columns=external_ids list ${table} ${name}`).trim();

test("OvsMesh adopts a bridge made by hand: a tunnel OVS refuses fails the up naming host and port; the operator's bridge and ports stay through destroy", async (t) => {
    const hosts = inventory().hosts.slice(0, 3);
    const [h1, h2] = hosts;
    for (const h of hosts) scrubMesh(h, ["br0", "br-phy"], [DAEMON_JSON, "/etc/network/interfaces.d/br0"]);
    const remote = h2.underlayAddress.split("/")[0];
    // By hand, as seed 003 does it: the bridge, an operator's own internal port, and a GRE tunnel to the
    // second host that clashes with the one the mesh will declare (same type and remote: OVS takes one).
    onHost(h1, [
        "systemctl start openvswitch-switch",
        "ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev",
        "ovs-vsctl add-port br0 mgmt0 -- set interface mgmt0 type=internal",
        `ovs-vsctl add-port br0 gre0 -- set interface gre0 type=gre options:remote_ip=${remote}`,
    ].join(" && "));

    const project = exampleProject("ovs-gre-mesh-docker");
    let destroyed = false;
    t.after(() => {
        if (!destroyed) project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
        for (const h of hosts) scrubMesh(h, ["br0", "br-phy"], [DAEMON_JSON, "/etc/network/interfaces.d/br0"]);
    });
    const pulumi = timedPulumi(t, project);
    setObjectConfig(project, { hosts, datapathType: "netdev" });
    project.pulumi(["config", "set", "stp", "rstp"]);

    // OVS refuses the mesh's tunnel to h2 ("File exists": gre0 already is one): the up fails on h1 and says which.
    const refused = pulumi(["up", "--yes", "--skip-preview"], { allowFail: true });
    assert.notEqual(refused.code, 0, `up must not report success:\n${refused.out}`);
    const port = `gre-${h2.name}`;
    const line = refused.out.split("\n").find((l) => l.includes(`${port} `) && l.includes("could not add network device") && l.includes("File exists"));
    assert.ok(line, `the output names the refused port and OVS's reason:\n${refused.out}`);
    assert.match(refused.out, new RegExp(`${h1.name}|${h1.address.replace(/\./g, "\\.")}`), "and the host");
    t.diagnostic(`refused tunnel: ${line.trim()}`);
    assert.match(onHost(h1, "ovs-vsctl list-ports br0"), /^gre0$/m, "the operator's tunnel is untouched");

    // Declared under the operator's name, the hand tunnel is the mesh's port to h2: kept (the same OVSDB
    // record, so never deleted and re-created), marked adopted; the bridge and mgmt0 stay.
    const gre0 = onHost(h1, "ovs-vsctl get interface gre0 _uuid").trim();
    setObjectConfig(project, { hosts: hosts.map((h) => (h === h1 ? { ...h, tunnelPortNames: { [h2.name]: "gre0" } } : h)) });
    pulumi(["up", "--yes", "--skip-preview"]);
    assert.match(pulumi(["preview", "--expect-no-changes"]).out, /unchanged/);
    assert.equal(onHost(h1, "ovs-vsctl get interface gre0 _uuid").trim(), gre0, "the hand tunnel is the same record");
    assert.match(ours(h1, "port", "gre0"), /pulumi-onprem-adopted=yes/, "the hand tunnel is marked adopted");
    assert.match(ours(h1, "bridge", "br0"), /pulumi-onprem-adopted=yes/, "the hand bridge is marked adopted");
    assert.doesNotMatch(ours(h2, "bridge", "br0"), /adopted/, "a bridge the mesh made is not");
    assert.deepEqual(onHost(h1, "ovs-vsctl list-ports br0").trim().split("\n").sort(), ["gre0", "mgmt0", `gre-${hosts[2].name}`].sort());
    // The tunnel carries the mesh: h1's bridge address reaches h2's over it.
    const bridgeAddress = (h: typeof h1) => onHost(h, "ip -4 -o addr show dev docker0 | awk '{print $4}'").trim().split("/")[0];
    const h2Bridge = bridgeAddress(h2);
    await eventually(`${h1.name} reaches ${h2.name}'s bridge address ${h2Bridge}`, () => onHost(h1, `ping -c 1 -W 1 ${h2Bridge} >/dev/null && echo ok`, { allowFail: true }).trim() === "ok", 60_000, 500);

    // destroy gives the hand bridge back with the operator's port; what the mesh made goes.
    pulumi(["destroy", "--yes", "--skip-preview"]);
    destroyed = true;
    assert.equal(onHost(h1, "systemctl is-active openvswitch-switch; true").trim(), "active", "Open vSwitch ran before on h1: it still does");
    assert.deepEqual(onHost(h1, "ovs-vsctl list-ports br0").trim().split("\n").sort(), ["gre0", "mgmt0"], "h1 keeps its bridge and its own ports; the mesh's own tunnels are gone");
    assert.doesNotMatch(ours(h1, "port", "gre0"), /pulumi-onprem/, "none of our keys are left on the hand tunnel");
    assert.doesNotMatch(ours(h1, "bridge", "br0"), /pulumi-onprem/, "none of our keys are left on it");
    for (const h of hosts.slice(1)) {
        onHost(h, "systemctl start openvswitch-switch");
        assert.equal(onHost(h, "ovs-vsctl list-br"), "", `${h.name}: the bridge the mesh made is gone`);
        onHost(h, "systemctl stop openvswitch-switch");
    }
});
