/**
 * pulumi-onprem-import's program (provider/import/programText.ts and the three sections): the index.ts it
 * writes for keepalived alone (the same bytes as before the program was shared), an OvsMesh (seed 003's
 * hand-made mesh), StaticInterfaces (the four formats' hand-written files) and all three together, as
 * goldens; each compiled by the real TypeScript compiler against this package's SDK.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { mapKeepalivedCluster, type NodeConf } from "../../provider/import/keepalivedCluster";
import { parseKeepalivedConf } from "../../provider/import/keepalivedConf";
import { keepalivedSection, writeImportReport } from "../../provider/import/keepalivedProgram";
import { importOvsMesh } from "../../provider/import/ovsMeshImport";
import { importedMeshIssues, ovsMeshReport, ovsMeshSection } from "../../provider/import/ovsMeshProgram";
import { type ProgramConnection, type ProgramSection, writeProgram, writeProject } from "../../provider/import/programText";
import { importedInterfaceIssues, importHostInterfaces, staticInterfaceReport, staticInterfaceSection } from "../../provider/import/staticInterfaceProgram";
import type { StaticInterfaceFormat } from "../../provider/plan/staticInterface/args";
import { expectGolden } from "../support/golden";

const ROOT = path.resolve(__dirname, "../..");
const GOLDEN_DIR = path.join(ROOT, "test/golden/import/program");
const HOST_KEY = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const CONF = "/etc/keepalived/keepalived.conf";

interface Part {
    section: ProgramSection;
    report: string;
    issues: string[];
}

const connection = (host: string): ProgramConnection => ({ host, hostKey: HOST_KEY });

/** Seed 002's unicast pair, as keepalivedImport.test.ts imports it. */
function keepalivedPart(): Part {
    const hosts = [
        { name: "node1", address: "10.10.100.106", cidr: "10.10.100.106/24" },
        { name: "node2", address: "10.10.100.107", cidr: "10.10.100.107/24" },
    ];
    const fixtures = path.join(ROOT, "test/fixtures/import/keepalived/seed002-unicast");
    const nodes: NodeConf[] = hosts.map((h) => ({
        name: h.name,
        reachedAt: h.address,
        interfaceCidrs: { eth0: [h.cidr] },
        conf: parseKeepalivedConf(fs.readFileSync(path.join(fixtures, `${h.name}.conf`), "utf8")),
    }));
    const imported = mapKeepalivedCluster(nodes);
    const sources = Object.fromEntries(hosts.map((h) => [h.name, `root@${h.address}:${CONF}`]));
    return {
        section: keepalivedSection({ cluster: imported.cluster, connections: Object.fromEntries(hosts.map((h) => [h.name, connection(h.address)])), sources: Object.values(sources) }),
        report: writeImportReport(imported.unexpressed, sources),
        issues: [],
    };
}

/** Seed 003's mesh as its hosts' OVSDB, `ip -j addr` and /etc/default/docker show it. */
function ovsPart(): Part {
    const dir = path.join(ROOT, "test/golden/import/ovs-mesh/seed003");
    const hosts = ["host1", "host2", "host3"].map((name, k) => ({
        name,
        reachedAt: `${k + 1}.${k + 1}.${k + 1}.${k + 1}`,
        ovsdb: fs.readFileSync(path.join(dir, `${name}.ovsdb.json`), "utf8"),
        ipAddr: fs.readFileSync(path.join(dir, `${name}.ip-addr.json`), "utf8"),
        dockerDefault: fs.readFileSync(path.join(dir, `${name}.default-docker`), "utf8"),
    }));
    const imported = importOvsMesh(hosts);
    const given = Object.fromEntries(hosts.map((h) => [h.name, `root@${h.reachedAt}`]));
    return {
        section: ovsMeshSection({
            imported,
            connections: Object.fromEntries(hosts.map((h) => [h.name, connection(h.reachedAt)])),
            sources: hosts.map((h) => `root@${h.reachedAt}: OVSDB (ovs-vsctl list Bridge, Port, Interface), ip -j addr, /etc/default/docker`),
        }),
        report: ovsMeshReport(imported.notes, given),
        issues: importedMeshIssues(imported).map((i) => i.message),
    };
}

/** Four hosts, one per format, from the hand-written fixtures; web1 is reached through its enp0s3. */
function staticPart(): Part {
    const dir = path.join(ROOT, "test/golden/import/static-interface");
    const file = (at: string, name: string) => ({ path: at, text: fs.readFileSync(path.join(dir, name), "utf8") });
    const scripts = "/etc/sysconfig/network-scripts";
    const hosts: { name: string; reachedAt: string; format: StaticInterfaceFormat; files: { path: string; text: string }[] }[] = [
        {
            name: "web1",
            reachedAt: "192.168.0.193",
            format: "ifcfg",
            files: [file(`${scripts}/ifcfg-enp0s3`, "ifcfg-enp0s3"), file(`${scripts}/ifcfg-eth1`, "ifcfg-eth1"), file(`${scripts}/route-eth1`, "route-eth1"), { path: `${scripts}/ifcfg-lo`, text: "DEVICE=lo\nIPADDR=127.0.0.1\n" }],
        },
        { name: "web2", reachedAt: "10.0.0.2", format: "interfaces", files: [file("/etc/network/interfaces", "interfaces")] },
        { name: "web3", reachedAt: "10.0.0.3", format: "netplan", files: [file("/etc/netplan/01-netcfg.yaml", "01-netcfg.yaml")] },
        { name: "web4", reachedAt: "10.0.0.4", format: "networkmanager", files: [file("/etc/NetworkManager/system-connections/enp0s3.nmconnection", "enp0s3.nmconnection")] },
    ];
    const imported = hosts.map((h) => ({ host: h.name, ...importHostInterfaces(h.name, h.reachedAt, [{ format: h.format, files: h.files }]) }));
    const interfaces = imported.flatMap((i) => i.interfaces);
    return {
        section: staticInterfaceSection({
            interfaces,
            connections: Object.fromEntries(hosts.map((h) => [h.name, connection(h.reachedAt)])),
            sources: hosts.map((h) => `root@${h.reachedAt} (${h.format}): ${h.files.map((f) => f.path).join(", ")}`),
        }),
        report: staticInterfaceReport(imported, Object.fromEntries(hosts.map((h) => [h.name, `root@${h.reachedAt}`]))),
        issues: importedInterfaceIssues(interfaces).map((i) => i.message),
    };
}

