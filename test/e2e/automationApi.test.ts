/**
 * Two stacks run from one Node process with the Automation API (inline programs) do not see each
 * other's KeepalivedClusters: the cross-cluster VRID rule keeps one list per run. Preview only: no host
 * is touched, and no SSH connection is opened.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { test } from "node:test";
import { KEY, HOST_KEY, cluster } from "../support/badCorpus";
import { previewProject } from "../support/badInput";
import { toolchainBin } from "../support/pulumi";

test("Automation API: two stacks in one process, one after another and at once, never see each other's clusters", async (t) => {
    // The package as users install it, with its own @pulumi/pulumi: the inline programs, the runtime and
    // the dynamic provider must all be that one copy.
    const { project, dials } = previewProject(t, "test/e2e/programs/bad-corpus");
    // By path: a bare "pulumi-onprem" from inside this repository resolves to the repository itself.
    const load = (m: string) => require(path.join(project.dir, "node_modules", m));
    const auto = load("@pulumi/pulumi/automation");
    const onprem = load("pulumi-onprem");
    const pulumiCommand = await auto.PulumiCommand.get({ root: path.dirname(toolchainBin()), skipVersionCheck: true });

    // Every cluster uses VRID 51 on 10.0.0.0/24; each stack's own clusters differ only in their nodes and VIP.
    const withKey = (a: Record<string, any>) => {
        for (const n of a.nodes) n.connection = { host: n.address, privateKey: KEY, hostKey: HOST_KEY };
        a.instances[0].auth = { type: "PASS", password: "pw123456" };
        return a;
    };
    const program = (clusters: [string, string, string, string][]) => async () => {
        for (const [name, a, b, vip] of clusters) new onprem.KeepalivedCluster(name, withKey(cluster(51, a, b, vip)));
    };
    const stack = (name: string, clusters: [string, string, string, string][]) =>
        auto.LocalWorkspace.createOrSelectStack(
            { stackName: name, projectName: "bad-corpus", program: program(clusters) },
            { workDir: project.dir, pulumiCommand, envVars: project.env as Record<string, string> },
        );
    const preview = async (s: any) => {
        try {
            const r = await s.preview();
            return { ok: true, out: r.stdout as string };
        } catch (e) {
            return { ok: false, out: `${(e as Error).message}` };
        }
    };
    const CROSS = /is also used by cluster/;

    // One after another: the second stack's cluster would conflict with the first's if it saw it.
    const a = await stack("seq-a", [["web", "10.0.0.11", "10.0.0.12", "10.0.0.100"]]);
    const b = await stack("seq-b", [["db", "10.0.0.21", "10.0.0.22", "10.0.0.101"]]);
    for (const [s, name] of [[a, "seq-a"], [b, "seq-b"]] as const) {
        const r = await preview(s);
        assert.ok(r.ok, `${name} previews cleanly:\n${r.out}`);
        assert.doesNotMatch(r.out, CROSS);
    }

    // At once, from the same process.
    const c = await stack("par-c", [["web", "10.0.0.11", "10.0.0.12", "10.0.0.100"]]);
    const d = await stack("par-d", [["db", "10.0.0.21", "10.0.0.22", "10.0.0.101"]]);
    const both = await Promise.all([preview(c), preview(d)]);
    both.forEach((r, i) => {
        assert.ok(r.ok, `concurrent stack ${i} previews cleanly:\n${r.out}`);
        assert.doesNotMatch(r.out, CROSS);
    });

    // Two such clusters in one stack do conflict.
    const e = await stack("one", [["web", "10.0.0.11", "10.0.0.12", "10.0.0.100"], ["db", "10.0.0.21", "10.0.0.22", "10.0.0.101"]]);
    const r = await preview(e);
    assert.equal(r.ok, false, "two clusters with one VRID on one segment in one stack are refused");
    assert.match(r.out, /KeepalivedCluster db: `instances\[0\]\.virtualRouterId`: 51 on segment 10\.0\.0\.0\/24 is also used by cluster "web"/);

    assert.deepEqual(dials(), [], "no SSH connection was opened");
    t.diagnostic("5 inline previews in one process: no cross-stack conflict, the in-stack one refused, 0 SSH connections");
});
