import { strict as assert } from "node:assert";
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isOnpremError } from "../../provider/contract/errors";
import { maxOverlayMtu, resolveMtu, tunnelOverhead } from "../../provider/plan/ovs/mtu";
import { FILE_MERGERS } from "../../provider/contract/mergers";
import { renderJsonKeys } from "../../provider/contract/jsonKeys";
import { flowCookie } from "../../provider/plan/ovs/plan";
import type { OvsHostInput, OvsMeshInput } from "../../provider/plan/ovs/args";
import { assignSlots } from "../../provider/plan/ovs/subnets";
import { hasLoop, parallelTunnelWarnings, topologyLinks, tunnelPortName } from "../../provider/plan/ovs/topology";
import { DAEMON_JSON_PATH, DAEMON_JSON_VALIDATOR } from "../../provider/render/docker/daemonJson";
import { renderDockerOpts } from "../../provider/render/docker/dockerOpts";
import { ovsVsctlArgs } from "../../provider/render/ovs/ovsdb";
import { ovsMeshHostWork } from "../../provider/work/ovsMesh";
import { meshIssues, planMesh, seed003 } from "../fixtures/ovsSeeds";
import { seededRandom } from "../support/seededRandom";

describe("seed 003", () => {
    test("the planner gives the seed's exact subnets, bridge addresses and MTU", () => {
        const plan = planMesh(seed003());
        const got = Object.values(plan.hosts).map((h) => [h.name, h.slot, h.slice, h.bridgeAddress, h.mtu]);
        assert.deepEqual(got, [
            ["host1", 1, "172.17.64.0/18", "172.17.42.1/16", 1462],
            ["host2", 2, "172.17.128.0/18", "172.17.42.2/16", 1462],
            ["host3", 3, "172.17.192.0/18", "172.17.42.3/16", 1462],
        ]);
        assert.deepEqual(plan.slots, { host1: 1, host2: 2, host3: 3 });
    });

    test("each host tunnels to the two others by their underlay address, STP on, Docker told its slice", () => {
        const plan = planMesh(seed003());
        const h1 = plan.hosts.host1;
        assert.deepEqual(
            h1.tunnelPorts.map((t) => [t.name, t.options]),
            [
                ["gre-host2", { remote_ip: "2.2.2.2" }],
                ["gre-host3", { remote_ip: "3.3.3.3" }],
            ],
        );
        assert.deepEqual(plan.hosts.host3.tunnelPorts.map((t) => t.remoteIp), ["1.1.1.1", "2.2.2.2"]);
        assert.equal(h1.ovs.bridges[0].stpEnable, true);
        assert.deepEqual(h1.ovs.bridges[0].externalIds, { "pulumi-onprem": "seed003" });
        assert.ok(h1.ovs.ports.every((p) => p.externalIds["pulumi-onprem"] === "seed003" && p.interface.externalIds["pulumi-onprem"] === "seed003"));
        assert.deepEqual(h1.docker.daemonJson, { bip: "172.17.42.1/16", "fixed-cidr": "172.17.64.0/18", mtu: 1462 });
        assert.match(plan.notes.join("\n"), /has loops; STP blocks/);
    });

    test("without bridgeAddressBlock, bridge addresses are slot N of slice 0 (172.17.0.N)", () => {
        const spec = seed003();
        delete spec.bridgeAddressBlock;
        const plan = planMesh(spec);
        assert.deepEqual(Object.values(plan.hosts).map((h) => h.bridgeAddress), ["172.17.0.1/16", "172.17.0.2/16", "172.17.0.3/16"]);
    });

    test("osConfig.ovs defaults to false, as OsConfigSpec documents: OVSDB alone keeps the bridges", () => {
        const spec = seed003();
        delete spec.osConfig;
        assert.deepEqual(planMesh(spec).hosts.host1.osConfig, { format: "interfaces", ovs: false });
    });

    test("STP defaults on for a loop and off for a star", () => {
        const spec = seed003();
        delete spec.stp;
        assert.equal(planMesh(spec).hosts.host1.ovs.bridges[0].stpEnable, true);
        const star = planMesh({ ...spec, topology: "star", hub: "host2" });
        assert.equal(star.hosts.host1.ovs.bridges[0].stpEnable, false);
        assert.deepEqual(star.hosts.host1.tunnelPorts.map((t) => t.peer), ["host2"]);
        assert.deepEqual(star.hosts.host2.tunnelPorts.map((t) => t.peer), ["host1", "host3"]);
    });
});

