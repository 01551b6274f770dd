import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestContext } from "node:test";
import { exampleProject, Project, setObjectConfig } from "./pulumi";

/** One row of a bad-input table: what it breaks, how, and what the refusal must say. */
export type BadInputCase<A> = [what: string, breakIt: (args: A) => void, expected: RegExp];

/** A test program with an SSH counter: previews that refuse bad input must not dial any host. */
export function previewProject(t: TestContext, program: string): { project: Project; dials: () => string[] } {
    const statsDir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-stats-"));
    const project = exampleProject(program, { PULUMI_ONPREM_STATS_DIR: statsDir });
    t.after(() => {
        fs.rmSync(project.dir, { recursive: true, force: true });
        fs.rmSync(statsDir, { recursive: true, force: true });
    });
    return { project, dials: () => fs.readdirSync(statsDir) };
}

/**
 * Each case breaks a fresh copy of the good input; `pulumi preview` must fail with the component's
 * `has a problem: <label>: \`field\`` line and the case's message, and print none of `secrets`.
 */
export function expectPreviewRefusals<A>(
    t: TestContext,
    project: Project,
    table: { label: string; good: () => A; config: (args: A) => Record<string, unknown>; cases: BadInputCase<A>[]; secrets?: string[] },
): void {
    for (const [what, breakIt, expected] of table.cases) {
        const args = table.good();
        breakIt(args);
        setObjectConfig(project, table.config(args));
        const r = project.pulumi(["preview"], { allowFail: true });
        assert.notEqual(r.code, 0, `${what}: preview should fail`);
        assert.ok(r.out.includes(`has a problem: ${table.label}: \``), `${what}: refused by ${table.label}:\n${r.out}`);
        assert.match(r.out, expected, `${what}:\n${r.out}`);
        for (const secret of table.secrets ?? []) assert.ok(!r.out.includes(secret), `${what}: no secret in the message`);
        t.diagnostic(`${what}: ${(r.out.match(/`[^`]+`: [^\n]*/) ?? [""])[0]}`);
    }
}
