import { strict as assert } from "node:assert";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ImportNote, importOvsMesh, type OvsMeshImport, type OvsHostOutputs } from "../../provider/import/ovsMeshImport";
import { IP_ADDR_READ_COMMAND, IP_LINK_READ_COMMAND, OVSDB_READ_COMMAND, type ReadBridge, readLinks, readOvsdb } from "../../provider/import/ovsMeshRead";
import type { OvsMeshInput } from "../../provider/plan/ovs/args";
import type { HostMeshPlan, OvsRecords } from "../../provider/plan/ovs/model";
import { renderDockerOpts } from "../../provider/render/docker/dockerOpts";
import { planMesh, seed003 } from "../fixtures/ovsSeeds";

const SEED003 = resolve(__dirname, "../golden/import/ovs-mesh/seed003");

/** The OVSDB part of a host both ways, comparable: owner ids and other_config left aside (the import does not carry them). */
interface Records {
    bridges: { name: string; datapathType: string; stp: boolean; rstp: boolean; mtuRequest?: number; localTag?: number }[];
    ports: { bridge: string; name: string; tag?: number; type: string; options: Record<string, string>; mtuRequest?: number }[];
}

function plannedRecords(r: OvsRecords): Records {
    return {
        bridges: r.bridges.map((b) => ({ name: b.name, datapathType: b.datapathType, stp: b.stpEnable, rstp: b.rstpEnable, mtuRequest: b.mtuRequest, localTag: b.localTag })),
        ports: r.ports
            .map((p) => ({ bridge: p.bridge, name: p.name, tag: p.tag, type: p.interface.type, options: p.interface.options, mtuRequest: p.interface.mtuRequest }))
            .sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
}

function readRecords(bridges: ReadBridge[]): Records {
    return {
        bridges: bridges.map((b) => {
            const local = b.ports.find((p) => p.name === b.name);
            return { name: b.name, datapathType: b.datapathType || "system", stp: b.stpEnable, rstp: b.rstpEnable, mtuRequest: local?.interfaces[0]?.mtuRequest, localTag: local?.tag };
        }),
        ports: bridges
            .flatMap((b) => b.ports.filter((p) => p.name !== b.name).map((p) => ({ bridge: b.name, name: p.name, tag: p.tag, type: p.interfaces[0].type, options: p.interfaces[0].options, mtuRequest: p.interfaces[0].mtuRequest })))
            .sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
}

/** What `OVSDB_READ_COMMAND` prints for these records, as ovs-vsctl 3.1 does (a set of one is its bare atom). */
function ovsdbJson(r: OvsRecords): string {
    let n = 0;
    const uuid = () => ["uuid", `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`];
    const set = (xs: unknown[]) => (xs.length === 1 ? xs[0] : ["set", xs]);
    const map = (m: Record<string, string>) => ["map", Object.entries(m).sort()];
    const bridges: unknown[][] = [];
    const ports: unknown[][] = [];
    const ifaces: unknown[][] = [];
    const add = (name: string, tag: number | undefined, type: string, options: Record<string, string>, mtuRequest: number | undefined, ids: Record<string, string>) => {
        const [p, i] = [uuid(), uuid()];
        ifaces.push([i, name, type, map(options), set(mtuRequest === undefined ? [] : [mtuRequest]), map(ids)]);
        ports.push([p, name, i, set(tag === undefined ? [] : [tag]), ["set", []], ["set", []], map(ids)]);
        return p;
    };
    for (const b of r.bridges) {
        const own = [add(b.name, b.localTag, "internal", {}, b.mtuRequest, b.externalIds)];
        for (const p of r.ports.filter((x) => x.bridge === b.name)) own.push(add(p.name, p.tag, p.interface.type, p.interface.options, p.interface.mtuRequest, p.externalIds));
        bridges.push([uuid(), b.name, set(own), b.datapathType, b.stpEnable, b.rstpEnable, ["set", []], map(b.otherConfig), map(b.externalIds)]);
    }
    const table = (data: unknown[][], headings: string[]) => JSON.stringify({ data, headings });
    return [
        table(bridges, ["_uuid", "name", "ports", "datapath_type", "stp_enable", "rstp_enable", "fail_mode", "other_config", "external_ids"]),
        table(ports, ["_uuid", "name", "interfaces", "tag", "trunks", "vlan_mode", "external_ids"]),
        table(ifaces, ["_uuid", "name", "type", "options", "mtu_request", "external_ids"]),
        "",
    ].join("\n");
}

/** `ip -j addr` of a planned host: the underlay NIC, the OVS bridge under the Docker bridge, the Docker bridge. */
function ipAddrJson(p: HostMeshPlan, underlayMtu: number): string {
    const link = (ifindex: number, ifname: string, mtu: number, extra: object, addr: { local: string; prefixlen: number }[]) => ({
        ifindex, ifname, flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], mtu, qdisc: "noqueue", ...extra, operstate: "UP", group: "default", txqlen: 1000, link_type: "ether",
        address: `52:54:00:00:00:0${ifindex}`, broadcast: "ff:ff:ff:ff:ff:ff",
        addr_info: addr.map((a) => ({ family: "inet", ...a, scope: "global", label: ifname, valid_life_time: 4294967295, preferred_life_time: 4294967295 })),
    });
    const [address, prefix] = p.bridgeAddress.split("/"); // test data only: the importer itself parses with ip-num
    return JSON.stringify([
        link(2, "eth0", underlayMtu, {}, [{ local: p.underlayAddress, prefixlen: 24 }]),
        link(4, p.bridge, p.mtu, { master: p.dockerBridge }, []),
        link(5, p.dockerBridge, p.mtu, {}, [{ local: address, prefixlen: Number(prefix) }]),
    ]);
}

/** Each planned host as the read commands would show it once the mesh is applied. */
function outputsOf(plan: Record<string, HostMeshPlan>, underlayMtu = 1500): OvsHostOutputs[] {
    return Object.values(plan).map((p) => ({
        name: p.name,
        reachedAt: p.underlayAddress,
        ovsdb: ovsdbJson(p.ovs),
        ipAddr: ipAddrJson(p, underlayMtu),
        ...(p.docker.mode === "daemon-json" ? { daemonJson: JSON.stringify({ "log-driver": "journald", ...p.docker.daemonJson }) } : {}),
        ...(p.docker.mode === "default-file" ? { dockerDefault: renderDockerOpts(p.docker.options) } : {}),
    }));
}

const line = (n: ImportNote) => `${n.host ?? "mesh"}: [${n.kind}] ${n.subject}: ${n.why}`;

function planImported(imported: OvsMeshImport, name: string) {
    return planMesh({ name, ...imported.mesh } as OvsMeshInput).hosts;
}

describe("OvsMesh import", () => {
    const three = (prefix: string) => [1, 2, 3].map((i) => ({ name: `${prefix}${i}`, underlayAddress: `192.0.2.${10 + i}` }));
    const cases: [string, OvsMeshInput, string | undefined][] = [
        ["GRE full mesh of 3, daemon.json (seed 003's numbers)", { ...seed003(), osConfig: undefined }, "full-mesh"],
        [
            "GRE full mesh of 3 whose host1 named its ports by hand",
            { ...seed003(), osConfig: undefined, hosts: seed003().hosts.map((h) => (h.name === "host1" ? { ...h, tunnelPortNames: { host2: "gre0", host3: "gre1" } } : h)) },
            "full-mesh",
        ],
        [
            "VXLAN ring of 3 (the same tunnels as a full mesh: imported as one), DOCKER_OPTS, a unix listener",
            { name: "vx", hosts: three("node"), tunnel: { type: "vxlan", key: 5001, dstPort: 4790 }, topology: "ring", stp: "rstp", containerNetwork: "10.200.0.0/16", hostPrefixLength: 20, docker: { mode: "default-file", hosts: ["unix:///run/docker.sock"] } },
            "full-mesh",
        ],
        [
            "VXLAN ring of 4 with pinned slots, a Docker bridge of its own, a VLAN on two hosts",
            {
                name: "ring4",
                hosts: [
                    { name: "a", underlayAddress: "198.51.100.1", slot: 5 },
                    { name: "b", underlayAddress: "198.51.100.2", slot: 2 },
                    { name: "c", underlayAddress: "198.51.100.3", bridgeAddress: "10.9.0.200" },
                    { name: "d", underlayAddress: "198.51.100.4" },
                ],
                bridge: "ovs-mesh",
                tunnel: { type: "vxlan", key: "flow" },
                topology: "ring",
                containerNetwork: "10.9.0.0/16",
                hostPrefixLength: 19,
                bridgeAddressBlock: "10.9.1.0/24",
                dockerBridge: "cbr0",
                mtu: 1400,
                vlans: [{ port: "vlan200", tag: 200, hosts: ["a", "c"] }],
            },
            "ring",
        ],
        ["GRE star of 4 with a key", { name: "st", hosts: [...three("h"), { name: "hub", underlayAddress: "192.0.2.20" }], tunnel: { type: "gre", key: 77 }, topology: "star", hub: "hub", containerNetwork: "172.30.0.0/16", underlayMtu: 9000 }, "star"],
    ];
    for (const [title, args, topology] of cases) {
        test(`round trip: ${title}`, () => {
            const plan = planMesh(args).hosts;
            const imported = importOvsMesh(outputsOf(plan, args.underlayMtu as number | undefined));
            assert.deepEqual(imported.notes.map(line), []);
            assert.deepEqual(Object.fromEntries(imported.mesh.hosts.map((h) => [h.name, h.tunnelPortNames])), Object.fromEntries(args.hosts.map((h) => [h.name, h.tunnelPortNames])));
            assert.equal(imported.mesh.topology, topology);
            const again = planImported(imported, args.name);
            for (const [name, p] of Object.entries(plan)) {
                const q = again[name];
                assert.ok(q, `${name} is in the imported mesh`);
                assert.deepEqual(plannedRecords(q.ovs), plannedRecords(p.ovs), `${name}'s OVSDB records`);
                assert.deepEqual(q.ovs, p.ovs, `${name}'s records with their owner ids`);
                assert.deepEqual([q.slot, q.slice, q.bridgeAddress, q.mtu, q.dockerBridge, q.underlayAddress], [p.slot, p.slice, p.bridgeAddress, p.mtu, p.dockerBridge, p.underlayAddress]);
                assert.deepEqual(q.docker, p.docker, `${name}'s Docker options`);
            }
        });
    }

    test("round trip: the test's own OVSDB JSON reads back as the planned records", () => {
        for (const p of Object.values(planMesh(cases[2][1]).hosts)) assert.deepEqual(readRecords(readOvsdb(p.name, ovsdbJson(p.ovs))), plannedRecords(p.ovs));
    });

    const seedHosts = (): OvsHostOutputs[] =>
        ["host1", "host2", "host3"].map((name, i) => ({
            name,
            reachedAt: `${i + 1}.${i + 1}.${i + 1}.${i + 1}`,
            ovsdb: readFileSync(join(SEED003, `${name}.ovsdb.json`), "utf8"),
            ipAddr: readFileSync(join(SEED003, `${name}.ip-addr.json`), "utf8"),
            dockerDefault: readFileSync(join(SEED003, `${name}.default-docker`), "utf8"),
        }));

    test("seed 003 by hand: br0 with gre1-3, docker0 at 172.17.42.N/16 above it, DOCKER_OPTS", () => {
        const imported = importOvsMesh(seedHosts());
        assert.deepEqual(imported.mesh, {
            hosts: [
                { name: "host1", underlayAddress: "1.1.1.1", tunnelPortNames: { host2: "gre1", host3: "gre2" } },
                { name: "host2", underlayAddress: "2.2.2.2", tunnelPortNames: { host1: "gre1", host3: "gre3" } },
                { name: "host3", underlayAddress: "3.3.3.3", tunnelPortNames: { host1: "gre2", host2: "gre3" } },
            ],
            bridge: "br0",
            tunnel: { type: "gre" },
            topology: "full-mesh",
            stp: true,
            mtu: 1462,
            containerNetwork: "172.17.0.0/16",
            hostPrefixLength: 18,
            bridgeAddressBlock: "172.17.42.0/24",
            dockerBridge: "docker0",
            docker: { mode: "default-file", hosts: ["unix:///var/run/docker.sock"] },
        });
        const perHost = (host: string) => [
            `${host}: [unexpressed] /etc/default/docker: 8 line(s) beside DOCKER_OPTS (BRIDGE=docker0, ...): the mesh writes the file as one DOCKER_OPTS line`,
            `${host}: [unexpressed] API listener tcp://0.0.0.0:2375: TCP without TLS, which the validator refuses: root on this host for anyone who reaches it`,
            `${host}: [adoption] bridge docker0: the mesh tells dockerd docker0's address as bip instead (dockerd resets docker0's address at each start otherwise)`,
            `${host}: [adoption] br0 mtu_request: unset: the mesh sets 1462`,
        ];
        const expected = [...perHost("host1"), ...perHost("host2"), ...perHost("host3")];
        assert.deepEqual([...imported.notes.map(line)].sort(), expected.sort());

        // The planner's records from the imported args are the read ones, the hand-made port names with them, but for what the report names.
        const planned = planImported(imported, "seed003");
        for (const h of seedHosts()) {
            const read = readRecords(readOvsdb(h.name, h.ovsdb));
            if (imported.notes.some((n) => n.host === h.name && n.subject === "br0 mtu_request")) read.bridges[0].mtuRequest = 1462;
            assert.deepEqual(plannedRecords(planned[h.name].ovs), read, h.name);
            assert.equal(planned[h.name].slice, { host1: "172.17.64.0/18", host2: "172.17.128.0/18", host3: "172.17.192.0/18" }[h.name]);
            assert.equal(planned[h.name].bridgeAddress, `172.17.42.${h.name.slice(-1)}/16`);
        }
    });

    test("what the mesh cannot hold is reported and left out, not guessed", () => {
        const plan = planMesh({ ...seed003(), osConfig: undefined }).hosts;
        const odd = JSON.parse(JSON.stringify(plan)) as typeof plan;
        const gre = (name: string, remote_ip: string) => ({ bridge: "br0", name, externalIds: {}, interface: { name, type: "gre" as const, options: { remote_ip }, externalIds: {} } });
        odd.host1.ovs.ports.push(gre("gre9", "9.9.9.9"), { ...gre("patch0", "0.0.0.0"), interface: { name: "patch0", type: "internal", options: {}, externalIds: {} } });
        odd.host1.ovs.bridges.push({ name: "br1", datapathType: "system", stpEnable: false, rstpEnable: false, otherConfig: {}, externalIds: {} });
        for (const p of odd.host2.ovs.ports) p.interface.options = { ...p.interface.options, key: "7" };
        odd.host3.docker.daemonJson = { ...odd.host3.docker.daemonJson, mtu: 1400 };
        for (const p of Object.values(odd)) p.ovs.bridges[0].stpEnable = false;
        const imported = importOvsMesh(outputsOf(odd));
        const lines = imported.notes.map(line);
        for (const want of [
            "host1: [unexpressed] bridge br1: a second bridge: OvsMesh manages one (br0); it stays as it is, unmanaged",
            "host1: [unexpressed] port gre9 (gre to 9.9.9.9): a tunnel to an address that is no host of the set",
            "host1: [unexpressed] port patch0: an internal port without a VLAN tag: the mesh has no such port",
            `host2: [unexpressed] tunnel key "7": differs from host1's unset: the mesh has one, so it is left to its default`,
            `host3: [unexpressed] MTU 1400: differs from host1's 1462: the mesh has one, so it is left to its default`,
            "mesh: [unexpressed] stp: the validator refuses it (`stp`: false, but a full-mesh of 3 hosts has loops: broadcast frames would circle forever (use true or \"rstp\", or a star)): left out, so its default applies",
        ]) {
            assert.ok(lines.includes(want), `missing: ${want}\n${lines.join("\n")}`);
        }
        assert.equal(lines.filter((l) => l.startsWith("host2: [unexpressed] tunnel key")).length, 1, "one note for host2's two keyed ports");
        assert.equal(imported.mesh.mtu, undefined);
        assert.equal(imported.mesh.stp, undefined);
        assert.deepEqual(imported.mesh.tunnel, { type: "gre" });
        assert.equal(imported.mesh.hosts.length, 3);
    });

    test("the ip read commands print what the reader parses (run on this machine: they only read)", () => {
        const run = (cmd: string) => spawnSync("sh", ["-c", cmd], { encoding: "utf8" });
        const [addr, link] = [run(IP_ADDR_READ_COMMAND), run(IP_LINK_READ_COMMAND)];
        assert.equal(addr.status, 0, addr.stderr);
        assert.equal(link.status, 0, link.stderr);
        const links = readLinks("here", addr.stdout, link.stdout);
        assert.equal(links.get("lo")?.mtu, 65536);
        assert.deepEqual(links.get("lo")?.addresses, [], "127.0.0.1 has host scope, not global");
    });

    describe("the read command against a private ovsdb-server, set up by seed 003's hand commands", () => {
        const tools = ["ovsdb-server", "ovsdb-tool", "ovs-vsctl"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);
        const schema = "/usr/share/openvswitch/vswitch.ovsschema";
        const skip = !tools || !existsSync(schema) ? "Open vSwitch tools are not installed" : false;
        let dir = "";
        let server: ChildProcess | undefined;
        const db = () => `--db=unix:${join(dir, "db.sock")}`;
        before(async () => {
            if (skip) return;
            dir = mkdtempSync(join(tmpdir(), "ovsimport-db-"));
            assert.equal(spawnSync("ovsdb-tool", ["create", join(dir, "conf.db"), schema]).status, 0);
            server = spawn("ovsdb-server", [join(dir, "conf.db"), `--remote=punix:${join(dir, "db.sock")}`, `--unixctl=${join(dir, "ctl")}`, "--no-chdir"], { stdio: "ignore" });
            for (let i = 0; i < 50 && !existsSync(join(dir, "db.sock")); i++) await new Promise((r) => setTimeout(r, 50));
        });
        after(() => {
            server?.kill("SIGTERM");
            if (dir) rmSync(dir, { recursive: true, force: true });
        });

        test("ovs-vsctl's JSON parses to what the hand-written fixture does", { skip }, () => {
            const vsctl = (args: string[]) => spawnSync("ovs-vsctl", [db(), "--no-wait", "--timeout=5", ...args], { encoding: "utf8" });
            const setup = vsctl(["init", "--", "add-br", "br0", "--", "set", "bridge", "br0", "stp_enable=true",
                "--", "add-port", "br0", "gre1", "--", "set", "interface", "gre1", "type=gre", "options:remote_ip=2.2.2.2",
                "--", "add-port", "br0", "gre2", "--", "set", "interface", "gre2", "type=gre", "options:remote_ip=3.3.3.3"]);
            assert.equal(setup.status, 0, setup.stderr);
            const read = spawnSync("sh", ["-c", OVSDB_READ_COMMAND.replace(/^ovs-vsctl /, `ovs-vsctl ${db()} `)], { encoding: "utf8" });
            assert.equal(read.status, 0, read.stderr);
            const fixture = readFileSync(join(SEED003, "host1.ovsdb.json"), "utf8");
            assert.deepEqual(readOvsdb("host1", read.stdout), readOvsdb("host1", fixture));
        });
    });
});
