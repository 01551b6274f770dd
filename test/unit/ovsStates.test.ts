/**
 * The live states of an OvsMesh host: what each state must read back (golden), scripts that are valid sh,
 * and the rules the engine relies on (apply converges and deletes our stale records; removal starts Open
 * vSwitch for itself and stops it again). The scripts themselves run against real OVS in the e2e tests.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { OvsMeshInput } from "../../provider/plan/ovs/args";
import { ovsMeshStates, ovsServiceName } from "../../provider/work/ovsMesh";
import { planMesh, seed003 } from "../fixtures/ovsSeeds";
import { expectGolden } from "../support/golden";

const GOLDEN_DIR = join(__dirname, "..", "golden", "ovs");

const lab: OvsMeshInput = {
    name: "lab",
    hosts: [
        { name: "h1", underlayAddress: "10.79.1.11/24" },
        { name: "h2", underlayAddress: "10.79.1.12/24" },
        { name: "h3", underlayAddress: "10.79.1.13/24" },
    ],
    tunnel: { type: "vxlan", key: 5001 },
    stp: "rstp",
    containerNetwork: "192.168.0.0/16",
    datapathType: "netdev",
    underlayBridge: { port: "eth1" },
    vlans: [
        { port: "br0", tag: 100 },
        { port: "vlan200", tag: 200, hosts: ["h1"] },
    ],
    flows: [
        { priority: 100, match: "ip,nw_dst=192.168.3.9", actions: "drop" },
        { priority: 10, match: "dl_type=0x0806", actions: "NORMAL" },
    ],
};

describe("OvsMesh live states", () => {
    const h1 = planMesh(lab).hosts.h1;
    const states = ovsMeshStates(h1);

    test("lab-netdev-vxlan-h1.states: what each state reads back once applied", () => {
        expectGolden(GOLDEN_DIR, "lab-netdev-vxlan-h1.states", states.map((s) => `### ${s.name}\n${s.expected}\n`).join("\n"));
    });

    test("seed003-handnamed-host1.states: hand-made ports (gre0, gre1) read back and kept by their own names", () => {
        const spec = seed003();
        spec.hosts[0].tunnelPortNames = { host2: "gre0", host3: "gre1" };
        const handNamed = ovsMeshStates(planMesh(spec).hosts.host1);
        expectGolden(GOLDEN_DIR, "seed003-handnamed-host1.states", handNamed.map((s) => `### ${s.name}\n${s.expected}\n`).join("\n"));
        assert.match(handNamed[0].apply, /' gre0 gre1 '/);
    });

    test("every script is valid sh", () => {
        for (const s of states) for (const k of ["read", "apply", "remove"] as const) execFileSync("sh", ["-n"], { input: s[k] });
    });

    test("apply is one ovs-vsctl transaction that also deletes our records the plan no longer has", () => {
        const apply = states[0].apply;
        assert.equal(apply.match(/^ovs-vsctl --timeout=30 /gm)?.length, 1);
        assert.match(apply, /find port 'external_ids:pulumi-onprem=lab'|find port external_ids:pulumi-onprem=lab/);
        assert.match(apply, /stale="\$stale \$\(gone port "\$p"\)"/);
        assert.match(apply, /--if-exists del-port \$2/);
        assert.match(apply, /' eth1 vxlan-h2 vxlan-h3 vlan200 '/);
    });

    test("removal works with Open vSwitch stopped: it starts it, and stops it again", () => {
        for (const s of states) {
            assert.match(s.remove, /systemctl start openvswitch-switch/);
            assert.match(s.remove, /\[ -z "\$started" \] \|\| systemctl stop openvswitch-switch/);
        }
    });

    test("reads never start anything", () => {
        for (const s of states) assert.doesNotMatch(s.read, /systemctl/);
    });

    test("a host without rules still owns the cookie, and reads as having none", () => {
        const plain = planMesh({ ...seed003(), name: "m" }).hosts.host1;
        const flows = ovsMeshStates(plain)[2];
        assert.equal(flows.expected, "(no flows)");
        assert.match(flows.apply, /delete cookie=0x[0-9a-f]+\/-1/);
    });

    test("the service is openvswitch on ifcfg (RHEL) hosts", () => {
        assert.equal(ovsServiceName("ifcfg"), "openvswitch");
        assert.equal(ovsServiceName("interfaces"), "openvswitch-switch");
        const rhel = planMesh({ ...seed003(), osConfig: { format: "ifcfg" } }).hosts.host2;
        assert.match(ovsMeshStates(rhel)[0].apply, /systemctl start openvswitch\b/);
    });
});
