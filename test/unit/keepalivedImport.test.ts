import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import * as ts from "typescript";
import { parseKeepalivedConf } from "../../provider/import/keepalivedConf";
import { importedClusterIssues, mapKeepalivedCluster, NodeConf } from "../../provider/import/keepalivedCluster";
import { configCommands, writeImportReport, writeKeepalivedProject } from "../../provider/import/keepalivedProgram";
import { expectGolden } from "../support/golden";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURES = path.join(ROOT, "test/fixtures/import/keepalived");
const GOLDEN_DIR = path.join(ROOT, "test/golden/import");
const CONF = "/etc/keepalived/keepalived.conf";

/** The seeds' hosts, as the blog posts show them (`ip addr`, the prompts). */
const CASES: Record<string, { name: string; address: string; cidr: string }[]> = {
    "seed001-master-backup": [
        { name: "BAIYU_180", address: "192.168.100.180", cidr: "192.168.100.180/24" },
        { name: "BAIYU_179", address: "192.168.100.179", cidr: "192.168.100.179/24" },
    ],
    "seed001-dual-master": [
        { name: "BAIYU_180", address: "192.168.100.180", cidr: "192.168.100.180/24" },
        { name: "BAIYU_179", address: "192.168.100.179", cidr: "192.168.100.179/24" },
    ],
    "seed002-unicast": [
        { name: "node1", address: "10.10.100.106", cidr: "10.10.100.106/24" },
        { name: "node2", address: "10.10.100.107", cidr: "10.10.100.107/24" },
    ],
};

function importCase(name: string) {
    const nodes: NodeConf[] = CASES[name].map((h) => ({
        name: h.name,
        reachedAt: h.address,
        interfaceCidrs: { eth0: [h.cidr] },
        conf: parseKeepalivedConf(fs.readFileSync(path.join(FIXTURES, name, `${h.name}.conf`), "utf8")),
    }));
    const imported = mapKeepalivedCluster(nodes);
    const sources = Object.fromEntries(CASES[name].map((h) => [h.name, `root@${h.address}:${CONF}`]));
    const project = writeKeepalivedProject({
        cluster: imported.cluster,
        connections: Object.fromEntries(CASES[name].map((h) => [h.name, { host: h.address, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }])),
        sources: Object.values(sources),
        project: "keepalived",
        versions: { pulumiOnprem: "^0.1.0", pulumi: "^3.248.0", typescript: "~5.9.3" },
    });
    return { imported, project, program: project["index.ts"], report: writeImportReport(imported.unexpressed, sources) };
}

test("the parser: comments (also trailing), braces on the same or the next line, quoted strings, one-line blocks", () => {
    const { statements, problems } = parseKeepalivedConf(
        [
            "! a comment",
            "vrrp_script chk   # trailing",
            "{",
            '  script "/bin/sh -c \\"test ! -f x\\"" ! not part of it',
            "}",
            "vrrp_instance VI_1 { state MASTER }",
            "include /etc/keepalived/other.conf",
            "}",
        ].join("\n"),
    );
    assert.deepEqual(
        statements.map((s) => ({ keyword: s.keyword, args: s.args, line: s.line, children: s.children?.map((c) => [c.keyword, ...c.args, c.line]) })),
        [
            { keyword: "vrrp_script", args: ["chk"], line: 2, children: [["script", '/bin/sh -c "test ! -f x"', 4]] },
            { keyword: "vrrp_instance", args: ["VI_1"], line: 6, children: [["state", "MASTER", 6]] },
            { keyword: "include", args: ["/etc/keepalived/other.conf"], line: 7, children: undefined },
        ],
    );
    assert.equal(statements[0].text, "vrrp_script chk");
    assert.deepEqual(problems, [{ line: 8, text: "}", why: "a `}` that closes no block" }]);
    assert.deepEqual(parseKeepalivedConf("global_defs {\n  router_id a\n").problems, [{ line: 1, text: "global_defs {", why: "this block is not closed (a `}` is missing)" }]);
});

test("include is reported, not followed", () => {
    const conf = (text: string): NodeConf => ({ name: "n1", reachedAt: "10.0.0.11", conf: parseKeepalivedConf(text) });
    const { unexpressed } = mapKeepalivedCluster([conf("include /etc/keepalived/conf.d/*.conf\nvrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.100\n }\n}\n")]);
    assert.deepEqual(unexpressed, [{ node: "n1", line: 1, text: "include /etc/keepalived/conf.d/*.conf", why: "included files are not read: import their statements by hand" }]);
});

test("instances that differ between nodes are reported, not guessed", () => {
    const conf = (vrid: number, vip: string) => `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id ${vrid}\n priority 100\n virtual_ipaddress {\n ${vip}\n }\n}\n`;
    const nodes = (a: string, b: string): NodeConf[] => [
        { name: "n1", reachedAt: "10.0.0.11", conf: parseKeepalivedConf(a) },
        { name: "n2", reachedAt: "10.0.0.12", conf: parseKeepalivedConf(b) },
    ];
    const vrid = mapKeepalivedCluster(nodes(conf(51, "10.0.0.100"), conf(52, "10.0.0.100")));
    assert.deepEqual(vrid.cluster.instances, []);
    assert.deepEqual(vrid.unexpressed.map((u) => `${u.node}:${u.line}`), ["n1:3", "n2:3"]);
    assert.match(vrid.unexpressed[0].why, /^virtual_router_id differs between the nodes .*: instance VI_1 is left out$/);
    const vips = mapKeepalivedCluster(nodes(conf(51, "10.0.0.100"), conf(51, "10.0.0.101")));
    assert.deepEqual(vips.cluster.instances, []);
    assert.match(vips.unexpressed[0].why, /^virtual_ipaddress differs/);
});

