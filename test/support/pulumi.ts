import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
let tarball: string | undefined;

/** The directory of the built CLI (scripts/toolchain.sh builds it once, then only prints it). */
export function toolchainBin(): string {
    const out = execFileSync("bash", [path.join(ROOT, "scripts/toolchain.sh")], { stdio: ["ignore", "pipe", "inherit"] }).toString().trim().split("\n");
    return out[out.length - 1];
}

/**
 * The package as users get it: packed (its `prepack` builds it) once per test process, or once per
 * `npm test` run when scripts/test.sh hands every test process the tarball it packed.
 */
export function packedPackage(): string {
    const shared = process.env.PULUMI_ONPREM_TEST_TARBALL;
    if (shared && fs.existsSync(shared)) return shared;
    if (!tarball) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-pack-"));
        process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT }).toString().trim().split("\n").pop()!;
        tarball = path.join(dir, name);
    }
    return tarball;
}

export interface Project {
    dir: string;
    env: NodeJS.ProcessEnv;
    /** Runs the real pulumi CLI in the project; returns its output whatever the exit code. */
    pulumi(args: string[], opts?: { allowFail?: boolean }): { code: number; out: string };
}

/** Seconds since `since` (a `process.hrtime.bigint()`). */
export function secondsSince(since: bigint): number {
    return Number(process.hrtime.bigint() - since) / 1e9;
}

/** `project.pulumi`, each run's duration reported as a test diagnostic ("pulumi up --yes: 50.1 s"). */
export function timedPulumi(t: { diagnostic(message: string): void }, project: Project): Project["pulumi"] {
    return (args, opts) => {
        const started = process.hrtime.bigint();
        const r = project.pulumi(args, opts);
        t.diagnostic(`pulumi ${args.join(" ")}: ${secondsSince(started).toFixed(1)} s`);
        return r;
    };
}

/**
 * A copy of an example (or a test program) in a temp directory with the packed package installed from its tarball, an
 * offline local backend, and a stack `dev`.
 */
export function exampleProject(example: string, extraEnv: NodeJS.ProcessEnv = {}): Project {
    // "host-file" is examples/host-file; a path ("test/e2e/programs/x") is taken from the repository root.
    const source = example.includes("/") ? path.join(ROOT, example) : path.join(ROOT, "examples", example);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `onprem-${path.basename(example)}-`));
    fs.cpSync(source, dir, { recursive: true, filter: (src) => !src.includes("node_modules") });
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", packedPackage()], { cwd: dir, stdio: "inherit" });
    const home = path.join(dir, ".pulumi-home");
    const backend = path.join(dir, ".pulumi-state");
    fs.mkdirSync(backend, { recursive: true });
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${toolchainBin()}:${process.env.PATH}`,
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        NO_COLOR: "1",
        ...extraEnv,
    };
    const project: Project = {
        dir,
        env,
        pulumi(args, opts = {}) {
            const r = spawnSync("pulumi", ["--non-interactive", ...args], { cwd: dir, env, encoding: "utf8", maxBuffer: 64 << 20 });
            const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
            if (r.status !== 0 && !opts.allowFail) throw new Error(`pulumi ${args.join(" ")} exited ${r.status}:\n${out}`);
            return { code: r.status ?? -1, out };
        },
    };
    project.pulumi(["stack", "init", "dev"]);
    return project;
}

/**
 * When the test ends, however it ends: the project's stack destroyed, then its directory removed. A test
 * that fails part way must not leave daemons, addresses or files to the tests after it (a leftover
 * keepalived's adverts fail the next cluster's foreign-router check). A stack the test destroyed itself
 * costs one quick no-op.
 */
export function destroyAfter(t: { after(fn: () => void): void }, project: Project): void {
    t.after(() => {
        project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
}

/** Stack config holding objects and lists, merged into the stack's config by the CLI itself. */
export function setObjectConfig(project: Project, values: Record<string, unknown>): void {
    const name = (fs.readFileSync(path.join(project.dir, "Pulumi.yaml"), "utf8").match(/^name:\s*(\S+)/m) ?? [])[1];
    const entries = Object.fromEntries(
        Object.entries(values).map(([k, v]) => [`${name}:${k}`, { value: JSON.stringify(v), objectValue: v, secret: false }]),
    );
    project.pulumi(["config", "set-all", "--json", JSON.stringify(entries)]);
}
