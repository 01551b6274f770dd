/**
 * DockerRegistry garbage collection: the job script, the systemd units and the read-only config as
 * goldens (units checked by `systemd-analyze verify`, scripts by `bash -n`), the host work it adds, and
 * the validation of `garbageCollection`.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import type { DockerRegistryInput } from "../../provider/plan/registry/args";
import { GC_SCRIPT_PATH, GC_SERVICE_PATH, GC_TIMER_PATH, REGISTRY_READONLY_CONFIG_PATH } from "../../provider/plan/registry/model";
import { registryHostWork } from "../../provider/work/dockerRegistry";
import { expectGolden } from "../support/golden";
import { nativeTls, parsed, registryIssues } from "../support/registryCases";

const GOLDEN_DIR = path.resolve(__dirname, "../golden/registry-gc");
const material = { certificate: "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n", caCertificate: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n" };

const native: DockerRegistryInput = { ...nativeTls, garbageCollection: { deleteUntagged: true, trigger: "2026-11-28" } };
const container: DockerRegistryInput = {
    runtime: "container",
    image: "registry:2.8.2",
    address: "10.99.0.13",
    hostnames: ["registry.lab"],
    tls: { mode: "off", insecure: true },
    deleteEnabled: true,
    garbageCollection: { schedule: "daily" },
};
const fileOf = (spec: DockerRegistryInput, p: string) => {
    const f = registryHostWork(parsed(spec), spec.tls?.mode === "off" ? undefined : material, "d").files.find((x) => x.path === p);
    assert.ok(f, `no ${p}`);
    return f;
};

describe("garbage collection goldens", () => {
    const cases: [string, DockerRegistryInput, string][] = [
        ["native.sh", native, GC_SCRIPT_PATH],
        ["container.sh", container, GC_SCRIPT_PATH],
        ["native.service", native, GC_SERVICE_PATH],
        ["native.timer", native, GC_TIMER_PATH],
        ["container.timer", container, GC_TIMER_PATH],
        ["native.config-readonly.yml", native, REGISTRY_READONLY_CONFIG_PATH],
    ];
    for (const [name, spec, p] of cases) test(`${name} matches its golden`, () => expectGolden(GOLDEN_DIR, name, fileOf(spec, p).content));

    test("every golden file is a case above (no stale goldens)", () => {
        assert.deepEqual(fs.readdirSync(GOLDEN_DIR).sort(), cases.map(([n]) => n).sort());
    });

    test("the job scripts parse (bash -n)", () => {
        for (const spec of [native, container]) {
            const r = spawnSync("bash", ["-n"], { input: fileOf(spec, GC_SCRIPT_PATH).content, encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
        }
    });

    test("the read-only config is the config plus storage.maintenance.readonly", () => {
        const normal = fileOf(native, "/etc/docker/registry/config.yml").content;
        const readOnly = fileOf(native, REGISTRY_READONLY_CONFIG_PATH).content;
        assert.equal(readOnly, normal.replace("  cache:\n", "  maintenance:\n    readonly:\n      enabled: true\n  cache:\n"));
    });

    test("systemd-analyze verify accepts the units, and the check is real", { skip: spawnSync("systemd-analyze", ["--version"]).error ? "systemd-analyze is not installed" : false }, () => {
        const verify = (timer: string) => {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), "gc-units-"));
            try {
                // A root of its own: the machine's targets, the units, and an executable at the job's path.
                fs.mkdirSync(path.join(root, "usr/lib/systemd/system"), { recursive: true });
                for (const t of fs.readdirSync("/lib/systemd/system").filter((f) => f.endsWith(".target"))) {
                    fs.copyFileSync(path.join("/lib/systemd/system", t), path.join(root, "usr/lib/systemd/system", t));
                }
                for (const [p, content, mode] of [
                    [GC_SERVICE_PATH, fileOf(native, GC_SERVICE_PATH).content, 0o644],
                    [GC_TIMER_PATH, timer, 0o644],
                    [GC_SCRIPT_PATH, fileOf(native, GC_SCRIPT_PATH).content, 0o755],
                ] as const) {
                    fs.mkdirSync(path.join(root, path.dirname(p)), { recursive: true });
                    fs.writeFileSync(path.join(root, p), content, { mode });
                }
                const r = spawnSync("systemd-analyze", ["verify", `--root=${root}`, GC_TIMER_PATH, GC_SERVICE_PATH], { encoding: "utf8" });
                return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
            } finally {
                fs.rmSync(root, { recursive: true, force: true });
            }
        };
        for (const spec of [native, container]) {
            const r = verify(fileOf(spec, GC_TIMER_PATH).content);
            assert.equal(r.status, 0, r.output);
            assert.equal(r.output, "");
        }
        const broken = verify(fileOf(native, GC_TIMER_PATH).content.replace(/OnCalendar=.*/, "OnCalendar=Sunn 99:00"));
        assert.notEqual(broken.status, 0);
        assert.match(broken.output, /Failed to parse calendar specification/);
    });
});

