import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { test } from "node:test";
import type { OvsMeshHostOutput } from "../../sdk/ovsMesh";
import { attachContainer, containerAddress, pings, scrubMesh } from "../support/containers";
import { eventually, inventory, onHost } from "../support/lab";
import { exampleProject, setObjectConfig } from "../support/pulumi";

const CTR = "ctr";
const QUARANTINED = "q";

type HostOut = OvsMeshHostOutput;

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

test("OvsMesh over VXLAN with VLAN tags and OpenFlow rules through the real CLI: tagged containers reach each other at the full MTU, a quarantine rule holds, a deleted rule is seen and restored, destroy removes all", async (t) => {
    const hosts = inventory().hosts.slice(0, 3);
    for (const h of hosts) scrubMesh(h, ["ovs0", "br-phy"], ["/etc/docker/daemon.json", "/etc/network/interfaces.d/ovs0"]);
    const [h1, h2, h3] = hosts;
    // The seed's subnets: slot N holds 192.168.N.0/24; one address on the third host is cut off.
    const quarantined = "192.168.3.9";

    const project = exampleProject("ovs-vxlan-vlans-flows");
    let destroyed = false;
    t.after(() => {
        if (!destroyed) project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    setObjectConfig(project, { hosts, datapathType: "netdev", quarantine: [quarantined], dockerMode: "none" });
    const timed = (args: string[]) => {
        const started = process.hrtime.bigint();
        const r = project.pulumi(args);
        t.diagnostic(`pulumi ${args[0]}: ${seconds(started).toFixed(1)} s`);
        return r.out;
    };

    const preview = timed(["preview", "--diff"]);
    assert.match(preview, /priority=100,cookie=0x[0-9a-f]+,ip,nw_dst=192\.168\.3\.9,actions=drop/, "preview shows the rules");
    timed(["up", "--yes", "--skip-preview"]);
    const out = JSON.parse(project.pulumi(["stack", "output", "meshHosts", "--json"]).out) as Record<string, HostOut>;
    const cookie = project.pulumi(["stack", "output", "flowCookie"]).out.trim();
    // VXLAN takes 50 bytes and the VLAN tag 4 more: 1446.
    const mtu = out[h1.name].mtu;
    assert.equal(mtu, 1446);
    assert.deepEqual(hosts.map((h) => out[h.name].subnet), ["192.168.1.0/24", "192.168.2.0/24", "192.168.3.0/24"]);

    // VLANs: the bridge's own port (the Docker bridge's uplink) on 100 everywhere, vlan200 on the first host only.
    for (const h of hosts) assert.equal(onHost(h, "ovs-vsctl get port ovs0 tag").trim(), "100");
    assert.equal(onHost(h1, "ovs-vsctl get port vlan200 tag").trim(), "200");
    assert.equal(onHost(h2, "ovs-vsctl --if-exists get port vlan200 tag; ovs-vsctl list-ports ovs0").includes("vlan200"), false);
    assert.match(onHost(h2, `ovs-vsctl get interface ${out[h2.name].tunnelPorts[h1.name]} options`).trim(), /key="?5001"?/);
    const rules = onHost(h3, `ovs-ofctl --names --no-stats dump-flows ovs0 cookie=${cookie}/-1`);
    assert.match(rules, /priority=100,ip,nw_dst=192\.168\.3\.9 actions=drop/);
    assert.match(rules, /priority=10,arp actions=NORMAL/);
    t.diagnostic(`rules under cookie ${cookie} on ${h3.name}:\n${rules.trim()}`);

    const address = (name: string) => containerAddress(out[name].subnet, 16);
    for (const h of hosts) attachContainer(h, CTR, address(h.name), mtu);
    attachContainer(h3, QUARANTINED, `${quarantined}/16`, mtu);
    const started = process.hrtime.bigint();
    for (const a of hosts) {
        for (const b of hosts) {
            if (a === b) continue;
            await eventually(`${a.name} -> ${b.name} at ${mtu - 28} bytes over VLAN 100 and VXLAN`, () => pings(a, CTR, address(b.name), mtu - 28), 45_000, 250);
            assert.equal(pings(a, CTR, address(b.name), mtu - 27, 1), false, `${a.name} -> ${b.name}: ${mtu - 27} bytes must not pass`);
        }
    }
    t.diagnostic(`3 hosts over VXLAN + VLAN 100: every pair answers at ${mtu - 28} bytes (-M do) within ${seconds(started).toFixed(1)} s; ${mtu - 27} bytes do not pass`);
    for (const a of [h1, h2]) assert.equal(pings(a, CTR, quarantined, 56, 1), false, `${a.name} cannot reach the quarantined ${quarantined}`);

    // A rule deleted by hand: refresh shows the rules the switch holds now; up puts the rule back.
    // (Every host holds the rule, so the address stays cut off through the others meanwhile.)
    onHost(h1, `ovs-ofctl del-flows ovs0 "cookie=${cookie}/-1,ip"`);
    const refresh = timed(["refresh", "--yes", "--diff"]);
    assert.match(refresh, /1 updated|~ 1 to update|1 to update/, refresh);
    assert.match(refresh, /-\s+table=0,priority=100,cookie=0x[0-9a-f]+,ip,nw_dst=192\.168\.3\.9,actions=drop/, "refresh shows the missing rule");
    timed(["up", "--yes", "--skip-preview"]);
    assert.match(onHost(h1, `ovs-ofctl --no-stats dump-flows ovs0 cookie=${cookie}/-1`), /nw_dst=192\.168\.3\.9 actions=drop/);
    assert.equal(pings(h1, CTR, quarantined, 56, 1), false, "the rule holds again");

    // A rule the operator added by hand (another cookie) is not ours: our changes leave it alone.
    onHost(h2, 'ovs-ofctl add-flow ovs0 "cookie=0x77,priority=1,udp,tp_dst=9,actions=drop"');
    setObjectConfig(project, { quarantine: [] });
    timed(["up", "--yes", "--skip-preview"]);
    assert.doesNotMatch(onHost(h3, `ovs-ofctl --no-stats dump-flows ovs0 cookie=${cookie}/-1`), /nw_dst/, "the quarantine rule is gone");
    await eventually("the released address answers", () => pings(h1, CTR, quarantined, 56), 10_000, 250);
    assert.match(onHost(h2, "ovs-ofctl --no-stats dump-flows ovs0 cookie=0x77/-1"), /tp_dst=9/, "the operator's rule is still there");

    for (const h of hosts) onHost(h, `ip netns del ${CTR}; ip netns del ${QUARANTINED} 2>/dev/null; true`);
    timed(["destroy", "--yes", "--skip-preview"]);
    destroyed = true;
    for (const h of hosts) {
        onHost(h, "systemctl start openvswitch-switch");
        assert.equal(onHost(h, "ovs-vsctl list-br"), "", `${h.name}: no bridge left`);
        onHost(h, "systemctl stop openvswitch-switch");
        assert.equal(onHost(h, "ip -br link show type bridge; ip -o addr show dev eth1 scope global; ls /etc/network/interfaces.d; true"), "", `${h.name}: nothing of the mesh left`);
        assert.equal(onHost(h, "cat /sys/class/net/eth1/operstate").trim(), "up", `${h.name}: the underlay port is up, as before`);
    }
});
