import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestContext } from "node:test";
import { exampleProject, Project } from "./pulumi";

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
