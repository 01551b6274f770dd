import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";

const script = path.resolve(__dirname, "../../scripts/toolchain.sh");

test("the toolchain script builds nothing when the right CLI is there, and pulumi reports v3.248.0", () => {
    const r = spawnSync("bash", [script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /pulumi v3\.248\.0 already built/);
    assert.doesNotMatch(r.stderr, /building/);
    const bin = r.stdout.trim().split("\n").pop()!;
    assert.equal(execFileSync(path.join(bin, "pulumi"), ["version"]).toString().trim(), "v3.248.0");
    for (const tool of ["pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"]) {
        assert.equal(spawnSync("test", ["-x", path.join(bin, tool)]).status, 0, `${tool} is installed beside the CLI`);
    }
});
