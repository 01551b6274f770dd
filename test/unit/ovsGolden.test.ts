/**
 * Golden files for the OvsMesh renderers, one case per file under test/golden/ovs/. UPDATE_GOLDEN=1
 * rewrites them; review the diff like code. Where a tool that reads the format is installed, the
 * golden is also fed to it: `ifup --no-act` for interfaces stanzas, `sh` for ifcfg and DOCKER_OPTS
 * files, `ovs-ofctl parse-flow` for flows, `dockerd --validate` for daemon.json.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { FILE_MERGERS } from "../../provider/contract/mergers";
import type { OvsMeshInput } from "../../provider/plan/ovs/args";
import type { HostMeshPlan } from "../../provider/plan/ovs/model";
import { DAEMON_JSON_PATH, DAEMON_JSON_VALIDATOR } from "../../provider/render/docker/daemonJson";
import { renderDockerOpts } from "../../provider/render/docker/dockerOpts";
import { renderIfcfg } from "../../provider/render/ovs/ifcfg";
import { renderInterfaces } from "../../provider/render/ovs/interfaces";
import { ovsVsctlArgs } from "../../provider/render/ovs/ovsdb";
import { ovsMeshHostWork } from "../../provider/work/ovsMesh";
import { planMesh, seed003 as seed003Base } from "../fixtures/ovsSeeds";
import { expectGolden, joinFiles } from "../support/golden";
import { has } from "../support/tools";

const GOLDEN_DIR = join(__dirname, "..", "golden", "ovs");
const scratch = mkdtempSync(join(tmpdir(), "ovs-golden-"));
after(() => rmSync(scratch, { recursive: true, force: true }));



// Seed 003: host1-3 at 1.1.1.1-3.3.3.3, GRE full mesh, STP, MTU 1462, /18 slices, bridges 172.17.42.N,
// DOCKER_OPTS with the unix socket (the seed's tcp://0.0.0.0:2375 is refused by the validator).
const seed003: OvsMeshInput = { ...seed003Base(), docker: { mode: "default-file", hosts: ["unix:///var/run/docker.sock"] } };

// Seed 004: two hosts (172.29.101.123 and .82), VXLAN with key=flow, bridge ovs0, the containers of each
// host on VLAN 100 (the Docker bridge's uplink tagged), a VLAN 200 port on host1, and OpenFlow rules
// between the tunnel and that port. The seed's subnets 192.168.1.0/24 and 192.168.2.0/24 are slots 1 and 2.
const seed004: OvsMeshInput = {
    name: "seed004",
    hosts: [
        { name: "host1", underlayAddress: "172.29.101.123" },
        { name: "host2", underlayAddress: "172.29.101.82" },
    ],
    bridge: "ovs0",
    tunnel: { type: "vxlan", key: "flow" },
    containerNetwork: "192.168.0.0/16",
    hostPrefixLength: 24,
    vlans: [
        { port: "ovs0", tag: 100 },
        { port: "vlan200", tag: 200, hosts: ["host1"] },
    ],
    flows: [
        { priority: 4, match: "in_port=vxlan-host2", actions: "output:vlan200", hosts: ["host1"] },
        { priority: 4, match: "in_port=vlan200", actions: "output:vxlan-host2", hosts: ["host1"] },
        { priority: 2, match: "in_port=vlan200,dl_type=0x0806", actions: "NORMAL" },
    ],
    docker: { mode: "none" },
    osConfig: { ovs: true },
};

// The netns lab: userspace datapath, the underlay address on br-phy with eth1 as its port.
const labNetdev: OvsMeshInput = {
    name: "lab",
    hosts: [
        { name: "h1", underlayAddress: "10.79.1.11/24" },
        { name: "h2", underlayAddress: "10.79.1.12/24" },
        { name: "h3", underlayAddress: "10.79.1.13/24" },
    ],
    tunnel: { type: "gre" },
    stp: "rstp",
    containerNetwork: "10.80.0.0/16",
    datapathType: "netdev",
    underlayBridge: { port: "eth1" },
    osConfig: { ovs: true },
};

// Seed 003 as operators built it: host1's ports made by hand as gre0 (to host2) and gre1 (to host3), kept by name.
const seed003HandNamed: OvsMeshInput = { ...seed003, hosts: seed003.hosts.map((h) => (h.name === "host1" ? { ...h, tunnelPortNames: { host2: "gre0", host3: "gre1" } } : h)) };

const plan003 = planMesh(seed003);
const plan003HandNamed = planMesh(seed003HandNamed);
const plan004 = planMesh(seed004);
const planLab = planMesh(labNetdev);

const interfacesCases: [string, HostMeshPlan][] = [
    ["seed003-host1.interfaces", plan003.hosts.host1],
    ["seed003-host2.interfaces", plan003.hosts.host2],
    ["seed003-host3.interfaces", plan003.hosts.host3],
    ["seed003-handnamed-host1.interfaces", plan003HandNamed.hosts.host1],
    ["seed004-host1.interfaces", plan004.hosts.host1],
    ["seed004-host2.interfaces", plan004.hosts.host2],
    ["lab-netdev-h1.interfaces", planLab.hosts.h1],
];
const ifcfgCases: [string, HostMeshPlan][] = [
    ["seed003-host1.ifcfg", plan003.hosts.host1],
    ["seed003-handnamed-host1.ifcfg", plan003HandNamed.hosts.host1],
    ["seed004-host1.ifcfg", plan004.hosts.host1],
    ["lab-netdev-h1.ifcfg", planLab.hosts.h1],
];

describe("interfaces.d stanzas", () => {
    for (const [name, host] of interfacesCases) {
        test(name, () => {
            const file = renderInterfaces(host);
            assert.equal(file.path, `/etc/network/interfaces.d/${host.bridge}`);
            assert.ok(file.content.startsWith("# Managed by pulumi-onprem: changes made here are reverted by the next `pulumi up`.\n"));
            expectGolden(GOLDEN_DIR, name, file.content);
        });
        test(`${name}: ifup --no-act parses it`, { skip: has("ifup") ? false : "ifupdown is not installed" }, () => {
            const file = join(scratch, name);
            writeFileSync(file, renderInterfaces(host).content);
            const ifaces = [...renderInterfaces(host).content.matchAll(/^iface (\S+)/gm)].map((m) => m[1]);
            const run = spawnSync("ifup", ["--no-act", "--no-loopback", "-i", file, `--state-dir=${join(scratch, "state")}`, ...ifaces], { encoding: "utf8" });
            assert.equal(run.status, 0, run.stderr);
            const [address, prefix] = host.bridgeAddress.split("/");
            assert.match(run.stdout + run.stderr, new RegExp(`ip addr add ${address.replace(/\./g, "\\.")}/255\\.255\\.${prefix === "16" ? "0" : "\\d+"}\\.0`));
            const ovs = spawnSync("ifquery", ["-i", file, "--list", "--allow=ovs"], { encoding: "utf8" });
            assert.deepEqual(ovs.stdout.trim().split("\n").sort(), host.ovs.bridges.map((b) => b.name).sort());
            const ports = spawnSync("ifquery", ["-i", file, "--list", `--allow=${host.bridge}`], { encoding: "utf8" });
            assert.deepEqual(ports.stdout.trim().split("\n").filter(Boolean).sort(), host.ovs.ports.filter((p) => p.bridge === host.bridge).map((p) => p.name).sort());
        });
    }

    test("with osConfig.ovs false only the Docker bridge is written", () => {
        const plan = planMesh({ ...seed003, osConfig: { ovs: false } });
        const content = renderInterfaces(plan.hosts.host2).content;
        assert.doesNotMatch(content, /ovs_type/);
        assert.match(content, /iface docker0 inet static\n    address 172\.17\.42\.2\n/);
    });
});

describe("ifcfg files", () => {
    for (const [name, host] of ifcfgCases) {
        test(name, () => expectGolden(GOLDEN_DIR, name, joinFiles(renderIfcfg(host))));
        test(`${name}: every file is sh that sets DEVICE to its own name`, () => {
            for (const f of renderIfcfg(host)) {
                const path = join(scratch, f.path.split("/").pop() as string);
                writeFileSync(path, f.content);
                const run = spawnSync("sh", ["-c", 'set -eu; . "$1"; printf "%s|%s|%s" "$DEVICE" "${DEVICETYPE:-}" "${OVS_TUNNEL_OPTIONS:-}"', "sh", path], { encoding: "utf8" });
                assert.equal(run.status, 0, run.stderr);
                const [device, devicetype, options] = run.stdout.split("|");
                assert.equal(`ifcfg-${device}`, f.path.split("/").pop());
                if (device !== host.dockerBridge) assert.equal(devicetype, "ovs");
                const port = host.tunnelPorts.find((t) => t.name === device);
                if (port) assert.ok(options.includes(`options:remote_ip=${port.remoteIp.includes(":") ? `"${port.remoteIp}"` : port.remoteIp}`), options);
            }
        });
    }
});

describe("Docker options", () => {
    test("seed003-host1.daemon.json: the mesh's keys merged into a file that has others", () => {
        // The file as the mesh hands it to the engine, merged the way the engine merges it.
        const host1 = planMesh({ ...seed003, docker: { mode: "daemon-json" } }).hosts.host1;
        const file = ovsMeshHostWork(host1).files.find((f) => f.path === DAEMON_JSON_PATH);
        assert.ok(file?.merge, "daemon.json is merged, not replaced");
        const current = JSON.stringify({ "log-driver": "json-file", "log-opts": { "max-size": "10m" }, "insecure-registries": ["registry.lan:5000"] });
        const merged = FILE_MERGERS[file.merge].merge(current, file.content, [], file.path);
        expectGolden(GOLDEN_DIR, "seed003-host1.daemon.json", merged);
        assert.deepEqual(JSON.parse(merged)["log-opts"], { "max-size": "10m" });
    });

    test("seed003-host1.daemon.json: the validator the hosts run accepts it, and refuses a broken file", { skip: has("dockerd") ? false : "dockerd is not installed" }, () => {
        const validate = (text: string) => {
            const file = join(scratch, "daemon.json");
            writeFileSync(file, text);
            return spawnSync("sh", ["-c", DAEMON_JSON_VALIDATOR.command.replace(/\{\{staged:[^}]+\}\}/g, file)], { encoding: "utf8" });
        };
        const good = validate(readFileSync(join(GOLDEN_DIR, "seed003-host1.daemon.json"), "utf8"));
        assert.equal(good.status, 0, good.stderr);
        assert.notEqual(validate('{ "bridge": "docker0", }').status, 0, "a trailing comma is refused");
        assert.notEqual(validate('["bridge"]').status, 0, "a JSON list is refused");
    });

    test("seed003-host1.default-docker: DOCKER_OPTS as seed 003 sets it, without the TCP listener, docker0's address as --bip (today's dockerd resets it otherwise)", () => {
        const content = renderDockerOpts(plan003.hosts.host1.docker.options);
        expectGolden(GOLDEN_DIR, "seed003-host1.default-docker", content);
        const file = join(scratch, "default-docker");
        writeFileSync(file, content);
        const run = spawnSync("sh", ["-c", '. "$1"; printf "%s" "$DOCKER_OPTS"', "sh", file], { encoding: "utf8" });
        assert.equal(run.stdout, "--bip=172.17.42.1/16 --fixed-cidr=172.17.64.0/18 --mtu=1462 -H unix:///var/run/docker.sock");
    });
});

describe("seed 004: flows and OVSDB transaction", () => {
    const host1 = plan004.hosts.host1;

    test("seed004-host1.flows", () => expectGolden(GOLDEN_DIR, "seed004-host1.flows", host1.flows.map((f) => f.text).join("\n") + "\n"));

    test("seed004-host1.flows: ovs-ofctl parse-flow reads every rule", { skip: has("ovs-ofctl") ? false : "ovs-ofctl is not installed" }, () => {
        // Without a switch ovs-ofctl cannot resolve port names: number them as a switch would.
        const numbers = new Map(host1.ovs.ports.map((p, i) => [p.name, String(i + 1)]));
        for (const flow of host1.flows) {
            const text = flow.text.replace(/(in_port=|output:)([A-Za-z0-9_.-]+)/g, (m, k: string, name: string) => (numbers.has(name) ? k + numbers.get(name) : m));
            const run = spawnSync("ovs-ofctl", ["parse-flow", text], { encoding: "utf8" });
            assert.equal(run.status, 0, `${text}: ${run.stderr}`);
            assert.match(run.stdout, new RegExp(`cookie:${flow.cookie}`));
        }
    });

    test("seed004-host1.ovs-vsctl: one transaction, a command per line", () => {
        const args = ovsVsctlArgs(host1.ovs);
        const lines: string[][] = [[]];
        for (const a of args) if (a === "--") lines.push([]); else lines[lines.length - 1].push(a);
        expectGolden(GOLDEN_DIR, "seed004-host1.ovs-vsctl", lines.map((l) => l.join(" ")).join("\n") + "\n");
    });

    test("seed004-host1.plan.json: the whole host plan", () => expectGolden(GOLDEN_DIR, "seed004-host1.plan.json", JSON.stringify(host1, null, 2) + "\n"));
});

test("seed003-handnamed-host1.ovs-vsctl: the hand-made ports by their own names, one transaction", () => {
    const args = ovsVsctlArgs(plan003HandNamed.hosts.host1.ovs);
    const lines: string[][] = [[]];
    for (const a of args) if (a === "--") lines.push([]); else lines[lines.length - 1].push(a);
    expectGolden(GOLDEN_DIR, "seed003-handnamed-host1.ovs-vsctl", lines.map((l) => l.join(" ")).join("\n") + "\n");
});
