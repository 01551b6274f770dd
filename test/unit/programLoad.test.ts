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

let sdkLoads: string[] | undefined;
/** What the SDK loads, read once for the tests below. */
const loadedBySdk = (): string[] => (sdkLoads ??= loadedBy("sdk/index.ts"));

test("a program that imports only this package does not load @pulumi/pulumi's index or its Automation API", () => {
    const loaded = loadedBySdk();
    assert.ok(loaded.some((p) => p.startsWith("node_modules/@pulumi/pulumi/resource.js")), "the SDK loads Pulumi's resource module");
    assert.deepEqual(loaded.filter((p) => heavy.test(p)), []);
});

test("the check can fail: @pulumi/pulumi's index loads what it looks for", () => {
    assert.ok(loadedBy("node_modules/@pulumi/pulumi/index.js").some((p) => heavy.test(p)));
});

// A program (and its preview) never connects: the SDK loads the provider by package name at run time only,
// so the SSH pool, the host engine and ssh2 stay out of the program's process (.dependency-cruiser.cjs
// `sdk-reaches-no-ssh` says the same of imports).
const sshCode = /^(provider\/(ssh|host)\/|node_modules\/ssh2\/)/;

test("a program that imports only this package loads no SSH code: no provider/ssh, no provider/host, no ssh2", () => {
    const loaded = loadedBySdk();
    assert.ok(loaded.includes("sdk/staticInterface.ts"), "every resource of the SDK is loaded");
    assert.deepEqual(loaded.filter((p) => sshCode.test(p)), []);
});

test("the check can fail: the provider's entry loads the SSH code", () => {
    const found = loadedBy("provider/index.ts").filter((p) => sshCode.test(p));
    for (const part of ["provider/ssh/", "provider/host/", "node_modules/ssh2/"]) assert.ok(found.some((p) => p.startsWith(part)), part);
});
