/**
 * Each rule in .dependency-cruiser.cjs fails on a probe that breaks it: a rule that never fires (as
 * `pure-no-io` once did, its core modules filtered out before it looked) checks nothing. The probes are
 * new files in a copy of sdk/ and provider/, so the tree itself is never touched, and one depcruise run
 * checks them all.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

const root = path.resolve(__dirname, "../..");
const CONFIG = ".dependency-cruiser.cjs";

interface Probe {
    /** The new file, relative to the copy's root. */
    file: string;
    /** What it imports, as written in an import. */
    imports: string;
    /** The rule that must report it; none for a file another probe needs (a cycle is reported once). */
    rule?: string;
    /** Names only types (erased at run time, but still a dependency the rules see). */
    typeOnly?: boolean;
}

const PROBES: Probe[] = [
    { file: "provider/plan/keepalived/probeSpawns.ts", imports: "child_process", rule: "pure-no-io" },
    { file: "provider/render/registry/probeReadsFile.ts", imports: "node:fs", rule: "pure-no-io" },
    { file: "provider/work/probeConnects.ts", imports: "../ssh/exec", rule: "pure-stays-pure" },
    { file: "provider/model/probeUp.ts", imports: "../contract/errors", rule: "model-is-the-base" },
    { file: "provider/contract/probeUp.ts", imports: "../plan/ovs/model", rule: "contract-above-model-only" },
    { file: "provider/plan/registry/probeRenders.ts", imports: "../../render/registry/configYml", rule: "plan-below-render" },
    { file: "provider/render/ovs/probeWorks.ts", imports: "../../work/ovsMesh", rule: "render-below-work" },
    { file: "provider/render/keepalived/probeOtherResource.ts", imports: "../registry/configYml", rule: "resource-folders-apart" },
    { file: "provider/plan/ovs/probeOtherPlan.ts", imports: "../keepalived/model", rule: "resource-folders-apart" },
    { file: "provider/render/staticInterface/probeOtherPlan.ts", imports: "../../plan/ovs/model", rule: "resource-folders-apart", typeOnly: true },
    { file: "provider/render/docker/probeResource.ts", imports: "../keepalived/keepalivedConf", rule: "shared-render-folder-apart" },
    { file: "provider/render/systemd/probeResource.ts", imports: "../registry/configYml", rule: "shared-render-folder-apart" },
    { file: "provider/derive/probeUsesProvider.ts", imports: "../dynamic/unknown", rule: "derive-below-dynamic" },
    { file: "provider/derive/probeConnects.ts", imports: "../ssh/exec", rule: "derive-reads-hosts-in-one-place" },
    { file: "provider/dynamic/probeFormats.ts", imports: "../render/keepalived/keepalivedConf", rule: "dynamic-knows-no-format" },
    { file: "provider/ssh/probeHost.ts", imports: "../host/layout", rule: "ssh-knows-no-host" },
    { file: "provider/host/probeFormat.ts", imports: "../render/managedHeader", rule: "host-knows-no-format" },
    { file: "sdk/probeHost.ts", imports: "../provider/host/layout", rule: "sdk-not-effectful" },
    // sdk -> derive -> ssh: no rule on a single edge sees it.
    { file: "sdk/probeDerive.ts", imports: "../provider/derive/probeConnects", rule: "sdk-reaches-no-ssh" },
    { file: "provider/derive/probeTypes.ts", imports: "../ssh/connection", rule: "derive-reads-hosts-in-one-place", typeOnly: true },
    { file: "sdk/probeDeriveTypes.ts", imports: "../provider/derive/probeTypes", rule: "sdk-reaches-no-ssh", typeOnly: true },
    { file: "sdk/probeSsh2.ts", imports: "ssh2", rule: "sdk-reaches-no-ssh" },
    { file: "provider/derive/probeSdk.ts", imports: "../../sdk/issues", rule: "provider-not-sdk" },
    { file: "provider/contract/probeCycleA.ts", imports: "./probeCycleB", rule: "no-cycles" },
    { file: "provider/contract/probeCycleB.ts", imports: "./probeCycleA" },
];

interface Violation {
    from: string;
    to: string;
    rule: { name: string };
}

/** The violations depcruise reports, run as `npm run lint:deps` runs it, on a copy of the tree with the probes added. */
function violationsWithProbes(): Violation[] {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "import-rules-"));
    try {
        for (const entry of ["sdk", "provider", "tsconfig.json", CONFIG]) fs.cpSync(path.join(root, entry), path.join(tmp, entry), { recursive: true });
        // Packages resolve as in the tree (ssh2 must be found to be reported).
        fs.symlinkSync(path.join(root, "node_modules"), path.join(tmp, "node_modules"), "dir");
        for (const p of PROBES) {
            assert.ok(!fs.existsSync(path.join(tmp, p.file)), `${p.file}: a probe must be a new file`);
            const text = `import ${p.typeOnly ? "type " : ""}* as probe from ${JSON.stringify(p.imports)};\nexport type { probe };\n`;
            fs.writeFileSync(path.join(tmp, p.file), text);
        }
        const run = spawnSync(path.join(root, "node_modules/.bin/depcruise"), ["sdk", "provider", "--config", CONFIG, "--output-type", "json"], {
            cwd: tmp, encoding: "utf8", maxBuffer: 64 * 1024 * 1024,
        });
        // depcruise exits with the number of errors it found: the output says whether it ran.
        assert.ok(run.stdout.startsWith("{"), `depcruise did not run: ${run.stderr}`);
        return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

test("each import rule reports its probe, and the tree without the probes reports nothing", () => {
    const violations = violationsWithProbes();
    const probeFiles = new Set(PROBES.map((p) => p.file));
    // A probe only adds files that nothing in the tree imports: what is reported from elsewhere is the tree's own.
    assert.deepEqual(violations.filter((v) => !probeFiles.has(v.from)).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`), []);
    for (const p of PROBES.filter((p) => p.rule !== undefined)) {
        const caught = violations.filter((v) => v.from === p.file).map((v) => v.rule.name);
        assert.ok(caught.includes(p.rule!), `${p.file} (imports ${p.imports}) should break ${p.rule}; reported: ${caught.join(", ") || "nothing"}`);
    }
});

test("every rule in the config has a probe", () => {
    const config = require(path.join(root, CONFIG)) as { forbidden: { name: string }[] };
    assert.deepEqual([...new Set(PROBES.flatMap((p) => p.rule ?? []))].sort(), config.forbidden.map((r) => r.name).sort());
});
