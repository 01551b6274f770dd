// pulumi-onprem-import on static addresses written by hand (seed 000's way, in Debian's interfaces.d): the
// command as users get it reads them into a program of StaticInterfaces; `up` over the running hosts keeps
// every address on its interface (sampled every 50 ms); importing what `up` wrote gives the same program;
// destroy puts the hand-written files back byte for byte.
import { strict as assert } from "node:assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { inventory, onHost } from "../support/lab";
import { exampleProject, packedPackage, timedPulumi } from "../support/pulumi";

const ROOT = path.resolve(__dirname, "../..");
const FILE = "/etc/network/interfaces.d/eth1";

test("pulumi-onprem-import: hand-written static addresses on two hosts to a program; up keeps every address, the round trip holds, destroy gives the files back", async (t) => {
    const hosts = inventory().hosts.slice(0, 2);
    const net = hosts[0].address.split(".").slice(0, 2).join(".");
    const address = (k: number) => `${net}.1.${41 + k}`;
    const hand = hosts.map((_, k) => `# eth1, by hand\nauto eth1\niface eth1 inet static\n    address ${address(k)}\n    netmask 255.255.255.0\n    mtu 1400\n`);
    hosts.forEach((h, k) =>
        onHost(h, `rm -rf /var/lib/pulumi-onprem/static-interface-*; ip addr flush dev eth1 scope global; ip addr add ${address(k)}/24 dev eth1; ip link set eth1 mtu 1400 up; mkdir -p /etc/network/interfaces.d; printf '%s' '${hand[k]}' > ${FILE}`),
    );
    t.after(() => {
        for (const h of hosts) onHost(h, `ip addr flush dev eth1 scope global; ip link set eth1 mtu 1500; rm -f ${FILE}`, { allowFail: true });
    });

    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-import-"));
    t.after(() => fs.rmSync(scratch, { recursive: true, force: true }));
    const knownHosts = path.join(scratch, "known_hosts");
    fs.writeFileSync(knownHosts, hosts.map((h) => `${h.address} ${h.hostPublicKey}\n`).join(""));
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", packedPackage()], { cwd: scratch, stdio: "inherit" });
    const bin = path.join(scratch, "node_modules/.bin/pulumi-onprem-import");
    const importer = (out: string) =>
        spawnSync(bin, [...hosts.flatMap((h) => ["--host", `root@${h.address}`]), "--key", hosts[0].privateKeyPath, "--known-hosts", knownHosts, "--what", "static-interface", "--out", out], { encoding: "utf8" });

    const imported = importer(path.join(scratch, "prog"));
    assert.equal(imported.status, 0, imported.stdout + imported.stderr);
    t.diagnostic(`import output:\n${imported.stdout}`);
    const program = fs.readFileSync(path.join(scratch, "prog/index.ts"), "utf8");
    hosts.forEach((h, k) => {
        const declared = new RegExp(`new StaticInterface\\("${h.name}-eth1", \\{[^}]*\\}[^}]*device: "eth1",\\s*addresses: \\["${address(k).replace(/\./g, "\\.")}/24"\\],\\s*mtu: 1400,`);
        assert.match(program, declared, `${h.name}'s eth1 as written by hand`);
    });
    assert.equal((program.match(/new StaticInterface\(/g) ?? []).length, hosts.length, "one StaticInterface per hand-written file, no other interface");

    const project = exampleProject(path.relative(ROOT, path.join(scratch, "prog")));
    t.after(() => {
        project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const pulumi = timedPulumi(t, project);
    const configLines = imported.stdout.split("\n").filter((l) => l.startsWith("  ") && /pulumi config set/.test(l)).map((l) => l.trim());
    assert.equal(configLines.length, 1, "the key path");
    for (const line of configLines) execFileSync("bash", ["-c", line], { cwd: project.dir, env: project.env, stdio: ["ignore", "pipe", "inherit"] });

    // Up over the running hosts: each address stays on its interface the whole time, the MTU with it. The
    // watchers write to files: this process is blocked while the CLI runs.
    const watchers = hosts.map((h, k) => {
        const file = path.join(scratch, `samples-${h.name}`);
        const w = spawn("bash", ["-c", `while :; do ip -n ${h.name} -o addr show dev eth1 | grep -q ' ${address(k)}/24 ' && echo has || echo none; sleep 0.05; done >> ${file}`], { stdio: "ignore" });
        t.after(() => w.kill());
        return {
            stop: () => w.kill(),
            seen: () => {
                const lines = fs.readFileSync(file, "utf8").split("\n");
                return { has: lines.filter((l) => l === "has").length, none: lines.filter((l) => l === "none").length };
            },
        };
    });
    pulumi(["up", "--yes", "--skip-preview"]);
    for (const w of watchers) w.stop();
    hosts.forEach((h, k) => {
        const seen = watchers[k].seen();
        t.diagnostic(`${h.name}: samples of ${address(k)} on eth1 during up: ${JSON.stringify(seen)}`);
        assert.equal(seen.none, 0, `${h.name}: the address never left eth1`);
        assert.ok(seen.has > 10, "the watcher sampled");
        assert.match(onHost(h, "ip -o link show eth1"), / mtu 1400 /, `${h.name}: the MTU as it was`);
        assert.match(onHost(h, `cat ${FILE}`), /^# Managed by pulumi-onprem/, `${h.name}: the file is the resource's now`);
    });

    // The round trip: importing what up wrote gives the same program.
    const again = importer(path.join(scratch, "again"));
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.equal(fs.readFileSync(path.join(scratch, "again/index.ts"), "utf8"), program, "the same program");
    pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]);

    pulumi(["destroy", "--yes", "--skip-preview"]);
    hosts.forEach((h, k) => {
        assert.equal(onHost(h, `cat ${FILE}`), hand[k], `${h.name}'s hand-written file is back`);
        assert.match(onHost(h, "ip -o addr show dev eth1"), new RegExp(` ${address(k).replace(/\./g, "\\.")}/24 `), `${h.name}: the address it had before`);
    });
});
