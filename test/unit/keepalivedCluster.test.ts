import { strict as assert } from "node:assert";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { KeepalivedCluster } from "../../sdk/keepalivedCluster";
import type { KeepalivedClusterArgs } from "../../sdk/keepalivedCluster";
import { mocks, registered, settleRegistrations, value } from "../support/pulumiMocks";

/** Lets a run's registrations finish before the mocks switch stacks (they forget the old run's resources). */
async function settle(c: KeepalivedCluster): Promise<void> {
    await Promise.all([value(c.files), value(c.expectedHolders), value(c.failoverBoundSeconds), value(c.notes)]);
    await settleRegistrations();
}

/** The InputCheck's lines once the engine has it (mocks resolve inputs asynchronously). */
async function inputErrors(name: string): Promise<string[]> {
    for (let k = 0; k < 100 && !registered.has(`${name}-inputs`); k++) await new Promise((r) => setTimeout(r, 10));
    return (registered.get(`${name}-inputs`)?.errors as string[]) ?? [];
}

const node = (name: string, address: string) => ({ name, connection: { host: address }, address, interface: "eth0", interfaceCidr: `${address}/24` });
const cluster = (vrid: number, vip: pulumi.Input<string>, a = "10.77.0.11", b = "10.77.0.12"): KeepalivedClusterArgs => ({
    nodes: [node("n1", a), node("n2", b)],
    instances: [{ name: "VI_1", virtualRouterId: vrid, master: "n1", vips: [vip], auth: { type: "PASS", password: pulumi.secret("s3cret") } }],
});

test("a VIP from another resource's output is rendered; a secret password stays out of the readable files", async () => {
    await pulumi.runtime.setMocks(mocks, "ka", "outputs");
    const vip = pulumi.output("10.77.0.100");
    const lb = new KeepalivedCluster("lb", cluster(51, vip));
    const files = await value(lb.files);
    const conf = files.n1["/etc/keepalived/keepalived.conf"];
    assert.match(conf, /10\.77\.0\.100/);
    assert.match(conf, /auth_pass \{\{secret:auth_VI_1\}\}/);
    assert.ok(!conf.includes("s3cret"));
    assert.equal(await lb.files.isSecret, false, "the files are readable in previews");
    assert.deepEqual(await value(lb.expectedHolders), { VI_1: "n1" });
    assert.deepEqual(await inputErrors("lb"), []);
    await settle(lb);
});

test("an empty node list is an issue, not an exception, and makes no host children", async () => {
    await pulumi.runtime.setMocks(mocks, "ka", "empty");
    registered.clear();
    const empty = new KeepalivedCluster("none", { nodes: [], instances: [] });
    assert.deepEqual(await value(empty.files), {});
    assert.deepEqual(await inputErrors("none"), [
        "KeepalivedCluster none: `nodes`: at least one node is needed",
        "KeepalivedCluster none: `instances`: at least one instance is needed",
    ]);
    assert.deepEqual([...registered.keys()].filter((k) => k.startsWith("none-") && k !== "none-inputs"), []);
    await settle(empty);
});

test("the cross-cluster VRID rule sees only the clusters of its own stack", async () => {
    await pulumi.runtime.setMocks(mocks, "ka", "one");
    await settle(new KeepalivedCluster("web", cluster(60, "10.77.0.100")));
    await pulumi.runtime.setMocks(mocks, "ka", "two");
    const db = new KeepalivedCluster("db", cluster(60, "10.77.0.101", "10.77.0.21", "10.77.0.22"));
    assert.deepEqual(await inputErrors("db"), [], "another stack's cluster is not seen");
    await settle(db);
    await pulumi.runtime.setMocks(mocks, "ka", "one");
    new KeepalivedCluster("db2", cluster(60, "10.77.0.102", "10.77.0.31", "10.77.0.32"));
    assert.deepEqual(await inputErrors("db2"), [
        'KeepalivedCluster db2: `instances[0].virtualRouterId`: 60 on segment 10.77.0.0/24 is also used by cluster "web" (instances[0], VI_1)',
    ]);
});