describe("stability", () => {
    const SEQUENCES = 200;
    const STEPS = 25;
    // 10.20.0.0/16 in /20 slices: 15 usable slots, small enough that the network fills up sometimes.
    const base = (hosts: OvsHostInput[]): OvsMeshInput => ({
        name: "prop",
        hosts,
        tunnel: { type: "vxlan" },
        topology: "ring",
        containerNetwork: "10.20.0.0/16",
        hostPrefixLength: 20,
    });

    test(`property: over ${SEQUENCES} random add/remove sequences, no surviving host's slice or bridge address changes`, () => {
        let fullErrors = 0;
        for (let seq = 1; seq <= SEQUENCES; seq++) {
            const rand = seededRandom(seq);
            const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
            let hosts: OvsHostInput[] = [];
            let previous: Record<string, number> = {};
            const first = new Map<string, { slice: string; bridge: string }>();
            let counter = 0;
            for (let step = 0; step < STEPS; step++) {
                const next = [...hosts];
                const removed: string[] = [];
                const removals = hosts.length > 0 && rand() < 0.45 ? 1 + Math.floor(rand() * Math.min(3, hosts.length)) : 0;
                for (let r = 0; r < removals; r++) {
                    const gone = pick(next);
                    next.splice(next.indexOf(gone), 1);
                    removed.push(gone.name);
                }
                const adds = rand() < 0.7 ? 1 + Math.floor(rand() * 3) : 0;
                for (let a = 0; a < adds; a++) {
                    counter++;
                    const h: OvsHostInput = { name: `h${counter}`, underlayAddress: `192.0.2.${counter % 250 + 1}` };
                    // Sometimes pin a slot that nobody holds now.
                    if (rand() < 0.2) {
                        const held = new Set(next.map((x) => previous[x.name] ?? x.slot));
                        const free = Array.from({ length: 15 }, (_, i) => i + 1).filter((s) => !held.has(s) && !next.some((x) => x.slot === s));
                        if (free.length > 0) h.slot = pick(free);
                    }
                    next.push(h);
                }
                // List order must not matter.
                next.sort(() => rand() - 0.5);
                if (next.length === 0) continue;
                const issues = meshIssues(base(next), previous);
                if (issues.length > 0) {
                    const messages = issues.map((i) => i.message).join("\n");
                    assert.ok(next.length > 15, `seq ${seq} step ${step}: unexpected issues with ${next.length} hosts: ${messages}`);
                    assert.match(messages, /^`containerNetwork`: 10\.20\.0\.0\/16 in \/20 slices holds 15 hosts/m);
                    fullErrors++;
                    continue; // the update is refused: nothing changes
                }
                const plan = planMesh(base(next), previous);
                hosts = next;
                previous = plan.slots;
                const slices = new Set<string>();
                const bridges = new Set<string>();
                for (const h of hosts) {
                    const p = plan.hosts[h.name];
                    assert.ok(p.slot >= 1 && p.slot <= 15);
                    if (h.slot !== undefined) assert.equal(p.slot, h.slot);
                    slices.add(p.slice);
                    bridges.add(p.bridgeAddress);
                    const was = first.get(h.name);
                    if (was) {
                        assert.deepEqual({ slice: p.slice, bridge: p.bridgeAddress }, was, `seq ${seq} step ${step}: ${h.name} moved`);
                    } else {
                        first.set(h.name, { slice: p.slice, bridge: p.bridgeAddress });
                    }
                }
                assert.equal(slices.size, hosts.length, "slices are distinct");
                assert.equal(bridges.size, hosts.length, "bridge addresses are distinct");
                for (const name of removed) first.delete(name);
                // The ring is built in slot order and every host has exactly two neighbours (or one, or none).
                for (const h of hosts) assert.equal(plan.hosts[h.name].tunnelPorts.length, hosts.length >= 3 ? 2 : hosts.length - 1);
            }
        }
        assert.ok(fullErrors > 0, "some sequences filled the network (the too-small error was exercised)");
    });

    test("a host added with a removal does not get the removed host's slot while another is free", () => {
        const a = assignSlots([{ name: "b" }, { name: "c" }], 15, { a: 1, b: 2 });
        assert.deepEqual([...a.slots], [["b", 2], ["c", 3]]);
        const full = assignSlots([{ name: "b" }, { name: "c" }], 2, { a: 1, b: 2 });
        assert.deepEqual([...full.slots], [["b", 2], ["c", 1]]);
        assert.match(full.notes.join(), /reuses slot 1 of a host removed in this same update/);
    });

    test("explicit slots need no state: removing a host moves nobody", () => {
        const spec = seed003();
        spec.hosts = spec.hosts.map((h, i) => ({ ...h, slot: i + 1 }));
        const before = planMesh(spec);
        const after = planMesh({ ...spec, hosts: spec.hosts.slice(1) });
        for (const n of ["host2", "host3"]) assert.equal(after.hosts[n].slice, before.hosts[n].slice);
    });

    test("a pinned slot that another host held before is refused, naming the pinned field", () => {
        const spec = seed003();
        spec.hosts[2].slot = 1;
        const issues = meshIssues(spec, { host1: 1, host2: 2 });
        assert.deepEqual(issues.map((i) => i.field), ["hosts[2].slot"]);
        assert.match(issues[0].message, /slot 1 already belongs to host "host1"/);
    });

    test("a remembered slot that no longer fits is replaced, with a note", () => {
        const plan = planMesh(seed003(), { host1: 9 });
        assert.equal(plan.hosts.host1.slot, 1);
        assert.match(plan.notes.join(), /earlier slot 9 no longer fits/);
    });
});

