// OvsMesh on real machines (seeds 003/004): Docker containers on different VMs reach each other through
// the Open vSwitch mesh (kernel datapath, dockerd configured through daemon.json), and destroy leaves
// each VM as it was. With PULUMI_ONPREM_VM_FULL=1 (npm run test:vm-full) also after ovs-vswitchd and
// dockerd crash (kill -9), across dockerd and Open vSwitch restarts and a reboot, a host leaving, and
// VXLAN after GRE: each waits for spanning tree again, about 15 minutes under TCG, beyond what `npm test`
// can spend within CI's time.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { test } from "node:test";
import { IPv4CidrRange } from "ip-num";
import type { OvsMeshHostOutput } from "../../sdk/ovsMesh";
import { eventually, inventory, type LabHost, onHost } from "../support/lab";
import { exampleProject, secondsSince, setObjectConfig, timedPulumi } from "../support/pulumi";
import { crashAndRecover, recoveryLine } from "../support/crash";
import { containerAddress as containerAddressOf, pingFromContainer, removeContainer, startContainer } from "../support/dockerContainers";
import { labKind, runOnHost } from "../support/vmlab";

const DAEMON_JSON = "/etc/docker/daemon.json";
const STANZAS = "/etc/network/interfaces.d/br0";
/** The operator's own underlay: eth1 with the inventory's underlay address, as ifupdown brings it up at boot. */
const UNDERLAY = "/etc/network/interfaces.d/eth1";
const CTR = "meshc";
/**
 * Tunnel devices on a host, but for the fallback devices the kernel makes when ip_gre loads (gre0,
 * gretap0, erspan0 "@NONE"): they are the module's, not the mesh's, and stay until it is unloaded.
 */
const TUNNEL_DEVICES = "(ip -o link show type gretap; ip -o link show type gre; ip -o link show type erspan; ip -o link show type vxlan; true) | grep -v '@NONE:' || true";
/** Spanning tree (the example's default, as in seed 003) holds new ports 2 x 15 s in listening and learning. */
const CONVERGE_MS = 150_000;

type HostOut = OvsMeshHostOutput;

const sh = (h: LabHost, script: string) => onHost(h, script).trim();

const FULL = process.env.PULUMI_ONPREM_VM_FULL === "1";