describe("garbage collection host work", () => {
    test("nothing without garbageCollection", () => {
        const work = registryHostWork(parsed(nativeTls), material, "d");
        assert.ok(!work.files.some((f) => f.path === GC_SCRIPT_PATH));
        assert.ok(!work.services[0].watch?.includes(GC_SCRIPT_PATH));
    });

    test("the timer as a live state, a calendar check, a run per trigger; the registry restarts only for its own files", () => {
        const work = registryHostWork(parsed(native), material, "d");
        assert.deepEqual(work.states.map((s) => s.name), ["registry storage /opt/data/registry", "registry containers adopted on port 5000", "registry garbage collection timer pulumi-onprem-registry-gc.timer", "registry garbage collection run"]);
        const [, , timer, run] = work.states;
        assert.match(timer.expected, /^enabled active [0-9a-f]{16}$/);
        assert.match(timer.apply, /does not run systemd/);
        assert.equal(run.expected, "2026-11-28");
        assert.match(run.apply, /^\/usr\/local\/sbin\/pulumi-onprem-registry-gc && /);
        assert.deepEqual(work.validators.map((v) => v.command), ["systemd-analyze calendar 'Sun *-*-* 03:00:00' >/dev/null"]);
        assert.deepEqual(work.services[0].watch, ["/etc/docker/registry/ca.crt", "/etc/docker/registry/config.yml", "/etc/docker/registry/htpasswd", "/etc/docker/registry/registry.crt", "/etc/docker/registry/registry.key"]);
        for (const s of work.states) for (const cmd of [s.read, s.apply, s.remove]) assert.equal(spawnSync("sh", ["-n", "-c", cmd]).status, 0, cmd);
    });

    test('schedule "none": no units and no timer; a new schedule changes the timer state', () => {
        const none = registryHostWork(parsed({ ...native, garbageCollection: { schedule: "none" } }), material, "d");
        assert.ok(!none.files.some((f) => f.path === GC_TIMER_PATH || f.path === GC_SERVICE_PATH));
        assert.deepEqual(none.states.map((s) => s.name), ["registry storage /opt/data/registry", "registry containers adopted on port 5000"]);
        const daily = registryHostWork(parsed({ ...native, garbageCollection: { schedule: "daily" } }), material, "d");
        assert.notEqual(daily.states[2].expected, registryHostWork(parsed(native), material, "d").states[2].expected);
    });

    test("the container job runs the container as declared, read-only under a label of its own", () => {
        const script = fileOf(container, GC_SCRIPT_PATH).content;
        assert.ok(script.includes(`docker run -d --name pulumi-onprem-registry --restart=always --label pulumi-onprem.config="$LABEL" -p 10.99.0.13:5000:5000`), script);
        assert.ok(script.includes(`--label pulumi-onprem.config="$LABEL-readonly"`));
        assert.ok(script.includes("registry:2.8.2 /etc/docker/registry/config-readonly.yml >/dev/null"));
        assert.ok(!script.includes("--delete-untagged"));
    });
});

/**
 * The container job run by bash with `docker` and `curl` stubbed on PATH (a container is a file holding
 * its label), storage, log and lock in a scratch directory. `failReadOnly`: the read-only `docker run` fails.
 */