describe("MTU", () => {
    const table: [string, Parameters<typeof tunnelOverhead>[0], number][] = [
        ["GRE (seed 003: 14 + 20 + 4)", { type: "gre" }, 38],
        ["GRE with a key", { type: "gre", key: true }, 42],
        ["VXLAN (14 + 20 + 8 + 8)", { type: "vxlan" }, 50],
        ["Geneve without options", { type: "geneve" }, 50],
        ["Geneve with 8 bytes of options", { type: "geneve", optionsLength: 8 }, 58],
        ["GRE over IPv6", { type: "gre", underlayFamily: 6 }, 58],
        ["VXLAN over IPv6", { type: "vxlan", underlayFamily: 6 }, 70],
        ["VXLAN carrying VLAN tags", { type: "vxlan", vlanTagged: true }, 54],
    ];
    for (const [what, input, overhead] of table) {
        test(`${what}: ${overhead} bytes, MTU ${1500 - overhead} over 1500`, () => {
            assert.equal(tunnelOverhead(input).total, overhead);
            assert.equal(maxOverlayMtu(1500, input), 1500 - overhead);
        });
    }

    test("jumbo underlay, explicit MTU below the maximum, and the planner's per-type maximum", () => {
        assert.equal(maxOverlayMtu(9000, { type: "gre" }), 8962);
        assert.deepEqual(resolveMtu({ type: "vxlan", underlayMtu: 1500, mtu: 1400 }), {
            mtu: 1400,
            max: 1450,
            overhead: { outerIp: 20, udp: 8, tunnelHeader: 8, innerEthernet: 14, vlanTag: 0, total: 50 },
            issues: [],
        });
        const spec = seed003();
        for (const [type, mtu] of [["gre", 1462], ["vxlan", 1450], ["geneve", 1450]] as const) {
            assert.equal(planMesh({ ...spec, tunnel: { type } }).hosts.host1.mtu, mtu);
        }
    });
});