for (const name of Object.keys(CASES)) {
    test(`import of ${name}: the program and the report match their goldens; the password stays on the hosts`, () => {
        const { imported, project, program, report } = importCase(name);
        assert.deepEqual(Object.keys(project).sort(), ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]);
        assert.match(project["Pulumi.yaml"], /^name: keepalived\n/);
        assert.equal(JSON.parse(project["package.json"]).dependencies["pulumi-onprem"], "^0.1.0");
        expectGolden(GOLDEN_DIR, `${name}.index.ts.golden`, program);
        expectGolden(GOLDEN_DIR, `${name}.report.txt`, report);
        assert.ok(!/1111|vi111|vi222/.test(program), "no password in the program");
        assert.deepEqual(imported.secrets.map((s) => s.configSecret), imported.cluster.instances.filter((i) => i.auth).map((i) => `vrrpPassword_${i.name}`));
    });
}

test("the imported seeds pass the package's own checks (a preview would not refuse them)", () => {
    for (const name of Object.keys(CASES)) assert.deepEqual(importedClusterIssues(importCase(name).imported.cluster), [], name);
});

test("the generated programs compile against the package's types", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-import-"));
    try {
        const files = Object.keys(CASES).map((name) => {
            fs.mkdirSync(path.join(dir, name));
            const file = path.join(dir, name, "index.ts");
            fs.writeFileSync(file, importCase(name).program);
            return file;
        });
        const program = ts.createProgram(files, {
            strict: true,
            noEmit: true,
            target: ts.ScriptTarget.ES2022,
            lib: ["lib.es2022.d.ts"],
            module: ts.ModuleKind.CommonJS,
            moduleResolution: ts.ModuleResolutionKind.Node10,
            esModuleInterop: true,
            skipLibCheck: true,
            types: ["node"],
            typeRoots: [path.join(ROOT, "node_modules/@types")],
            baseUrl: ROOT,
            paths: { "pulumi-onprem": ["sdk/index.ts"], "*": ["node_modules/*", "node_modules/@types/*"] },
        });
        // The generated files' own diagnostics: the package's sources are checked by its own typecheck.
        const diagnostics = files.flatMap((f) => ts.getPreEmitDiagnostics(program, program.getSourceFile(f)).map((d) => `${path.basename(path.dirname(f))}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`));
        assert.deepEqual(diagnostics, []);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("the config lines: the key's path, and each password read from its host's line into a secret, never printed", () => {
    const lines = configCommands({
        privateKeyPath: "/home/op/.ssh/id_ed25519",
        knownHostsPath: "/home/op/lab known_hosts",
        secrets: [{ configSecret: "vrrpPassword_VI_1", node: "lb1", line: 21 }],
        reached: { lb1: { host: "10.0.0.11", port: 2222, user: "ops" } },
        confPath: CONF,
    });
    assert.deepEqual(lines, [
        "pulumi config set privateKeyPath /home/op/.ssh/id_ed25519",
        "ssh -i /home/op/.ssh/id_ed25519 -p 2222 -o 'UserKnownHostsFile=/home/op/lab known_hosts' -o StrictHostKeyChecking=yes ops@10.0.0.11 'sudo -n sed -n 21p /etc/keepalived/keepalived.conf' | awk '{print substr($2, 1, 8)}' | pulumi config set --secret vrrpPassword_VI_1",
    ]);
});

test("what the cluster derives differently is reported: a state under vrrp_strict, `preempt_delay 60s`; a MISC_CHECK turns script security on", () => {
    const conf = (state: string, priority: number) => `global_defs {
  vrrp_strict
}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  virtual_router_id 80
  priority ${priority}
  preempt_delay 60s
  virtual_ipaddress {
    10.10.100.110
  }
}
virtual_server 10.10.100.110 80 {
  lb_algo wrr
  lb_kind DR
  real_server 10.10.100.5 80 {
    MISC_CHECK {
      misc_path "/usr/local/bin/check web"
    }
  }
}
`;
    const { cluster, unexpressed } = mapKeepalivedCluster([
        { name: "n1", reachedAt: "10.10.100.106", conf: parseKeepalivedConf(conf("MASTER", 100)) },
        { name: "n2", reachedAt: "10.10.100.107", conf: parseKeepalivedConf(conf("BACKUP", 90)) },
    ]);
    assert.equal(cluster.globalDefs?.enableScriptSecurity, true);
    assert.deepEqual(cluster.virtualServers, [{ address: "10.10.100.110", port: 80, lbAlgo: "wrr", lbKind: "DR", realServers: [{ address: "10.10.100.5", port: 80, check: { type: "MISC_CHECK", path: "/usr/local/bin/check web" } }] }]);
    assert.deepEqual(
        unexpressed.map((u) => `${u.node}:${u.line}: ${u.why}`),
        [
            "n1:5: KeepalivedCluster starts this node as BACKUP (vrrp_strict allows MASTER only at priority 255); the priorities are kept, so n1 (priority 100) still holds the VIPs",
            "n1:9: \"60s\" is not a number: left out",
            "n1:19: KeepalivedCluster turns on `enable_script_security` where scripts run (keepalived warns of a SECURITY VIOLATION without it): added",
            "n2:9: \"60s\" is not a number: left out",
        ],
    );
    assert.deepEqual(importedClusterIssues(cluster), []);
});
