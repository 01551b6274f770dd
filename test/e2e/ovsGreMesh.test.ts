import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { test } from "node:test";
import type { OvsMeshHostOutput } from "../../sdk/ovsMesh";
import { attachContainer, containerAddress, detachContainer, pings, scrubMesh } from "../support/containers";
import { eventually, inventory, LabHost, onHost } from "../support/lab";
import { exampleProject, setObjectConfig } from "../support/pulumi";

const DAEMON_JSON = "/etc/docker/daemon.json";
/** The operator's own daemon.json on the first host: `mtu` is a key the mesh takes over, the others are not. */
const OPERATOR_DAEMON_JSON = '{\n  "log-driver": "json-file",\n  "log-opts": { "max-size": "10m" },\n  "mtu": 1500\n}\n';
const CTR = "ctr";

type HostOut = OvsMeshHostOutput;

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

test("OvsMesh over GRE through the real CLI: containers on 3 hosts reach each other at the full MTU, a 4th host comes and goes, a deleted tunnel is restored, destroy leaves the operator's daemon.json keys", async (t) => {
    const all = inventory().hosts;
    assert.ok(all.length >= 4, "this test needs a lab of 4 hosts (lab.sh up 4)");
    const hosts4 = all.slice(0, 4);
    const hosts = hosts4.slice(0, 3);
    for (const h of hosts4) scrubMesh(h, ["br0", "br-phy"], [DAEMON_JSON, "/etc/network/interfaces.d/br0"]);
    onHost(hosts[0], `mkdir -p /etc/docker && printf '%s' '${OPERATOR_DAEMON_JSON}' > ${DAEMON_JSON}`);

    const project = exampleProject("ovs-gre-mesh-docker");
    let destroyed = false;
    t.after(() => {
        // A failure midway still leaves the lab's hosts clean for the next test.
        if (!destroyed) project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    setObjectConfig(project, { hosts, datapathType: "netdev" });
    // RSTP: the lab's pings should not wait out STP's 30 s of listening and learning. Seed 003's /18 slices
    // hold 3 hosts; /20 slices make room for the 4th (the unit tests check the seed's own numbers).
    project.pulumi(["config", "set", "stp", "rstp"]);
    project.pulumi(["config", "set", "hostPrefixLength", "20"]);
    project.pulumi(["config", "set", "bridgeAddressBlock", "172.17.0.0/24"]);
    const timed = (args: string[], opts?: { allowFail?: boolean }) => {
        const started = process.hrtime.bigint();
        const r = project.pulumi(args, opts);
        t.diagnostic(`pulumi ${args[0]}: ${seconds(started).toFixed(1)} s`);
        return r;
    };
    const meshHosts = () => JSON.parse(project.pulumi(["stack", "output", "meshHosts", "--json"]).out) as Record<string, HostOut>;

    const preview = timed(["preview", "--diff"]).out;
    assert.match(preview, /\/etc\/network\/interfaces\.d\/br0/, "preview shows the interfaces.d file");
    assert.match(preview, /fixed-cidr\s*:\s*"172\.17\.16\.0\/20"/, "and the daemon.json keys of the first host");
    assert.match(preview, /ovsdb records of mesh mesh/, "and the live states");
    assert.equal(onHost(hosts[1], "ovs-vsctl --timeout=2 list-br 2>/dev/null; true"), "", "preview changed nothing");

    // A "bridge" in the operator's daemon.json clashes with the mesh's "bip" (docker0's address): that host's
    // apply stops at validation and changes nothing there; the next up, once the key is gone, completes.
    onHost(hosts[0], `printf '%s' '${OPERATOR_DAEMON_JSON.replace('"mtu": 1500', '"mtu": 1500,\n  "bridge": "br-other"')}' > ${DAEMON_JSON}`);
    const clash = timed(["up", "--yes", "--skip-preview"], { allowFail: true });
    assert.notEqual(clash.code, 0);
    assert.match(clash.out, /daemon\.json sets "bridge", which Docker refuses together with "bip"/);
    assert.match(onHost(hosts[0], `cat ${DAEMON_JSON}`), /"br-other"/, "the host's daemon.json is untouched");
    assert.equal(onHost(hosts[0], "ip -br link show type bridge; true"), "", "and it got no bridge");
    onHost(hosts[0], `printf '%s' '${OPERATOR_DAEMON_JSON}' > ${DAEMON_JSON}`);
    timed(["up", "--yes", "--skip-preview"]);
    const out = meshHosts();
    // Slots 1-3 in host order, bridges at the block's N-th address, GRE's MTU 1500 - 38.
    assert.deepEqual(
        hosts.map((h) => [out[h.name].subnet, out[h.name].bridgeAddress, out[h.name].mtu]),
        [
            ["172.17.16.0/20", "172.17.0.1/16", 1462],
            ["172.17.32.0/20", "172.17.0.2/16", 1462],
            ["172.17.48.0/20", "172.17.0.3/16", 1462],
        ],
    );
    const mtu = out[hosts[0].name].mtu;
    const json0 = JSON.parse(onHost(hosts[0], `cat ${DAEMON_JSON}`));
    assert.deepEqual(json0, { "log-driver": "json-file", "log-opts": { "max-size": "10m" }, mtu: 1462, bip: "172.17.0.1/16", "fixed-cidr": "172.17.16.0/20" });
    // By default the stanzas bring up only the Docker bridge; OVSDB keeps the OVS bridges by itself.
    const stanzas = onHost(hosts[1], "cat /etc/network/interfaces.d/br0");
    assert.match(stanzas, /iface docker0 inet static\n    address 172\.17\.0\.2\n    netmask 255\.255\.0\.0\n    bridge_ports br0/);
    assert.doesNotMatch(stanzas, /allow-ovs/);

    const address = (h: LabHost, o = meshHosts()) => containerAddress(o[h.name].subnet, 16);
    const attachAll = (list: LabHost[], o: Record<string, HostOut>) => list.forEach((h) => attachContainer(h, CTR, address(h, o), mtu));
    /** Every container reaches every other one with a full-size unfragmented packet; one byte more does not leave. */
    const fullMesh = async (list: LabHost[], o: Record<string, HostOut>, what: string) => {
        const started = process.hrtime.bigint();
        for (const a of list) {
            for (const b of list) {
                if (a === b) continue;
                await eventually(`${what}: ${a.name} -> ${b.name} at ${mtu - 28} bytes`, () => pings(a, CTR, address(b, o), mtu - 28), 45_000, 250);
                assert.equal(pings(a, CTR, address(b, o), mtu - 27, 1), false, `${a.name} -> ${b.name}: ${mtu - 27} bytes must not pass`);
            }
        }
        t.diagnostic(`${what}: every pair answers at ${mtu - 28} bytes (-M do) within ${seconds(started).toFixed(1)} s; ${mtu - 27} bytes do not pass`);
    };
    attachAll(hosts, out);
    await fullMesh(hosts, out, "3 hosts");

    // The computed MTU is the tunnel's real limit: one byte more on two hosts' bridges and containers is lost on the way.
    const [a, b] = hosts;
    const raise = (h: LabHost, m: number) => onHost(h, `ovs-vsctl set interface br0 mtu_request=${m} && ip link set docker0 mtu ${m} && ip link set ${CTR}-h mtu ${m} && ip -n ${CTR} link set eth0 mtu ${m}`);
    raise(a, mtu + 1);
    raise(b, mtu + 1);
    await eventually("the raised MTU is in place", () => onHost(a, "cat /sys/class/net/br0/mtu").trim() === String(mtu + 1));
    assert.equal(pings(a, CTR, address(b, out), mtu - 27, 2), false, `${mtu - 27} bytes do not fit the tunnel even where the bridges allow them`);
    assert.ok(pings(a, CTR, address(b, out), mtu - 28), `${mtu - 28} bytes still do`);
    raise(a, mtu);
    raise(b, mtu);
    t.diagnostic(`with MTU ${mtu + 1} on two hosts, ${mtu - 27}-byte pings are lost in the GRE underlay: ${mtu} is the largest that fits`);

    // A 4th host: the first three keep their subnets and bridge addresses; the new one reaches them.
    setObjectConfig(project, { hosts: hosts4 });
    const grow = timed(["preview", "--diff"]).out;
    assert.match(grow, new RegExp(`gre-${hosts4[3].name}`), "the new tunnel ports show in the preview");
    timed(["up", "--yes", "--skip-preview"]);
    const out4 = meshHosts();
    for (const h of hosts) assert.deepEqual(out4[h.name], { ...out[h.name], tunnelPorts: out4[h.name].tunnelPorts }, `${h.name} keeps its slot, subnet and bridge address`);
    assert.deepEqual([out4[hosts4[3].name].subnet, out4[hosts4[3].name].bridgeAddress], ["172.17.64.0/20", "172.17.0.4/16"], "the new host takes the next free slot");
    t.diagnostic(`4th host ${hosts4[3].name}: slot ${out4[hosts4[3].name].slot}, ${out4[hosts4[3].name].subnet}, bridge ${out4[hosts4[3].name].bridgeAddress}`);
    attachContainer(hosts4[3], CTR, address(hosts4[3], out4), mtu);
    await fullMesh(hosts4, out4, "4 hosts");

    // And it goes again: nothing of it remains on the others.
    detachContainer(hosts4[3], CTR);
    setObjectConfig(project, { hosts });
    timed(["up", "--yes", "--skip-preview"]);
    const gone = hosts4[3];
    for (const h of hosts) {
        const ovs = onHost(h, "ovs-vsctl show");
        assert.doesNotMatch(ovs, new RegExp(`gre-${gone.name}|${gone.underlayAddress.split("/")[0].replace(/\./g, "\\.")}`), `${h.name} has no tunnel to ${gone.name} left`);
    }
    assert.equal(onHost(gone, "ovs-vsctl --timeout=2 list-br 2>/dev/null; ip -br link show type bridge; ls /etc/network/interfaces.d; true"), "", `${gone.name} is as before`);
    assert.equal(onHost(gone, "cat /sys/class/net/eth1/operstate").trim(), "up", `${gone.name}: the underlay port is up, as before`);
    // The departed host may have been the spanning tree's root: the others elect a new one (see render/ovs/ovsdb.ts).
    await fullMesh(hosts, out, "3 hosts again");

    // A tunnel port deleted by hand shows in refresh; up puts it back.
    const port = out[a.name].tunnelPorts[b.name];
    onHost(a, `ovs-vsctl del-port br0 ${port}`);
    const refresh = timed(["refresh", "--yes", "--diff"]).out;
    assert.match(refresh, /1 updated|~ 1 to update|1 to update/, refresh);
    assert.match(refresh, new RegExp(`-\\s+port br0 ${port} `), "the missing port is shown as the drift");
    timed(["up", "--yes", "--skip-preview"]);
    assert.match(onHost(a, "ovs-vsctl list-ports br0"), new RegExp(`^${port}$`, "m"), "up restored the port");
    await fullMesh(hosts, out, "after the repair");
    assert.match(timed(["preview", "--expect-no-changes"]).out, /unchanged/);

    // destroy: our bridges, ports, links and keys go; the operator's daemon.json keys (and its mtu) come back.
    for (const h of hosts) detachContainer(h, CTR);
    timed(["destroy", "--yes", "--skip-preview"]);
    destroyed = true;
    for (const h of hosts) {
        assert.equal(onHost(h, "systemctl is-active openvswitch-switch; true").trim(), "inactive", "Open vSwitch stopped: it was not running before");
        onHost(h, "systemctl start openvswitch-switch");
        assert.equal(onHost(h, "ovs-vsctl list-br"), "", `${h.name}: no bridge left in OVSDB`);
        onHost(h, "systemctl stop openvswitch-switch");
        assert.equal(onHost(h, "ip -br link show type bridge; ip -o addr show dev eth1 scope global; ls /etc/network/interfaces.d; true"), "", `${h.name}: no docker0, no underlay address, no stanzas`);
        assert.equal(onHost(h, "cat /sys/class/net/eth1/operstate").trim(), "up", `${h.name}: the underlay port is up, as before`);
        if (h === hosts[0]) assert.deepEqual(JSON.parse(onHost(h, `cat ${DAEMON_JSON}`)), JSON.parse(OPERATOR_DAEMON_JSON), "daemon.json is the operator's again");
        else assert.equal(onHost(h, `test -e ${DAEMON_JSON} && echo yes || echo no`), "no\n", "daemon.json that did not exist is gone");
    }
});
