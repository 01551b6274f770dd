import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

const ROOT = path.resolve(__dirname, "../..");

function files(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
        const full = path.join(dir, rel);
        if (fs.statSync(full).isFile()) out.set(rel, fs.readFileSync(full, "utf8"));
    }
    return out;
}

test("docs/api is the API reference generated from the SDK's JSDoc: complete (every export documented) and current", (t) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-docs-"));
    t.after(() => fs.rmSync(out, { recursive: true, force: true }));
    // typedoc.json treats a missing comment or an unexported referenced type as an error.
    execFileSync(path.join(ROOT, "node_modules/.bin/typedoc"), ["--out", out, "--logLevel", "Error"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const fresh = files(out);
    const committed = files(path.join(ROOT, "docs/api"));
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), "run `npm run docs` and commit docs/api");
    for (const [rel, text] of fresh) assert.equal(committed.get(rel), text, `docs/api/${rel} is stale: run \`npm run docs\``);
});
