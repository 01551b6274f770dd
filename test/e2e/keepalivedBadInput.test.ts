import { strict as assert } from "node:assert";
import { test } from "node:test";
import { BadInputCase, expectPreviewRefusals, previewProject } from "../support/badInput";
import { KEY } from "../support/badCorpus";
import { setObjectConfig } from "../support/pulumi";

const PASSWORD = "pw12345";
const node = (name: string, address: string) => ({
    name,
    connection: { host: address, privateKey: KEY /* parses, reaches nothing */ },
    address,
    interface: "eth0",
    interfaceCidr: `${address}/24`,
});
type Args = { nodes: ReturnType<typeof node>[]; instances: Record<string, unknown>[]; globalDefs?: object; scripts?: object; maintenance?: string[] };
const good = (): Args => ({
    nodes: [node("n1", "10.0.0.11"), node("n2", "10.0.0.12")],
    instances: [{ name: "VI_1", virtualRouterId: 51, master: "n1", vips: ["10.0.0.100"], auth: { type: "PASS" } }],
});

const cases: BadInputCase<Args>[] = [
    ["VRID out of range", (a) => (a.instances[0].virtualRouterId = 300), /`instances\[0\]\.virtualRouterId`: 300 is outside 1-255/],
    ["VRID zero", (a) => (a.instances[0].virtualRouterId = 0), /`instances\[0\]\.virtualRouterId`: 0 is outside 1-255/],
    ["VIP outside the subnet", (a) => (a.instances[0].vips = ["192.0.2.10"]), /`instances\[0\]\.vips\[0\]`: .*192\.0\.2\.10/],
    ["VIP not an address", (a) => (a.instances[0].vips = ["10.0.0.300"]), /`instances\[0\]\.vips\[0\]`/],
    ["no VIP", (a) => (a.instances[0].vips = []), /`instances\[0\]\.vips`: at least one VIP is needed/],
    ["master not a node", (a) => (a.instances[0].master = "n9"), /`instances\[0\]\.master`: "n9" is not in `nodes`/],
    ["priority out of range", (a) => { delete a.instances[0].master; a.instances[0].priorities = { n1: 255, n2: 100 }; }, /`instances\[0\]\.priorities\.n1`/],
    ["priorities not distinct", (a) => { delete a.instances[0].master; a.instances[0].priorities = { n1: 100, n2: 100 }; }, /`instances\[0\]\.priorities/],
    ["master and priorities", (a) => (a.instances[0].priorities = { n1: 100, n2: 90 }), /`instances\[0\]\.master`: cannot be set together with `priorities`/],
    ["unicast with vrrp_strict", (a) => { a.instances[0].unicast = true; delete a.instances[0].auth; a.globalDefs = { vrrpStrict: true }; }, /`instances\[0\]\.unicast`: is not allowed with `globalDefs\.vrrpStrict`/],
    ["duplicate VRID on one interface", (a) => a.instances.push({ name: "VI_2", virtualRouterId: 51, master: "n2", vips: ["10.0.0.101"] }), /`instances\[1\]\.virtualRouterId`: 51 is also used by instances\[0\]/],
    ["duplicate node names", (a) => (a.nodes[1].name = "n1"), /`nodes\[1\]\.name`/],
    ["node address not an IP", (a) => (a.nodes[1].address = "not-an-ip"), /`nodes\[1\]\.address`/],
    ["track script not absolute", (a) => { a.scripts = { chk: { script: "test -f /x" } }; a.globalDefs = { enableScriptSecurity: true }; a.instances[0].trackScripts = ["chk"]; }, /`scripts\.chk\.script`/],
    ["no nodes", (a) => (a.nodes = []), /`nodes`: at least one node is needed/],
    ["advert interval zero", (a) => (a.instances[0].advertInt = 0), /`instances\[0\]\.advertInt`/],
    ["maintenance names no node", (a) => (a.maintenance = ["n9"]), /`maintenance\[0\]`: "n9" is not a node of this cluster \(nodes: n1, n2\)/],
    ["maintenance on every node", (a) => (a.maintenance = ["n1", "n2"]), /`maintenance`: puts every node \(n1, n2\) in maintenance, which would leave the VIPs of VI_1 with no holder/],
];

test("KeepalivedCluster bad input fails at `pulumi preview`, naming the field, with no SSH connection", async (t) => {
    const { project, dials } = previewProject(t, "test/e2e/programs/keepalived-args");
    project.pulumi(["config", "set", "--secret", "password", PASSWORD]);

    setObjectConfig(project, { clusters: { lb: good() } });
    assert.equal(project.pulumi(["preview"]).code, 0, "the unbroken input previews cleanly");

    expectPreviewRefusals(t, project, { label: "KeepalivedCluster lb", good, config: (lb) => ({ clusters: { lb } }), cases, secrets: [PASSWORD] });

    // Two clusters, one VRID, one segment.
    const other = good();
    other.nodes = [node("n3", "10.0.0.13"), node("n4", "10.0.0.14")];
    other.instances[0].master = "n3";
    other.instances[0].vips = ["10.0.0.120"];
    setObjectConfig(project, { clusters: { lb: good(), lb2: other } });
    const r = project.pulumi(["preview"], { allowFail: true });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /KeepalivedCluster lb2: `instances\[0\]\.virtualRouterId`: 51 on segment 10\.0\.0\.0\/24 is also used by cluster "lb"/);

    assert.deepEqual(dials(), [], "no provider process dialled anything");
});