function runContainerJob(failReadOnly: boolean): { code: number; steps: string[]; label: string | undefined } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-gc-job-"));
    try {
        const bin = path.join(dir, "bin");
        const storage = path.join(dir, "storage");
        fs.mkdirSync(bin);
        fs.mkdirSync(path.join(storage, "docker/registry/v2/repositories"), { recursive: true });
        const box = path.join(dir, "container");
        fs.writeFileSync(box, "digest1");
        const steps = path.join(dir, "steps");
        fs.writeFileSync(
            path.join(bin, "docker"),
            [
                "#!/bin/bash",
                `box=${box}; steps=${steps}`,
                'case "$1" in',
                '  inspect) [ -e "$box" ] || exit 1; case "$3" in *Running*) echo true ;; *) cat "$box" ;; esac ;;',
                '  stop) [ -e "$box" ] || exit 1; echo stop >> "$steps" ;;',
                '  rm) [ -e "$box" ] || exit 1; rm "$box"; echo rm >> "$steps" ;;',
                '  exec) echo collect >> "$steps" ;;',
                '  run)',
                '    label=$(printf "%s\n" "$@" | sed -n "s/^pulumi-onprem.config=//p")',
                '    case "$*" in *config-readonly*) kind=readonly ;; *) kind=writable ;; esac',
                `    if [ $kind = readonly ] && [ ${failReadOnly ? 1 : 0} = 1 ]; then echo "run $kind failed" >> "$steps"; exit 125; fi`,
                '    [ -e "$box" ] && exit 125',
                '    printf "%s" "$label" > "$box"; echo "run $kind" >> "$steps" ;;',
                "esac",
            ].join("\n"),
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(bin, "curl"), "#!/bin/sh\nprintf 200\n", { mode: 0o755 });
        const script = fileOf(container, GC_SCRIPT_PATH)
            .content.split("/opt/data/registry").join(storage)
            .split("/var/log/pulumi-onprem-registry-gc.log").join(path.join(dir, "gc.log"))
            .split("/run/pulumi-onprem-registry-gc.lock").join(path.join(dir, "gc.lock"));
        const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
        return { code: r.status ?? -1, steps: fs.existsSync(steps) ? fs.readFileSync(steps, "utf8").trim().split("\n") : [], label: fs.existsSync(box) ? fs.readFileSync(box, "utf8") : undefined };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("the container job, run against a stubbed docker", () => {
    test("read-only while collecting, then the container as declared: stopped before each removal", () => {
        const r = runContainerJob(false);
        assert.equal(r.code, 0);
        assert.deepEqual(r.steps, ["stop", "rm", "run readonly", "collect", "stop", "rm", "run writable"]);
        assert.equal(r.label, "digest1", "the declared container again, under its own label");
    });

    test("the read-only container fails to start: the job fails, and the declared container runs again", () => {
        const r = runContainerJob(true);
        assert.notEqual(r.code, 0);
        assert.deepEqual(r.steps, ["stop", "rm", "run readonly failed", "run writable"]);
        assert.equal(r.label, "digest1");
    });
});

describe("garbage collection validation", () => {
    const issues = (gc: unknown, extra: Partial<DockerRegistryInput> = {}) =>
        registryIssues({ ...nativeTls, ...extra, garbageCollection: gc as DockerRegistryInput["garbageCollection"] }).map((i) => i.message);
    test("good schedules pass", () => {
        for (const schedule of ["daily", "Sun *-*-* 03:00:00", "Mon..Fri 02:30", "*-*-01 04:00 UTC", "none"]) assert.deepEqual(issues({ schedule }), [], schedule);
    });
    test("bad input names the field and the rule", () => {
        assert.deepEqual(issues({ schedule: "daily; rm -rf /" }), ['`garbageCollection.schedule`: "daily; rm -rf /" is not a systemd calendar expression (e.g. "Sun *-*-* 03:00:00", "daily") or "none"']);
        assert.deepEqual(issues({ schedule: "" }), ['`garbageCollection.schedule`: "" is not a systemd calendar expression (e.g. "Sun *-*-* 03:00:00", "daily") or "none"']);
        assert.deepEqual(issues({ deleteUntagged: "yes" }), ["`garbageCollection.deleteUntagged`: must be true or false"]);
        assert.deepEqual(issues({ trigger: "a\nb" }), ["`garbageCollection.trigger`: must be one line of 1-200 characters"]);
        assert.deepEqual(issues({}, { proxy: { remoteUrl: "https://registry-1.docker.io" }, deleteEnabled: false }), ["`garbageCollection`: is not for a pull-through cache (`proxy`), which expires its own blobs"]);
    });
});
