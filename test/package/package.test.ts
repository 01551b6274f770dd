import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { inventory } from "../support/lab";
import { exampleProject, packedPackage, setObjectConfig } from "../support/pulumi";

const ROOT = path.resolve(__dirname, "../..");
const bin = (name: string) => path.join(ROOT, "node_modules/.bin", name);
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

test("the packed package passes publint (strict) and arethetypeswrong", () => {
    const tarball = packedPackage();
    const publint = spawnSync(bin("publint"), ["run", tarball, "--strict"], { encoding: "utf8" });
    assert.equal(publint.status, 0, `publint:\n${publint.stdout}${publint.stderr}`);
    const attw = spawnSync(bin("attw"), [tarball], { encoding: "utf8" });
    assert.equal(attw.status, 0, `arethetypeswrong:\n${attw.stdout}${attw.stderr}`);
    const files = execFileSync("tar", ["tzf", tarball]).toString().split("\n");
    for (const must of ["package/LICENSE", "package/README.md", "package/CHANGELOG.md", "package/dist/sdk/index.js", "package/dist/provider/index.d.ts"]) {
        assert.ok(files.includes(must), `the tarball holds ${must}`);
    }
    assert.deepEqual(files.filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts")), [], "no TypeScript sources");
    assert.deepEqual(files.filter((f) => /^package\/(test|examples|scripts|toolchain)\//.test(f)), [], "no tests, examples or scripts");
});

test("the manifest: ranges for dependencies, no compiler at run time, a build before pack", () => {
    for (const [name, range] of Object.entries<string>(manifest.dependencies)) assert.match(range, /^\^/, `${name} takes a caret range, not ${range}`);
    assert.equal(manifest.dependencies.typescript, undefined, "typescript is not a runtime dependency");
    assert.match(manifest.scripts.prepack, /build/);
});

/** The newest 3.x release of @pulumi/pulumi the manifest's range takes, and the lowest. */
function rangeEnds(): { lowest: string; newest: string } {
    const range: string = manifest.dependencies["@pulumi/pulumi"];
    const versions: string[] = JSON.parse(execFileSync("npm", ["view", `@pulumi/pulumi@${range}`, "version", "--json"]).toString());
    return { lowest: range.replace(/^\^/, ""), newest: versions[versions.length - 1] };
}

for (const end of ["lowest", "newest"] as const) {
    test(`installed into a program on the ${end} @pulumi/pulumi the range allows: one SDK copy, pulumi preview runs, no connection`, (t) => {
        const version = rangeEnds()[end];
        const statsDir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-stats-"));
        const project = exampleProject("host-file", { PULUMI_ONPREM_STATS_DIR: statsDir });
        t.after(() => {
            fs.rmSync(project.dir, { recursive: true, force: true });
            fs.rmSync(statsDir, { recursive: true, force: true });
        });
        execFileSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", `@pulumi/pulumi@${version}`], { cwd: project.dir, stdio: "inherit" });
        // One copy of the SDK: ours resolves to the program's, so both register through one runtime.
        const copies = execFileSync("find", ["node_modules", "-path", "*/@pulumi/pulumi/package.json", "-not", "-path", "*/node_modules/*/node_modules/*/node_modules/*"], { cwd: project.dir })
            .toString().trim().split("\n").filter((f) => JSON.parse(fs.readFileSync(path.join(project.dir, f), "utf8")).name === "@pulumi/pulumi");
        assert.deepEqual(copies, ["node_modules/@pulumi/pulumi/package.json"], "exactly one @pulumi/pulumi");
        assert.equal(JSON.parse(fs.readFileSync(path.join(project.dir, copies[0]), "utf8")).version, version);

        const hosts = inventory().hosts.slice(0, 1);
        setObjectConfig(project, { hosts });
        project.pulumi(["config", "set", "--secret", "--", "token", "-starts-with-a-dash"]);
        const preview = project.pulumi(["preview", "--diff"]).out;
        assert.match(preview, /\+ .*HostFile/, `the preview lists the file:\n${preview}`);
        assert.ok(!preview.includes("-starts-with-a-dash"), "the secret stays out of the preview");
        assert.equal(fs.readdirSync(statsDir).length, 0, "the preview opened no SSH connection");
        t.diagnostic(`@pulumi/pulumi ${version}: preview ok`);
    });
}
