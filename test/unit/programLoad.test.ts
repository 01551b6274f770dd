import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");

/** The modules a fresh Node process has loaded after requiring `entry` (a source file, through tsx). */
function loadedBy(entry: string): string[] {
    const script = `require(${JSON.stringify(path.join(root, entry))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, encoding: "utf8" });
    return (JSON.parse(out) as string[]).map((p) => path.relative(root, p));
}

// @pulumi/pulumi's index loads its Automation API (arborist, pacote, TypeScript): about 0.4 s of every
// `pulumi` command before the program's first resource registers. See sdk/pulumi.ts.
const heavy = /node_modules\/(@pulumi\/pulumi\/(index\.js|automation\/|runtime\/index\.js|runtime\/closure\/)|@npmcli\/arborist\/|pacote\/|typescript\/)/;

test("a program that imports only this package does not load @pulumi/pulumi's index or its Automation API", () => {
    const loaded = loadedBy("sdk/index.ts");
    assert.ok(loaded.some((p) => p.startsWith("node_modules/@pulumi/pulumi/resource.js")), "the SDK loads Pulumi's resource module");
    assert.deepEqual(loaded.filter((p) => heavy.test(p)), []);
});

test("the check can fail: @pulumi/pulumi's index loads what it looks for", () => {
    assert.ok(loadedBy("node_modules/@pulumi/pulumi/index.js").some((p) => heavy.test(p)));
});