describe("validation", () => {
    type Case = [string, (s: OvsMeshInput) => void, string, RegExp];
    const cases: Case[] = [
        ["duplicate host names", (s) => (s.hosts[1].name = "host1"), "hosts[1].name", /is also hosts\[0\]'s name/],
        ["bad underlay address", (s) => (s.hosts[2].underlayAddress = "10.0.0"), "hosts[2].underlayAddress", /"10\.0\.0" is not an IP address/],
        ["duplicate underlay address", (s) => (s.hosts[2].underlayAddress = "1.1.1.1/24"), "hosts[2].underlayAddress", /also hosts\[0\]'s underlay address/],
        ["mixed address families", (s) => (s.hosts[1].underlayAddress = "fd00::2"), "hosts[1].underlayAddress", /tunnel endpoints must share one family/],
        ["loopback endpoint", (s) => (s.hosts[0].underlayAddress = "127.0.0.1"), "hosts[0].underlayAddress", /loopback/],
        ["container network not a CIDR", (s) => (s.containerNetwork = "172.17.0.0"), "containerNetwork", /is not an IPv4 CIDR/],
        ["container network with host bits", (s) => (s.containerNetwork = "172.17.42.1/16"), "containerNetwork", /did you mean "172\.17\.0\.0\/16"/],
        ["slices that do not fit", (s) => s.hosts.push({ name: "host4", underlayAddress: "4.4.4.4" }), "containerNetwork", /holds 3 hosts .* 4 are declared/],
        ["hostPrefixLength not longer than the network's", (s) => (s.hostPrefixLength = 16), "hostPrefixLength", /longer than the container network's \/16/],
        ["slot out of range", (s) => (s.hosts[0].slot = 4), "hosts[0].slot", /outside 1-3 \(slot 0 is reserved/],
        ["slot zero", (s) => (s.hosts[0].slot = 0), "hosts[0].slot", /outside 1-3/],
        ["slot collision", (s) => ((s.hosts[0].slot = 2), (s.hosts[1].slot = 2)), "hosts[1].slot", /slot 2 is also set on hosts\[0\]/],
        ["bridge address block outside slice 0", (s) => (s.bridgeAddressBlock = "172.17.64.0/24"), "bridgeAddressBlock", /must lie inside 172\.17\.0\.0\/18/],
        ["bridge address in another host's slice", (s) => (s.hosts[0].bridgeAddress = "172.17.128.1"), "hosts[0].bridgeAddress", /lies in host "host2"'s slice/],
        ["bridge address taken", (s) => (s.hosts[0].bridgeAddress = "172.17.42.3/16"), "hosts[0].bridgeAddress", /also host "host3"'s bridge address/],
        ["bridge address with another prefix", (s) => (s.hosts[0].bridgeAddress = "172.17.42.9/24"), "hosts[0].bridgeAddress", /\/24 differs from the container network's \/16/],
        ["MTU above the maximum", (s) => (s.mtu = 1500), "mtu", /1500 is above 1462, the most a 1500-byte underlay carries through gre/],
        ["MTU below the IPv4 minimum", (s) => (s.mtu = 67), "mtu", /below the IPv4 minimum 68/],
        ["IPv6 underlay MTU below 1280", (s) => ((s.underlayMtu = 1200), s.hosts.forEach((h, i) => (h.underlayAddress = `fd00::${i + 1}`))), "underlayMtu", /outside 1280-65535 \(IPv6 underlay\)/],
        ["GRE key out of range", (s) => (s.tunnel.key = 2 ** 32), "tunnel.key", /outside 0-4294967295/],
        ["VNI wider than 24 bits", (s) => (s.tunnel = { type: "vxlan", vni: 16777216 }), "tunnel.vni", /outside 0-16777215 \(24 bits\)/],
        ["VXLAN key wider than 24 bits", (s) => (s.tunnel = { type: "vxlan", key: 16777216 }), "tunnel.key", /a VXLAN VNI has 24 bits/],
        ["VNI on GRE", (s) => (s.tunnel.vni = 5), "tunnel.vni", /GRE has no VNI/],
        ["dstPort on GRE", (s) => (s.tunnel.dstPort = 4789), "tunnel.dstPort", /GRE runs over IP/],
        ["Geneve options not a multiple of 4", (s) => (s.tunnel = { type: "geneve", optionsLength: 6 }), "tunnel.optionsLength", /multiple of 4/],
        ["star without hub", (s) => (s.topology = "star"), "hub", /required with topology "star"/],
        ["hub not a host", (s) => ((s.topology = "star"), (s.hub = "host9")), "hub", /"host9" is not the name of a host/],
        ["STP off on a loop", (s) => (s.stp = false), "stp", /has loops: broadcast frames would circle forever/],
        ["Docker API on TCP without TLS (seed 003)", (s) => (s.docker = { mode: "default-file", hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"] }), "docker.hosts[1]", /tcp:\/\/0\.0\.0\.0:2375 would expose the Docker API without TLS/],
        ["Docker listener of an unknown kind", (s) => (s.docker = { hosts: ["http://x"] }), "docker.hosts[0]", /must be unix:\/\/\/PATH, fd:\/\/ or tcp:\/\/ADDRESS:PORT/],
        ["VLAN tag 0", (s) => (s.vlans = [{ port: "br0", tag: 0 }]), "vlans[0].tag", /0 is outside 1-4094/],
        ["VLAN tag 4095", (s) => (s.vlans = [{ port: "v1", tag: 4095 }]), "vlans[0].tag", /4095 is outside 1-4094/],
        ["VLAN on an unknown host", (s) => (s.vlans = [{ port: "v1", tag: 10, hosts: ["nope"] }]), "vlans[0].hosts[0]", /"nope" is not the name of a host/],
        ["flow priority above 65535", (s) => (s.flows = [{ priority: 65536, actions: "NORMAL" }]), "flows[0].priority", /65536 is outside 0-65535/],
        ["flow without actions", (s) => (s.flows = [{ priority: 1, actions: " " }]), "flows[0].actions", /non-empty one-line/],
        ["flow match setting the cookie", (s) => (s.flows = [{ priority: 1, match: "cookie=0x1,in_port=1", actions: "drop" }]), "flows[0].match", /sets cookie/],
        ["bridge name longer than 15", (s) => (s.bridge = "bridge-for-docker"), "bridge", /"bridge-for-docker" is not a network device name \(1-15 characters/],
        ["bridge name with a slash", (s) => (s.bridge = "br/0"), "bridge", /"br\/0" is not a network device name/],
        ["OVS and Docker bridge the same", (s) => (s.dockerBridge = "br0"), "dockerBridge", /Docker needs a Linux bridge of its own/],
        ["netdev without an underlay bridge", (s) => (s.datapathType = "netdev"), "underlayBridge", /required with datapathType "netdev"/],
        ["netdev with a bare underlay address", (s) => ((s.datapathType = "netdev"), (s.underlayBridge = { port: "eth1" })), "hosts[0].underlayAddress", /needs a prefix length/],
        ["mesh name with spaces", (s) => (s.name = "my mesh"), "name", /"my mesh" must be 1-63 letters/],
        ["no hosts", (s) => (s.hosts = []), "hosts", /at least one host/],
        ["tunnel port names not a map", (s) => (s.hosts[0].tunnelPortNames = "gre0" as unknown as Record<string, string>), "hosts[0].tunnelPortNames", /"gre0" must map peer host names to port names/],
        ["tunnel port name for no host", (s) => (s.hosts[0].tunnelPortNames = { host9: "gre0" }), "hosts[0].tunnelPortNames.host9", /"host9" is not the name of a host of the mesh/],
        ["tunnel port name for the host itself", (s) => (s.hosts[0].tunnelPortNames = { host1: "gre0" }), "hosts[0].tunnelPortNames.host1", /"host1" is this host itself/],
        [
            "tunnel port name for a host the star has no tunnel to",
            (s) => ((s.topology = "star"), (s.hub = "host1"), (s.hosts[1].tunnelPortNames = { host3: "gre0" })),
            "hosts[1].tunnelPortNames.host3",
            /host2 has no tunnel to "host3" in a star around "host1"/,
        ],
        [
            "tunnel port name for a host the ring (in slot order) has no tunnel to",
            (s) => {
                // Listed host3, host1, host4, host2 (where host1 would neighbour host3), in slots 1-4: host1's neighbours are host2 and host4.
                s.topology = "ring";
                s.hostPrefixLength = 20;
                s.bridgeAddressBlock = undefined;
                s.hosts = [3, 1, 4, 2].map((n) => ({ name: `host${n}`, underlayAddress: `${n}.${n}.${n}.${n}`, slot: n }));
                s.hosts[1].tunnelPortNames = { host3: "gre0" };
            },
            "hosts[1].tunnelPortNames.host3",
            /host1 has no tunnel to "host3" in a ring/,
        ],
        ["tunnel port name longer than 15", (s) => (s.hosts[0].tunnelPortNames = { host2: "gre-to-host2-main" }), "hosts[0].tunnelPortNames.host2", /"gre-to-host2-main" is not a network device name \(1-15 characters/],
        ["tunnel port name with a colon", (s) => (s.hosts[0].tunnelPortNames = { host2: "gre:0" }), "hosts[0].tunnelPortNames.host2", /"gre:0" is not a network device name/],
        ["two tunnel ports of a host named alike", (s) => (s.hosts[0].tunnelPortNames = { host2: "gre0", host3: "gre0" }), "hosts[0].tunnelPortNames.host3", /"gre0" is also the name of this host's tunnel port to "host2"/],
        ["a tunnel port named as the host's default port to another peer", (s) => (s.hosts[0].tunnelPortNames = { host2: "gre-host3" }), "hosts[0].tunnelPortNames.host2", /"gre-host3" is also the name of this host's tunnel port to "host3"/],
        ["a tunnel port named as the mesh bridge", (s) => (s.hosts[0].tunnelPortNames = { host2: "br0" }), "hosts[0].tunnelPortNames.host2", /"br0" is also the name of the mesh's OVS bridge/],
        ["a tunnel port named as the Docker bridge", (s) => (s.hosts[0].tunnelPortNames = { host2: "docker0" }), "hosts[0].tunnelPortNames.host2", /"docker0" is also the name of the Docker bridge/],
        [
            "a tunnel port named as the underlay bridge",
            (s) => ((s.underlayBridge = { port: "eth1" }), (s.hosts[0].tunnelPortNames = { host2: "br-phy" })),
            "hosts[0].tunnelPortNames.host2",
            /"br-phy" is also the name of the underlay bridge/,
        ],
        [
            "a tunnel port named as the host's underlay port",
            (s) => ((s.underlayBridge = { port: "eth1" }), (s.hosts[0].tunnelPortNames = { host2: "eth1" })),
            "hosts[0].tunnelPortNames.host2",
            /"eth1" is also the name of this host's underlay port/,
        ],
        [
            "a tunnel port named as a VLAN port of the host",
            (s) => ((s.vlans = [{ port: "vlan200", tag: 200, hosts: ["host1"] }]), (s.hosts[0].tunnelPortNames = { host2: "vlan200" })),
            "hosts[0].tunnelPortNames.host2",
            /"vlan200" is also the name of vlans\[0\]'s port/,
        ],
    ];
    for (const [what, mutate, field, rule] of cases) {
        test(`${what}: \`${field}\``, () => {
            const spec = seed003();
            mutate(spec);
            const issues = meshIssues(spec);
            const hit = issues.find((i) => i.field === field && rule.test(i.message));
            assert.ok(hit, `expected ${field} ~ ${rule}, got ${JSON.stringify(issues, null, 1)}`);
            assert.ok(hit.message.startsWith(`\`${field}\`: `), hit.message);
        });
    }

    test("hand-named tunnel ports: distinct device names for peers, a VLAN port of another host's name, are valid", () => {
        const spec = seed003();
        spec.hosts[0].tunnelPortNames = { host2: "gre0", host3: "gre1" };
        spec.hosts[1].tunnelPortNames = { host1: "vlan200" };
        spec.vlans = [{ port: "vlan200", tag: 200, hosts: ["host1"] }];
        assert.deepEqual(meshIssues(spec), []);
    });

    test("seed 003 itself, seed 004's shape and a netdev lab mesh are valid", () => {
        assert.deepEqual(meshIssues(seed003()), []);
        assert.deepEqual(
            meshIssues({
                name: "lab",
                hosts: [
                    { name: "a", underlayAddress: "10.79.1.1/24" },
                    { name: "b", underlayAddress: "10.79.1.2/24" },
                ],
                tunnel: { type: "vxlan", key: "flow" },
                containerNetwork: "10.80.0.0/16",
                datapathType: "netdev",
                underlayBridge: { port: "eth1" },
                docker: { hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], tls: { caCert: "/etc/docker/ca.pem", cert: "/etc/docker/cert.pem", key: "/etc/docker/key.pem" } },
            }),
            [],
        );
    });
});

describe("topology", () => {
    test("full mesh, ring and star links", () => {
        const names = ["a", "b", "c", "d"];
        assert.equal(topologyLinks("full-mesh", names).length, 6);
        assert.deepEqual(topologyLinks("ring", names).map((l) => `${l.a}-${l.b}`), ["a-b", "b-c", "c-d", "d-a"]);
        assert.deepEqual(topologyLinks("ring", ["a", "b"]).map((l) => `${l.a}-${l.b}`), ["a-b"]);
        assert.deepEqual(topologyLinks("star", names, "c").map((l) => `${l.a}-${l.b}`), ["c-a", "c-b", "c-d"]);
        assert.deepEqual([hasLoop("full-mesh", 2), hasLoop("full-mesh", 3), hasLoop("ring", 3), hasLoop("star", 9)], [false, true, true, false]);
    });

    test("a ring follows slot order, not list order", () => {
        const spec = { ...seed003(), topology: "ring" as const };
        spec.hosts = [spec.hosts[2], spec.hosts[0], spec.hosts[1]];
        const plan = planMesh(spec, { host1: 1, host2: 2, host3: 3 });
        assert.deepEqual(plan.hosts.host1.tunnelPorts.map((t) => t.peer), ["host2", "host3"]);
    });

    test("a hand-named tunnel port names its record on its own host only", () => {
        const spec = seed003();
        spec.hosts[0].tunnelPortNames = { host2: "gre0" };
        const plan = planMesh(spec);
        assert.deepEqual(plan.hosts.host1.tunnelPorts.map((t) => [t.name, t.peer, t.remoteIp]), [["gre-host3", "host3", "3.3.3.3"], ["gre0", "host2", "2.2.2.2"]]);
        assert.deepEqual(plan.hosts.host1.ovs.ports.map((p) => [p.name, p.interface.name, p.interface.options.remote_ip]), [["gre-host3", "gre-host3", "3.3.3.3"], ["gre0", "gre0", "2.2.2.2"]]);
        assert.deepEqual(plan.hosts.host3.tunnelPorts.map((t) => t.name), ["gre-host1", "gre-host2"], "host3's port to host2 keeps the default name");
        assert.deepEqual(plan.hosts.host2.tunnelPorts.map((t) => t.name), ["gre-host1", "gre-host3"]);
        assert.deepEqual(planMesh(seed003()).hosts.host3, plan.hosts.host3, "the other hosts' plans are as without the name");
    });

    test("port names fit in 15 characters, stay readable when they can, and differ for different peers", () => {
        assert.equal(tunnelPortName("gre", "host2"), "gre-host2");
        assert.equal(tunnelPortName("vxlan", "node-1"), "vxlan-node-1");
        const long = ["compute-node-0001.example", "compute-node-0002.example", "weird name!"].map((p) => tunnelPortName("vxlan", p));
        for (const n of long) assert.ok(n.length <= 15 && /^vxlan-[A-Za-z0-9_.-]+$/.test(n), n);
        assert.equal(new Set(long).size, 3);
        assert.equal(tunnelPortName("geneve", "compute-node-0001.example"), tunnelPortName("geneve", "compute-node-0001.example"));
    });

    test("GRE and VXLAN meshes on one bridge between the same hosts are reported as a loop", () => {
        const gre = planMesh(seed003());
        const vx = planMesh({ ...seed003(), name: "other", tunnel: { type: "vxlan" }, hosts: seed003().hosts.slice(0, 2) });
        const warnings = parallelTunnelWarnings([...Object.values(gre.hosts), ...Object.values(vx.hosts)]);
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /meshes other \(vxlan\) and seed003 \(gre\) both tunnel between 1\.1\.1\.1 and 2\.2\.2\.2 on bridge br0/);
        assert.deepEqual(parallelTunnelWarnings(Object.values(gre.hosts)), []);
        // Each mesh is told about the loops it is part of, and only those.
        const third = planMesh({ ...seed003(), name: "third", bridge: "br9" });
        const all = [...Object.values(gre.hosts), ...Object.values(vx.hosts), ...Object.values(third.hosts)];
        assert.deepEqual(parallelTunnelWarnings(all, "other"), warnings);
        assert.deepEqual(parallelTunnelWarnings(all, "third"), []);
    });
});

describe("flows and OVSDB records", () => {
    test("flows carry the mesh's cookie and go only to their hosts", () => {
        const spec = seed003();
        spec.flows = [{ priority: 4, match: "in_port=gre-host2", actions: "output:gre-host3", hosts: ["host1"] }, { priority: 0, actions: "NORMAL" }];
        const plan = planMesh(spec);
        const cookie = flowCookie("seed003");
        assert.match(cookie, /^0x[1-9a-f][0-9a-f]{0,15}$/);
        assert.deepEqual(plan.hosts.host1.flows.map((f) => f.text), [
            `table=0,priority=4,cookie=${cookie},in_port=gre-host2,actions=output:gre-host3`,
            `table=0,priority=0,cookie=${cookie},actions=NORMAL`,
        ]);
        assert.equal(plan.hosts.host2.flows.length, 1);
    });

    describe("ovs-vsctl transaction against a private ovsdb-server", () => {
        const tools = ["ovsdb-server", "ovsdb-tool", "ovs-vsctl"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);
        const schema = "/usr/share/openvswitch/vswitch.ovsschema";
        const skip = !tools || !existsSync(schema) ? "Open vSwitch tools are not installed" : false;
        let dir = "";
        let server: ChildProcess | undefined;
        const vsctl = (args: string[]) => spawnSync("ovs-vsctl", [`--db=unix:${join(dir, "db.sock")}`, "--no-wait", "--timeout=5", ...args], { encoding: "utf8" });

        before(async () => {
            if (skip) return;
            dir = mkdtempSync(join(tmpdir(), "ovsmesh-db-"));
            assert.equal(spawnSync("ovsdb-tool", ["create", join(dir, "conf.db"), schema]).status, 0);
            server = spawn("ovsdb-server", [join(dir, "conf.db"), `--remote=punix:${join(dir, "db.sock")}`, `--unixctl=${join(dir, "ctl")}`, "--no-chdir"], { stdio: "ignore" });
            for (let i = 0; i < 50 && !existsSync(join(dir, "db.sock")); i++) await new Promise((r) => setTimeout(r, 50));
            assert.equal(vsctl(["init"]).status, 0);
        });
        after(() => {
            server?.kill("SIGTERM");
            if (dir) rmSync(dir, { recursive: true, force: true });
        });

        test("the records apply, re-apply as a no-op, read back by external_ids, and stale ports go", { skip }, () => {
            const spec = seed003();
            spec.tunnel = { type: "vxlan", key: "flow" };
            spec.vlans = [{ port: "br0", tag: 100 }, { port: "vlan200", tag: 200 }];
            const h1 = planMesh(spec).hosts.host1;
            for (let i = 0; i < 2; i++) {
                const r = vsctl(ovsVsctlArgs(h1.ovs));
                assert.equal(r.status, 0, r.stderr);
            }
            const ours = vsctl(["--format=csv", "--no-headings", "--columns=name,type,options", "find", "interface", "external_ids:pulumi-onprem=seed003"]);
            assert.deepEqual(ours.stdout.trim().split("\n").sort(), [
                'vlan200,internal,{}',
                'vxlan-host2,vxlan,"{key=flow, remote_ip=""2.2.2.2""}"',
                'vxlan-host3,vxlan,"{key=flow, remote_ip=""3.3.3.3""}"',
            ]);
            assert.equal(vsctl(["get", "port", "br0", "tag"]).stdout.trim(), "100");
            assert.equal(vsctl(["get", "bridge", "br0", "stp_enable"]).stdout.trim(), "true");
            const two = planMesh({ ...spec, hosts: spec.hosts.slice(0, 2), vlans: [] }, { host1: 1, host2: 2 }).hosts.host1;
            const r = vsctl(ovsVsctlArgs(two.ovs, { ports: ["vxlan-host3", "vlan200"] }));
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(vsctl(["list-ports", "br0"]).stdout.trim().split("\n"), ["vxlan-host2"]);
            assert.equal(vsctl(["get", "port", "br0", "tag"]).stdout.trim(), "[]");
        });

        test("IPv6 endpoints are quoted for OVSDB", { skip }, () => {
            const spec = seed003();
            spec.hosts.forEach((h, i) => (h.underlayAddress = `fd00::${i + 1}`));
            const h1 = planMesh({ ...spec, name: "v6", bridge: "br6" }).hosts.host1;
            const r = vsctl(ovsVsctlArgs(h1.ovs));
            assert.equal(r.status, 0, r.stderr);
            assert.equal(vsctl(["get", "interface", "gre-host2", "options:remote_ip"]).stdout.trim(), '"fd00::2"');
        });
    });
});

describe("Docker options", () => {
    // docker0 is Docker's own bridge: its address goes in as "bip" (dockerd resets it otherwise).
    const owned = { bip: "172.17.42.1/16", "fixed-cidr": "172.17.64.0/18", mtu: 1462 };
    // What the engine does with the mesh's daemon.json FileSpec (merge "json-keys").
    const merge = (current: string | undefined, keys: Record<string, unknown>, released: string[]) =>
        FILE_MERGERS["json-keys"].merge(current, renderJsonKeys(keys), released, DAEMON_JSON_PATH);

    test("the mesh hands daemon.json to the engine as its own keys, to merge", () => {
        const file = ovsMeshHostWork(planMesh(seed003()).hosts.host1).files.find((f) => f.path === DAEMON_JSON_PATH);
        assert.deepEqual(file && { merge: file.merge, keys: JSON.parse(file.content) }, { merge: "json-keys", keys: owned });
    });

    test("owned keys are set, other keys kept in place, dropped keys removed; merging again changes nothing", () => {
        const current = '{"log-driver":"journald","mtu":1500,"insecure-registries":["r:5000"],"fixed-cidr":"10.0.0.0/24","ip-masq":true}';
        const merged = merge(current, owned, ["ip-masq"]);
        assert.equal(
            merged,
            '{\n  "log-driver": "journald",\n  "mtu": 1462,\n  "insecure-registries": [\n    "r:5000"\n  ],\n  "fixed-cidr": "172.17.64.0/18",\n  "bip": "172.17.42.1/16"\n}\n',
        );
        assert.equal(merge(merged, owned, []), merged);
        const released = merge(merged, {}, Object.keys(owned));
        assert.equal(released, '{\n  "log-driver": "journald",\n  "insecure-registries": [\n    "r:5000"\n  ]\n}\n');
    });

    test("a missing or empty file counts as {}", () => {
        assert.equal(merge(undefined, owned, []), '{\n  "bip": "172.17.42.1/16",\n  "fixed-cidr": "172.17.64.0/18",\n  "mtu": 1462\n}\n');
        assert.equal(merge(" \n", {}, []), "{}\n");
    });

    test("a file that is not a JSON object is a clear error, never overwritten", () => {
        assert.throws(() => merge('{"mtu": 1500,}', owned, []), (e: unknown) => isOnpremError(e, "Validation") && /^`\/etc\/docker\/daemon\.json`: is not valid JSON \(.+\); fix or remove it/.test(e.message));
        assert.throws(() => merge("[1]", owned, []), /holds an array, not a JSON object/);
    });

    test("a staged daemon.json with \"bridge\" (which Docker refuses next to the mesh's \"bip\") fails its check", () => {
        const check = ovsMeshHostWork(planMesh(seed003()).hosts.host1).validators.find((v) => /"bridge"/.test(v.description));
        assert.ok(check);
        const dir = mkdtempSync(join(tmpdir(), "ovs-bip-"));
        try {
            const run = (content: string) => {
                const file = join(dir, "daemon.json");
                writeFileSync(file, content);
                return spawnSync("sh", ["-c", check.command.replace(`{{staged:${DAEMON_JSON_PATH}}}`, file)], { encoding: "utf8" });
            };
            const refused = run(merge('{"bridge":"br-other"}', owned, []));
            assert.equal(refused.status, 1);
            assert.match(refused.stderr, /sets "bridge", which Docker refuses together with "bip"/);
            assert.equal(run(merge('{"debug":true}', owned, [])).status, 0);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    test("a Docker bridge of another name goes in as \"bridge\" (dockerd keeps its address); then \"bip\" is refused", () => {
        const work = ovsMeshHostWork(planMesh({ ...seed003(), dockerBridge: "br-docker" }).hosts.host1);
        const file = work.files.find((f) => f.path === DAEMON_JSON_PATH);
        assert.deepEqual(file && JSON.parse(file.content), { bridge: "br-docker", "fixed-cidr": "172.17.64.0/18", mtu: 1462 });
        const check = work.validators.find((v) => /"bip"/.test(v.description));
        assert.ok(check);
        const dir = mkdtempSync(join(tmpdir(), "ovs-bip-"));
        try {
            const file = join(dir, "daemon.json");
            writeFileSync(file, '{"bip":"172.17.0.1/16","bridge":"br-docker"}');
            const refused = spawnSync("sh", ["-c", check.command.replace(`{{staged:${DAEMON_JSON_PATH}}}`, file)], { encoding: "utf8" });
            assert.equal(refused.status, 1);
            assert.match(refused.stderr, /sets "bip", which Docker refuses together with "bridge"/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    test("dockerd checks the staged daemon.json where it can (--validate came with Docker 23; Debian 12 ships 20.10, where the file is parsed as JSON)", () => {
        const dir = mkdtempSync(join(tmpdir(), "ovs-dockerd-"));
        try {
            const run = (help: string, daemonJson = '{"bridge": "docker0"}') => {
                // A stand-in dockerd: prints `help` for --help, and fails loudly when asked to validate.
                writeFileSync(join(dir, "dockerd"), `#!/bin/sh\ncase "$1" in --help) echo '${help}' ;; *) echo "validated $*"; exit 3 ;; esac\n`, { mode: 0o755 });
                writeFileSync(join(dir, "daemon.json"), daemonJson);
                const command = DAEMON_JSON_VALIDATOR.command.replace(`{{staged:${DAEMON_JSON_PATH}}}`, join(dir, "daemon.json"));
                return spawnSync("sh", ["-c", command], { encoding: "utf8", env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` } });
            };
            assert.equal(run("Usage: dockerd [OPTIONS]").status, 0, "an old dockerd is not asked; the file parses");
            assert.notEqual(run("Usage: dockerd [OPTIONS]", '{"bridge": "docker0",}').status, 0, "an old dockerd's host still refuses broken JSON");
            const asked = run("      --validate   Validate daemon configuration and exit");
            assert.equal(asked.status, 3);
            assert.match(asked.stdout, /validated --validate --config-file .*daemon\.json/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    test("DOCKER_OPTS: the seed's options without the unauthenticated TCP listener", () => {
        assert.equal(
            renderDockerOpts({ bip: "172.17.42.1/16", fixedCidr: "172.17.64.0/18", mtu: 1462, hosts: ["unix:///var/run/docker.sock"] }),
            '# Managed by pulumi-onprem: changes made here are reverted by the next `pulumi up`.\nDOCKER_OPTS="--bip=172.17.42.1/16 --fixed-cidr=172.17.64.0/18 --mtu=1462 -H unix:///var/run/docker.sock"\n',
        );
        assert.match(renderDockerOpts({ bridge: "br-docker", fixedCidr: "172.17.64.0/18", mtu: 1462 }), /DOCKER_OPTS="--bridge=br-docker --fixed-cidr/);
        const tls = renderDockerOpts({ bridge: "docker0", fixedCidr: "172.17.64.0/18", mtu: 1462, hosts: ["tcp://0.0.0.0:2376"], tls: { caCert: "/c", cert: "/d", key: "/k" } });
        assert.match(tls, /-H tcp:\/\/0\.0\.0\.0:2376 --tlsverify --tlscacert=\/c --tlscert=\/d --tlskey=\/k"/);
    });
});
