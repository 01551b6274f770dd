import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

/** UPDATE_GOLDEN=1 rewrites goldens instead of comparing; the diff is then reviewed like code. */
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === "1";

/** Compares `actual` with the golden file `dir/name` (or writes it under UPDATE_GOLDEN=1). */
export function expectGolden(dir: string, name: string, actual: string): void {
    const file = path.join(dir, name);
    if (UPDATE_GOLDEN) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(file, actual);
        return;
    }
    assert.ok(fs.existsSync(file), `missing golden ${name}: run with UPDATE_GOLDEN=1 and review it`);
    assert.equal(actual, fs.readFileSync(file, "utf8"), `${name} differs from its golden (UPDATE_GOLDEN=1 rewrites it)`);
}

/** Several files as one golden: each under a `### <path> (<mode>)` line. */
export function joinFiles(files: readonly { path: string; content: string; mode: string }[]): string {
    return files.map((f) => `### ${f.path} (${f.mode})\n${f.content}`).join("\n");
}