test(`OvsMesh on VMs: containers on 3 hosts reach each other through GRE at the full MTU${FULL ? ", again after ovs-vswitchd and dockerd are killed, across dockerd and Open vSwitch restarts and a reboot, a host leaves, VXLAN" : ""}, destroy restores each VM`, async (t) => {
    assert.equal(labKind(), "vm", "this test needs the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    const hosts = inventory().hosts.slice(0, 3);
    assert.equal(hosts.length, 3, "this test needs a VM lab of 3 (vmlab.sh up 3)");

    // What each VM holds before the test, to compare after destroy.
    const before = new Map<string, { daemonJson: string; bridges: string; stanzas: string; docker0: string; ovs: string }>();
    /** docker0's IPv4 address and the gateway dockerd hands its containers. */
    const docker0 = (h: LabHost) => sh(h, `ip -4 -o addr show dev docker0 | awk '{print $4}'; docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}'`);
    for (const h of hosts) {
        removeContainer(h, CTR);
        before.set(h.name, {
            daemonJson: sh(h, `cat ${DAEMON_JSON} 2>/dev/null || echo absent`),
            bridges: sh(h, "ovs-vsctl --timeout=10 list-br 2>/dev/null; true"),
            stanzas: sh(h, "ls /etc/network/interfaces.d"),
            docker0: docker0(h),
            ovs: sh(h, "systemctl is-active openvswitch-switch; true"),
        });
        assert.equal(before.get(h.name)!.bridges, "", `${h.name}: no OVS bridge before the test`);
        // The tunnel endpoint is the host's own business (kernel datapath): the underlay address on eth1.
        onHost(h, `printf 'auto eth1\\niface eth1 inet static\\n    address ${h.underlayAddress}\\n' > ${UNDERLAY} && ifdown eth1 >/dev/null 2>&1; ifup eth1`);
        assert.match(sh(h, "ip -o addr show dev eth1"), new RegExp(h.underlayAddress.replace(/\./g, "\\.")), `${h.name}: underlay address`);
    }

    const project = exampleProject("ovs-gre-mesh-docker");
    let destroyed = false;
    t.after(() => {
        if (!destroyed) {
            for (const h of hosts) removeContainer(h, CTR);
            project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        }
        for (const h of hosts) onHost(h, `ifdown eth1 >/dev/null 2>&1; rm -f ${UNDERLAY}; ip addr flush dev eth1; ip link set eth1 up`, { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const timed = timedPulumi(t, project);
    const up = () => {
        timed(["up", "--yes", "--skip-preview"]);
        assert.match(timed(["preview", "--expect-no-changes"]).out, /unchanged/, "a second run changes nothing");
    };
    const meshHosts = () => JSON.parse(project.pulumi(["stack", "output", "meshHosts", "--json"]).out) as Record<string, HostOut>;
    const meshMtu = () => Number(project.pulumi(["stack", "output", "mtu"]).out.trim());

    /** What a user checks on a mesh host: br0 on the kernel datapath with its tunnels, docker0 on it, dockerd configured. */
    const checkHost = (h: LabHost, o: HostOut, peers: LabHost[], type: string, mtu: number) => {
        assert.equal(sh(h, "ovs-vsctl list-br"), "br0", `${h.name}: one OVS bridge`);
        assert.match(sh(h, "ovs-vsctl get bridge br0 datapath_type"), /^("")?$|^system$/, `${h.name}: kernel datapath`);
        const ports = sh(h, "ovs-vsctl list-ports br0").split("\n").sort();
        assert.deepEqual(ports, peers.map((p) => o.tunnelPorts[p.name]).sort(), `${h.name}: a tunnel port per peer`);
        for (const p of peers) {
            const port = o.tunnelPorts[p.name];
            assert.equal(sh(h, `ovs-vsctl get interface ${port} type`), type, `${h.name}: ${port} is ${type}`);
            assert.equal(sh(h, `ovs-vsctl get interface ${port} options:remote_ip`), `"${p.underlayAddress.split("/")[0]}"`);
        }
        assert.equal(sh(h, "basename $(readlink /sys/class/net/br0/master)"), "docker0", `${h.name}: br0 is docker0's port`);
        assert.equal(sh(h, "ip -o -4 addr show dev docker0 scope global | awk '{print $4}'"), o.bridgeAddress, `${h.name}: docker0 holds the host's bridge address`);
        // docker0 is Docker's own bridge: dockerd resets its address at every start unless told it as "bip".
        const json = JSON.parse(sh(h, `cat ${DAEMON_JSON}`));
        assert.deepEqual([json.bip, json["fixed-cidr"], json.mtu, json.bridge], [o.bridgeAddress, o.subnet, mtu, undefined], `${h.name}: daemon.json`);
        // dockerd runs with them: its default network is on docker0, hands out the slice, at the mesh MTU.
        const net = sh(h, `docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}} {{index .Options "com.docker.network.driver.mtu"}} {{range .IPAM.Config}}{{.IPRange}} {{.Gateway}}{{end}}'`);
        assert.equal(net, `docker0 ${mtu} ${o.subnet} ${o.bridgeAddress.split("/")[0]}`, `${h.name}: dockerd's bridge network`);
        assert.equal(sh(h, "systemctl is-enabled openvswitch-switch docker | tr '\\n' ' '"), "enabled enabled", `${h.name}: units enabled`);
        assert.equal(sh(h, "systemctl is-active openvswitch-switch docker | tr '\\n' ' '"), "active active", `${h.name}: units running`);
    };

    /** The container's address, in the host's slice of the container network. */
    const containerAddress = async (h: LabHost, o: HostOut): Promise<string> => {
        const ip = await containerAddressOf(h, CTR);
        assert.ok(IPv4CidrRange.fromCidr(o.subnet).contains(IPv4CidrRange.fromCidr(`${ip}/32`)), `${h.name}: ${CTR} at ${ip}, in the host's slice ${o.subnet}`);
        return ip;
    };
    const ping = (h: LabHost, target: string, payload: number, count = 3) => pingFromContainer(h, CTR, target, payload, count);
    /** Every container reaches every other one at the full MTU (unfragmented); one byte more does not pass. */
    const matrix = async (list: LabHost[], what: string) => {
        const started = process.hrtime.bigint();
        const o = meshHosts();
        const mtu = meshMtu();
        const addr = new Map<string, string>();
        for (const h of list) addr.set(h.name, await containerAddress(h, o[h.name]));
        const rows: string[] = [];
        for (const a of list) {
            const cells: string[] = [];
            for (const b of list) {
                if (a === b) { cells.push("-"); continue; }
                let last = { ok: false, rtt: "" };
                await eventually(`${what}: ${a.name} -> ${b.name} at ${mtu - 28} bytes`, () => (last = ping(a, addr.get(b.name)!, mtu - 28, 1)).ok, CONVERGE_MS, 1_000);
                last = ping(a, addr.get(b.name)!, mtu - 28);
                assert.ok(last.ok, `${what}: ${a.name} -> ${b.name}: 3 pings at ${mtu - 28} bytes`);
                assert.equal(ping(a, addr.get(b.name)!, mtu - 27, 1).ok, false, `${what}: ${a.name} -> ${b.name}: ${mtu - 27} bytes must not pass`);
                cells.push(last.rtt);
            }
            rows.push(`${a.name} (${addr.get(a.name)}): ${cells.join(" | ")}`);
        }
        t.diagnostic(`${what}: containers ping each other at ${mtu - 28} bytes (-M do, MTU ${mtu}) within ${secondsSince(started).toFixed(1)} s; ${mtu - 27} bytes do not pass. RTT min/avg/max ms, row -> column:\n  ${rows.join("\n  ")}`);
        return addr;
    };

    // 1. GRE on 3 VMs.
    setObjectConfig(project, { hosts });
    up();
    let out = meshHosts();
    assert.equal(meshMtu(), 1462, "GRE over a 1500 underlay");
    for (const h of hosts) checkHost(h, out[h.name], hosts.filter((p) => p !== h), "gre", 1462);

    // 2. Real containers; the matrix; a TCP transfer.
    for (const h of hosts) startContainer(h, CTR);
    const addr = await matrix(hosts, "GRE, 3 hosts");
    {
        const [a, b] = hosts;
        const size = 4_000_000;
        // busybox's nc quits at EOF on either side: the listener's stdin stays open (sleep), the sender's
        // is a pipe (from a file it stops after the first read).
        onHost(b, `docker exec ${CTR} rm -f /tmp/x; docker exec -d ${CTR} sh -c 'sleep 300 | nc -l -p 5001 > /tmp/x'`);
        await eventually(`${b.name}: nc listens`, () => /:5001\b/.test(onHost(b, `docker exec ${CTR} netstat -ltn 2>/dev/null`, { allowFail: true })), 30_000, 500);
        const started = process.hrtime.bigint();
        const sent = sh(a, `docker exec ${CTR} sh -c 'head -c ${size} /dev/urandom > /tmp/y && md5sum < /tmp/y && cat /tmp/y | timeout 120 nc ${addr.get(b.name)} 5001; true'`).split(/\s/)[0];
        let got = "";
        await eventually(`${b.name}: ${size} bytes arrived`, () => (got = onHost(b, `docker exec ${CTR} sh -c 'wc -c < /tmp/x'`, { allowFail: true }).trim()) === String(size), 60_000, 500);
        const secs = secondsSince(started);
        assert.equal(sh(b, `docker exec ${CTR} sh -c 'md5sum < /tmp/x'`).split(/\s/)[0], sent, "the bytes arrived intact");
        t.diagnostic(`TCP ${a.name} -> ${b.name} container to container: ${size} bytes in ${secs.toFixed(1)} s (${(size / 1e6 / secs).toFixed(2)} MB/s), md5 equal (${got} bytes)`);
    }

    // 3. Crashes: kill -9 of ovs-vswitchd and of dockerd. systemd starts each again (their packages'
    // Restart=on-failure), dockerd its containers (--restart=always), and the mesh answers again once
    // spanning tree has let the re-added ports forward. In the full run: about 4 minutes under TCG.
    if (FULL) {
        const crashes = [{ h: hosts[1], unit: "ovs-vswitchd" }, { h: hosts[0], unit: "docker" }];
        for (const { h, unit } of crashes) {
            const r = await crashAndRecover(h, unit);
            assert.ok(r.restarts >= 1, `${h.name}: systemd restarted ${unit} by itself`);
            t.diagnostic(recoveryLine(h, unit, r));
        }
        for (const h of hosts) checkHost(h, out[h.name], hosts.filter((p) => p !== h), "gre", 1462);
        await matrix(hosts, `after kill -9 of ovs-vswitchd on ${hosts[1].name} and of dockerd on ${hosts[0].name}`);
    }

    // 4. Persistence: dockerd restarted, Open vSwitch restarted, a reboot.
    if (FULL) {
        onHost(hosts[0], "systemctl restart docker");
        await matrix(hosts, `after systemctl restart docker on ${hosts[0].name}`);
        onHost(hosts[1], "systemctl restart openvswitch-switch");
        await matrix(hosts, `after systemctl restart openvswitch-switch on ${hosts[1].name}`);
        {
            const vm = hosts[2];
            const started = process.hrtime.bigint();
            onHost(vm, "systemctl reboot", { allowFail: true });
            // The old system answers for a moment; wait for a new boot id.
            await new Promise((r) => setTimeout(r, 5_000));
            await eventually(`${vm.name} back after reboot`, () => runOnHost(vm, "test $(cut -d. -f1 /proc/uptime) -lt 600 && systemctl is-system-running --wait >/dev/null; s=$?; [ $s -le 1 ]", { allowFail: true, timeoutMs: 60_000 }).status === 0, 300_000, 3_000);
            t.diagnostic(`${vm.name} rebooted: SSH and systemd up after ${secondsSince(started).toFixed(1)} s`);
            assert.notEqual(sh(vm, "systemctl is-failed networking.service; true"), "failed", `${vm.name}: the stanzas did not break ifup -a at boot`);
            checkHost(vm, out[vm.name], hosts.filter((p) => p !== vm), "gre", 1462);
            await matrix(hosts, `after a reboot of ${vm.name}`);
            t.diagnostic(`${vm.name}: reboot to full container mesh ${secondsSince(started).toFixed(1)} s`);
        }
    }

    // 5. A host leaves the program (the full run: about 6 minutes under TCG; the netns tier has a host come
    // and go on every run).
    if (FULL) {
        const gone = hosts[2];
        const two = hosts.slice(0, 2);
        setObjectConfig(project, { hosts: two });
        up();
        out = meshHosts();
        for (const h of two) checkHost(h, out[h.name], two.filter((p) => p !== h), "gre", 1462);
        await matrix(two, `${gone.name} removed`);
        assert.equal(sh(gone, `ovs-vsctl --timeout=10 list-br 2>/dev/null; ${TUNNEL_DEVICES}`), "", `${gone.name}: no bridge, no tunnels`);
        assert.equal(sh(gone, `test -e ${STANZAS} && echo present || echo absent`), "absent", `${gone.name}: no stanzas`);
        const goneJson = sh(gone, `cat ${DAEMON_JSON} 2>/dev/null || echo absent`);
        assert.equal(goneJson, before.get(gone.name)!.daemonJson, `${gone.name}: daemon.json as before`);
        assert.equal(sh(gone, "systemctl is-active docker"), "active", `${gone.name}: docker runs`);
    }

    // 6. VXLAN on the 3 again.
    if (FULL) {
        project.pulumi(["config", "set", "tunnel", "vxlan"]);
        setObjectConfig(project, { hosts });
        up();
        out = meshHosts();
        assert.equal(meshMtu(), 1450, "VXLAN over a 1500 underlay");
        for (const h of hosts) checkHost(h, out[h.name], hosts.filter((p) => p !== h), "vxlan", 1450);
        await matrix(hosts, "VXLAN, 3 hosts");
    }

    // 7. destroy: each VM as before, docker running.
    for (const h of hosts) onHost(h, `docker rm -f ${CTR} >/dev/null`);
    timed(["destroy", "--yes", "--skip-preview"]);
    destroyed = true;
    for (const h of hosts) {
        const was = before.get(h.name)!;
        assert.equal(sh(h, "systemctl is-active openvswitch-switch; true"), was.ovs, `${h.name}: Open vSwitch running or stopped as before`);
        if (was.ovs === "active") assert.equal(sh(h, "ovs-vsctl --timeout=10 list-br"), "", `${h.name}: no OVS bridge`);
        assert.equal(sh(h, `test -e ${STANZAS} && echo present || echo absent`), "absent", `${h.name}: no stanzas`);
        assert.equal(sh(h, `cat ${DAEMON_JSON} 2>/dev/null || echo absent`), was.daemonJson, `${h.name}: daemon.json as before`);
        assert.equal(sh(h, "systemctl is-active docker"), "active", `${h.name}: docker runs`);
        assert.equal(sh(h, TUNNEL_DEVICES), "", `${h.name}: no tunnel devices`);
        assert.equal(sh(h, "docker ps -aq"), "", `${h.name}: no containers left`);
        // dockerd keeps its default network's gateway in its own store: the mesh's "bip" must not outlive it.
        assert.equal(docker0(h), was.docker0, `${h.name}: docker0's IPv4 address and dockerd's gateway as before`);
    }
});
