import { strict as assert } from "node:assert";
import { test } from "node:test";
import { BadInputCase, expectPreviewRefusals, previewProject } from "../support/badInput";
import { mesh } from "../support/badCorpus";
import { setObjectConfig } from "../support/pulumi";

type Args = ReturnType<typeof mesh>;
/** The corpus's good mesh: 3 hosts on the userspace datapath, GRE, seed 003's addresses. */
const good = mesh;

// Each case costs a preview (about 10 s here): the planner's unit tests hold the full table.
const cases: BadInputCase<Args>[] = [
    ["TCP Docker API without TLS (seed 003's -H tcp://0.0.0.0:2375)", (a) => (a.docker = { hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"] }), /`docker\.hosts\[1\]`: tcp:\/\/0\.0\.0\.0:2375 would expose the Docker API without TLS/],
    ["MTU above what GRE leaves of the underlay", (a) => (a.mtu = 1480), /`mtu`: 1480/],
    ["network too small for the hosts", (a) => (a.hostPrefixLength = 17), /`containerNetwork`: 172\.17\.0\.0\/16 in \/17 slices holds 1 hosts/],
    ["bridge block outside slice 0", (a) => (a.bridgeAddressBlock = "172.17.200.0/24"), /`bridgeAddressBlock`: 172\.17\.200\.0\/24 must lie inside 172\.17\.0\.0\/18/],
    ["unknown tunnel type", (a) => (a.tunnel = { type: "ipip" }), /`tunnel\.type`: "ipip" is not one of gre, vxlan, geneve/],
    ["VNI beyond 24 bits", (a) => (a.tunnel = { type: "vxlan", key: 16777216 }), /`tunnel\.key`: 16777216 is outside 0-16777215/],
    ["two hosts, one underlay address", (a) => (a.hosts[2].underlayAddress = a.hosts[0].underlayAddress), /`hosts\[2\]\.underlayAddress`: 10\.0\.1\.11 is also hosts\[0\]'s underlay address/],
    ["netdev underlay without a prefix", (a) => (a.hosts[1].underlayAddress = "10.0.1.12"), /`hosts\[1\]\.underlayAddress`: needs a prefix length/],
    ["STP off on a looped full mesh", (a) => (a.stp = false), /`stp`: false, but a full-mesh of 3 hosts has loops/],
    ["two hosts on one slot", (a) => ((a.hosts[0] as Record<string, unknown>).slot = 2, (a.hosts[1] as Record<string, unknown>).slot = 2), /`hosts\[1\]\.slot`: slot 2 is also set on hosts\[0\]/],
    ["no hosts (refused as an issue, not thrown)", (a) => (a.hosts = []), /`hosts`: at least one host is needed/],
    ["two hosts with one name", (a) => (a.hosts[2].name = "h1"), /`hosts\[2\]\.name`: "h1" is also hosts\[0\]'s name/],
    ["flow that sets the cookie", (a) => (a.flows = [{ priority: 5, match: "cookie=0x1,ip", actions: "drop" }]), /`flows\[0\]\.match`: sets cookie/],
];

test("OvsMesh bad input fails at `pulumi preview`, naming the field, with no SSH connection", async (t) => {
    const { project, dials } = previewProject(t, "test/e2e/programs/ovs-args");

    setObjectConfig(project, { meshes: { m1: good() } });
    const clean = project.pulumi(["preview"], { allowFail: true });
    assert.equal(clean.code, 0, `the unbroken input previews cleanly:\n${clean.out}`);

    expectPreviewRefusals(t, project, { label: "OvsMesh m1", good, config: (m1) => ({ meshes: { m1 } }), cases });
    assert.deepEqual(dials(), [], "no provider process dialled anything");
});
