// restore_docker_bridge run by bash against a scratch daemon.json, with systemctl and docker stubbed on
// PATH: what dockerd would read at its one start with the old address, and daemon.json afterwards.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { DAEMON_JSON_PATH } from "../../provider/render/docker/daemonJson";
import { restoreDefaultBridgeScript } from "../../provider/render/docker/defaultBridge";

const OLD = "172.17.0.1/16";

interface Run {
    /** daemon.json as dockerd read it at each restart. */
    starts: string[];
    /** daemon.json after the function, or undefined when absent. */
    after: string | undefined;
}

/** Runs the function with daemon.json holding `content` (undefined: absent) and dockerd's gateway `gateway`. */
function run(content: string | undefined, gateway = "172.17.42.1"): Run {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-bridge-"));
    try {
        const daemonJson = path.join(dir, "daemon.json");
        if (content !== undefined) fs.writeFileSync(daemonJson, content);
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        const starts = path.join(dir, "starts");
        // dockerd's process: one without --bip on its command line (this test's own).
        fs.writeFileSync(
            path.join(bin, "systemctl"),
            [
                "#!/bin/bash",
                'case "$1" in',
                "  is-active) exit 0 ;;",
                `  show) echo ${process.pid} ;;`,
                `  restart) { cat ${daemonJson} 2>/dev/null || echo '(absent)'; echo '---'; } >> ${starts} ;;`,
                "esac",
                "exit 0",
            ].join("\n"),
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(bin, "docker"), `#!/bin/sh\necho ${gateway}\n`, { mode: 0o755 });
        const script = `${restoreDefaultBridgeScript().split(DAEMON_JSON_PATH).join(daemonJson)}\nrestore_docker_bridge ${OLD}\n`;
        const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
        assert.equal(r.status, 0, r.stderr);
        const text = fs.existsSync(starts) ? fs.readFileSync(starts, "utf8") : "";
        return {
            starts: text.split("---\n").filter(Boolean),
            after: fs.existsSync(daemonJson) ? fs.readFileSync(daemonJson, "utf8") : undefined,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("dockerd's default bridge put back after a mesh", () => {
    const cases: [string, string | undefined][] = [
        ["absent", undefined],
        ["empty", ""],
        ["{}", "{}\n"],
        ["keys on one line", '{"log-driver": "json-file", "mtu": 1400}\n'],
        ["keys over lines, a nested object", '{\n  "log-opts": {\n    "max-size": "10m"\n  },\n  "live-restore": true\n}\n'],
    ];
    for (const [name, content] of cases) {
        test(`daemon.json ${name}: one start with bip ${OLD} and every key it had, then the file as it was`, () => {
            const r = run(content);
            assert.equal(r.starts.length, 1, "dockerd restarted once");
            const seen = JSON.parse(r.starts[0]) as Record<string, unknown>;
            assert.equal(seen.bip, OLD);
            const { bip: _bip, ...rest } = seen;
            assert.deepEqual(rest, content?.trim() ? JSON.parse(content) : {}, "the operator's keys unchanged");
            assert.equal(r.after, content, "daemon.json byte for byte as before (absent stays absent)");
        });
    }

    test("a bip or bridge the operator set is left alone: no restart", () => {
        for (const content of ['{"bip": "10.9.0.1/24"}\n', '{"bridge": "br-ops"}\n']) {
            const r = run(content);
            assert.deepEqual(r.starts, []);
            assert.equal(r.after, content);
        }
    });

    test("dockerd's gateway already the old one: no restart", () => {
        const r = run('{"mtu": 1400}\n', "172.17.0.1");
        assert.deepEqual(r.starts, []);
    });
});
