/**
 * The restart-after-a-crash drop-in (KeepalivedCluster's nodes, the native DockerRegistry): its golden,
 * and `systemd-analyze verify` reading it as a drop-in of the unit it is for.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { renderRestartDropIn, restartDropInPath } from "../../provider/render/systemd/restartDropIn";
import { KEEPALIVED_RESTART_DROPIN_PATH } from "../../provider/work/keepalived";
import { REGISTRY_RESTART_DROPIN_PATH } from "../../provider/work/dockerRegistry";
import { expectGolden } from "../support/golden";

const GOLDEN_DIR = path.resolve(__dirname, "../golden/systemd");
const GOLDEN = "pulumi-onprem-restart.conf";

/** The units the drop-in is written for, as Debian ships them (Type, ExecStart): stand-ins with an executable of their own. */
const UNITS = [
    { unit: "keepalived.service", dropIn: KEEPALIVED_RESTART_DROPIN_PATH, type: "notify", exec: "/usr/sbin/keepalived", args: " --dont-fork" },
    { unit: "docker-registry.service", dropIn: REGISTRY_RESTART_DROPIN_PATH, type: "simple", exec: "/usr/bin/docker-registry", args: " serve /etc/docker/registry/config.yml" },
];

describe("restart drop-in", () => {
    test("matches its golden", () => expectGolden(GOLDEN_DIR, GOLDEN, renderRestartDropIn()));

    test("every golden file is a case above (no stale goldens)", () => {
        assert.deepEqual(fs.readdirSync(GOLDEN_DIR), [GOLDEN]);
    });

    test("sits among the unit's own drop-ins, under the name the resources use", () => {
        for (const u of UNITS) assert.equal(u.dropIn, restartDropInPath(u.unit));
        assert.equal(KEEPALIVED_RESTART_DROPIN_PATH, "/etc/systemd/system/keepalived.service.d/pulumi-onprem-restart.conf");
    });

    test("systemd-analyze verify reads it as the unit's drop-in, and the check is real", { skip: spawnSync("systemd-analyze", ["--version"]).error ? "systemd-analyze is not installed" : false }, () => {
        const verify = (u: (typeof UNITS)[number], dropIn: string) => {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), "restart-dropin-"));
            try {
                // A root of its own: the machine's targets, the unit, an executable at its path, the drop-in.
                const units = path.join(root, "usr/lib/systemd/system");
                fs.mkdirSync(units, { recursive: true });
                for (const t of fs.readdirSync("/lib/systemd/system").filter((f) => f.endsWith(".target"))) fs.copyFileSync(path.join("/lib/systemd/system", t), path.join(units, t));
                fs.writeFileSync(path.join(units, u.unit), `[Unit]\nDescription=${u.unit}\n\n[Service]\nType=${u.type}\nExecStart=${u.exec}${u.args}\n\n[Install]\nWantedBy=multi-user.target\n`);
                for (const [p, content, mode] of [[u.exec, "#!/bin/sh\n", 0o755], [u.dropIn, dropIn, 0o644]] as const) {
                    fs.mkdirSync(path.join(root, path.dirname(p)), { recursive: true });
                    fs.writeFileSync(path.join(root, p), content, { mode });
                }
                const r = spawnSync("systemd-analyze", ["verify", `--root=${root}`, u.unit], { encoding: "utf8" });
                return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
            } finally {
                fs.rmSync(root, { recursive: true, force: true });
            }
        };
        for (const u of UNITS) {
            const r = verify(u, renderRestartDropIn());
            assert.equal(r.status, 0, r.output);
            assert.equal(r.output, "", u.unit);
        }
        const broken = verify(UNITS[0], renderRestartDropIn().replace("on-failure", "on-crash"));
        assert.match(broken.output, /pulumi-onprem-restart\.conf:\d+: Failed to parse service restart specifier/);
    });
});