const CASES: Record<string, () => Part[]> = {
    keepalived: () => [keepalivedPart()],
    "ovs-mesh": () => [ovsPart()],
    "static-interface": () => [staticPart()],
    all: () => [keepalivedPart(), ovsPart(), staticPart()],
};

for (const [name, parts] of Object.entries(CASES)) {
    test(`${name}: index.ts and the report match their goldens`, () => {
        const ps = parts();
        expectGolden(GOLDEN_DIR, `${name}.index.ts.golden`, writeProgram(ps.map((p) => p.section)));
        expectGolden(GOLDEN_DIR, `${name}.report.txt`, ps.map((p) => p.report).join(""));
    });
}

test("keepalived alone: the same program as before the program text was shared", () => {
    const before = fs.readFileSync(path.join(ROOT, "test/golden/import/seed002-unicast.index.ts.golden"), "utf8");
    assert.equal(writeProgram([keepalivedPart().section]), before);
});

test("the imported args pass the package's own checks", () => {
    for (const [name, parts] of Object.entries(CASES)) assert.deepEqual(parts().flatMap((p) => p.issues), [], name);
});

test("static interfaces: the management interface is said so; lo, DHCP-only stanzas and second interfaces are not declared", () => {
    const { section, report } = staticPart();
    const program = writeProgram([section]);
    assert.deepEqual([...program.matchAll(/new StaticInterface\("([^"]+)"/g)].map((m) => m[1]), ["web1-enp0s3", "web1-eth1", "web2-eth0", "web3-enp0s3", "web4-enp0s3"]);
    assert.match(program, /\/\/ enp0s3 carries the address the import connected through: web1's management interface[^\n]*\n[^\n]*commit-confirm[^\n]*\nnew StaticInterface\("web1-enp0s3"/);
    assert.equal(program.match(/management interface/g)?.length, 1);
    assert.ok(!program.includes("\"web1-lo\""), "the loopback is not declared");
    assert.match(report, /^root@10\.0\.0\.3:\/etc\/netplan\/01-netcfg\.yaml:\d+: enp0s8: — /m);
});

test("the project: one Pulumi.yaml describing every part, the package's versions", () => {
    const files = writeProject({ project: "onprem-hosts", versions: { pulumiOnprem: "^0.1.0", pulumi: "^3.248.0", typescript: "~5.9.3" }, sections: CASES.all().map((p) => p.section) });
    assert.deepEqual(Object.keys(files).sort(), ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]);
    const project = parse(files["Pulumi.yaml"]);
    assert.equal(project.name, "onprem-hosts");
    assert.match(project.description, /^keepalived on node1, node2, imported from their keepalived.conf; the Open vSwitch mesh of host1, host2, host3, imported from [^;]+; the static interfaces [^;]+ by pulumi-onprem-import$/);
    assert.equal(JSON.parse(files["package.json"]).dependencies["pulumi-onprem"], "^0.1.0");
});

test("every generated index.ts type-checks with tsc against the package's SDK (and a type error fails)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-import-program-"));
    try {
        const programs: Record<string, string> = Object.fromEntries(Object.entries(CASES).map(([name, parts]) => [name, writeProgram(parts().map((p) => p.section))]));
        // A program the compiler must refuse: proves the check reads the SDK's types.
        programs.broken = programs["ovs-mesh"].replace('bridge: "br0"', "bridge: 42");
        assert.notEqual(programs.broken, programs["ovs-mesh"]);
        for (const [name, text] of Object.entries(programs)) {
            fs.mkdirSync(path.join(dir, name));
            fs.writeFileSync(path.join(dir, name, "index.ts"), text);
        }
        fs.writeFileSync(
            path.join(dir, "tsconfig.json"),
            JSON.stringify({
                extends: path.join(ROOT, "tsconfig.json"),
                compilerOptions: {
                    noEmit: true,
                    declaration: false,
                    rootDir: "/",
                    baseUrl: ROOT,
                    typeRoots: [path.join(ROOT, "node_modules/@types")],
                    paths: { "pulumi-onprem": ["sdk/index.ts"], "*": ["node_modules/*", "node_modules/@types/*"] },
                },
                include: [],
                files: Object.keys(programs).map((name) => path.join(dir, name, "index.ts")),
            }),
        );
        const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", dir], { encoding: "utf8" });
        const errors = tsc.stdout.split("\n").filter((l) => /error TS\d+/.test(l));
        // tsc names files relative to the working directory.
        const broken = (l: string) => l.includes(`${path.basename(dir)}/broken/index.ts`);
        assert.deepEqual(errors.filter((l) => !broken(l)), [], tsc.stdout + tsc.stderr);
        assert.ok(errors.some(broken), `the broken program is refused:\n${tsc.stdout}${tsc.stderr}`);
        assert.notEqual(tsc.status, 0);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
