/**
 * Secrets audit (issue 14): after `up`, a change of each secret, `refresh` and `destroy`, no secret's
 * plaintext (nor its unsalted SHA-256) is in `pulumi stack export`, the backend's files, the CLI output
 * (plain, `preview --diff`, `--debug`) or the stack outputs; files holding secrets are 0600 root.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { inventory, onHost } from "../support/lab";
import { destroyAfter, exampleProject, setObjectConfig } from "../support/pulumi";

const SECRETS = { vrrp1: "vA7q2Lm9", vrrp2: "kX3p8Wd4", token1: "tok-4b9e1f7c2a", token2: "tok-8d2c6a0e5f" };
const FILE = "/etc/onprem-audit/token.conf";

/** Every file under `dir`, as text. */
function allFiles(dir: string): { file: string; text: string }[] {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name))
        .map((file) => ({ file, text: fs.readFileSync(file).toString("latin1") }));
}

test("secrets audit: no secret in state, backend files, CLI output or outputs; secret files 0600 root", async (t) => {
    const hosts = inventory().hosts.slice(0, 2);
    const net = hosts[0].address.replace(/\.\d+$/, "");
    for (const h of hosts) onHost(h, "systemctl stop keepalived; rm -rf /etc/keepalived /etc/onprem-audit", { allowFail: true });
    const project = exampleProject("test/e2e/programs/secrets-audit");
    destroyAfter(t, project);
    const seen: { what: string; text: string }[] = [];
    const run = (args: string[]) => {
        const out = project.pulumi(args).out;
        seen.push({ what: `pulumi ${args.join(" ")}`, text: out });
        return out;
    };
    const setSecret = (k: string, v: string) => project.pulumi(["config", "set", "--secret", k, "--", v]);
    setObjectConfig(project, { hosts, vip: `${net}.230` });
    setSecret("vrrpPassword", SECRETS.vrrp1);
    setSecret("token", SECRETS.token1);

    run(["up", "--yes", "--skip-preview"]);
    const modes = [...hosts.map((h) => [h, "/etc/keepalived/keepalived.conf"] as const), [hosts[0], FILE] as const].map(
        ([h, f]) => `${h.name}:${f} ${onHost(h, `stat -c '%a %U %G' ${f}`).trim()}`,
    );
    assert.equal(onHost(hosts[0], `cat ${FILE}`), `token = ${SECRETS.token1}\n`, "the secret reached the host");

    // Each secret changed on its own.
    setSecret("vrrpPassword", SECRETS.vrrp2);
    run(["preview", "--diff"]);
    run(["up", "--yes", "--skip-preview"]);
    setSecret("token", SECRETS.token2);
    run(["preview", "--diff", "--debug"]);
    run(["up", "--yes", "--skip-preview", "--diff"]);
    assert.equal(onHost(hosts[0], `cat ${FILE}`), `token = ${SECRETS.token2}\n`);
    run(["refresh", "--yes", "--skip-preview", "--diff"]);
    run(["stack", "output", "--json"]);
    run(["stack", "export"]);
    run(["destroy", "--yes", "--skip-preview"]);
    seen.push(...allFiles(path.join(project.dir, ".pulumi-state")).map(({ file, text }) => ({ what: path.relative(project.dir, file), text })));

    const found: string[] = [];
    for (const [name, value] of Object.entries(SECRETS)) {
        const sha = createHash("sha256").update(value).digest("hex");
        for (const { what, text } of seen) {
            if (text.includes(value)) found.push(`${name} in clear in ${what}`);
            if (text.includes(sha)) found.push(`${name}'s SHA-256 in ${what}`);
        }
    }
    t.diagnostic(`searched ${seen.length} outputs and files for ${Object.keys(SECRETS).length} secrets; modes: ${modes.join("; ")}`);
    assert.deepEqual(found, [], "no secret anywhere");
    for (const m of modes) assert.match(m, / 600 root root$/, `a file holding a secret is 0600 root: ${m}`);
});
