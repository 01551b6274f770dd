import { strict as assert } from "node:assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { mapKeepalivedCluster, NodeConf } from "../../provider/import/keepalivedCluster";
import { parseKeepalivedConf } from "../../provider/import/keepalivedConf";
import { eventually, holdsAddress, inventory, LabHost, onHost } from "../support/lab";
import { exampleProject, packedPackage, timedPulumi } from "../support/pulumi";

const ROOT = path.resolve(__dirname, "../..");
const CONF = "/etc/keepalived/keepalived.conf";
const PASSWORD = "h4nd1111";

/** Seed 001's master/backup as an operator writes it by hand, with the lab's addresses. */
function handWritten(state: "MASTER" | "BACKUP", priority: number, vip: string): string {
    return `! Configuration File for keepalived

global_defs {
   notification_email {
     acassen@firewall.loc
   }
   notification_email_from Alexandre.Cassen@firewall.loc
   smtp_server 127.0.0.1
   smtp_connect_timeout 30
   router_id LVS_DEVEL
}

vrrp_instance VI_1 {
    state ${state}          # ${state === "MASTER" ? "the master" : "the backup"}
    interface eth0
    virtual_router_id 51
    priority ${priority}
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass ${PASSWORD}
    }
    virtual_ipaddress {
        ${vip}
    }
}
`;
}

/** The mapped cluster of the configs the hosts hold now, read in-process (the command prints only text). */
function mappedNow(hosts: LabHost[]) {
    const nodes: NodeConf[] = hosts.map((h) => ({
        name: h.name,
        reachedAt: h.address,
        interfaceCidrs: { eth0: [`${h.address}/24`] },
        conf: parseKeepalivedConf(onHost(h, `cat ${CONF}`)),
    }));
    return mapKeepalivedCluster(nodes).cluster;
}

/** keepalived's own VRRP counters for VI_1 (SIGUSR2 writes /tmp/keepalived.stats): how often it became and released master. */
function vrrpCounters(h: LabHost): { became: number; released: number } {
    const stats = onHost(h, "rm -f /tmp/keepalived.stats; kill -USR2 $(cat /run/keepalived.pid); for i in 1 2 3 4 5 6 7 8 9 10; do [ -s /tmp/keepalived.stats ] && break; sleep 0.2; done; sleep 0.2; cat /tmp/keepalived.stats");
    const counter = (name: string) => Number((new RegExp(`VRRP Instance: VI_1[\\s\\S]*?${name}: (\\d+)`).exec(stats) ?? [])[1]);
    return { became: counter("Became master"), released: counter("Released master") };
}

const pids = (hosts: LabHost[]) => hosts.map((h) => onHost(h, "cat /run/keepalived.pid /run/vrrp.pid").trim());

test("pulumi-onprem-import: hand-written keepalived.conf on two hosts to a program; preview, up keeps the VIP on its holder, the round trip holds, destroy", async (t) => {
    const hosts = inventory().hosts.slice(0, 2);
    const [n1, n2] = hosts;
    const vip = `${n1.address.replace(/\.\d+$/, "")}.150`;
    for (const h of hosts) onHost(h, `systemctl stop keepalived; rm -f ${CONF}`, { allowFail: true });
    const hand = [handWritten("MASTER", 100, vip), handWritten("BACKUP", 90, vip)];
    hosts.forEach((h, k) => onHost(h, `mkdir -p /etc/keepalived && printf '%s' '${hand[k]}' > ${CONF} && systemctl start keepalived`));
    t.after(() => {
        for (const h of hosts) onHost(h, `systemctl stop keepalived; rm -f ${CONF}`, { allowFail: true });
    });
    await eventually("the hand-written master holds the VIP", () => holdsAddress(n1, vip) && !holdsAddress(n2, vip), 15_000);

    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-import-"));
    const knownHosts = path.join(scratch, "known_hosts");
    fs.writeFileSync(knownHosts, hosts.map((h) => `${h.address} ${h.hostPublicKey}\n`).join(""));
    // The command as users get it: the packed package's bin.
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", packedPackage()], { cwd: scratch, stdio: "inherit" });
    const bin = path.join(scratch, "node_modules/.bin/pulumi-onprem-import");
    const importer = (out: string, extra: string[] = [], env: NodeJS.ProcessEnv = process.env) =>
        spawnSync(bin, [...hosts.flatMap((h) => ["--host", `root@${h.address}`]), "--key", n1.privateKeyPath, "--what", "keepalived", ...extra, "--out", out], { encoding: "utf8", env });

    // Host keys are checked: a host in no known_hosts is refused (HOME without one), unless pinned through --known-hosts.
    const home = path.join(scratch, "home");
    fs.mkdirSync(home);
    const refused = importer(path.join(scratch, "refused"), [], { ...process.env, HOME: home });
    assert.equal(refused.status, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /root@[\d.]+: refused to connect: unknown host key/);
    assert.equal(fs.existsSync(path.join(scratch, "refused")), false, "nothing written");

    const imported = importer(path.join(scratch, "prog"), ["--known-hosts", knownHosts]);
    assert.equal(imported.status, 0, imported.stdout + imported.stderr);
    t.diagnostic(`import output:\n${imported.stdout}`);
    assert.ok(!imported.stdout.includes(PASSWORD) && !fs.readFileSync(path.join(scratch, "prog/index.ts"), "utf8").includes(PASSWORD), "the password is neither printed nor in the program");
    assert.match(imported.stdout, /Every line was carried over\./);
    const configLines = imported.stdout.split("\n").filter((l) => l.startsWith("  ") && /pulumi config set/.test(l)).map((l) => l.trim());
    assert.equal(configLines.length, 2, "the key path and the VRRP password");

    // The generated program through the real CLI, set up as the examples are, its config set by the printed lines.
    const project = exampleProject(path.relative(ROOT, path.join(scratch, "prog")));
    const pulumi = timedPulumi(t, project);
    for (const line of configLines) execFileSync("bash", ["-c", line], { cwd: project.dir, env: project.env, stdio: ["ignore", "pipe", "inherit"] });
    assert.equal(pulumi(["config", "get", "vrrpPassword_VI_1"]).out.trim(), PASSWORD, "the printed line read the password from the host");

    pulumi(["preview"]);

    // Up over the running hand-written cluster: the VIP must stay on n1 the whole time (watched every 50 ms on both).
    const before = pids(hosts);
    const countersBefore = hosts.map(vrrpCounters);
    const watch = (h: LabHost, want: boolean) => {
        const w = spawn("bash", ["-c", `while :; do ip -n ${h.name} -o addr show to ${vip} | grep -q . && echo has || echo none; sleep 0.05; done`], { stdio: ["ignore", "pipe", "ignore"] });
        const seen = { has: 0, none: 0 };
        w.stdout.on("data", (d: Buffer) => {
            for (const s of d.toString().split("\n")) if (s === "has" || s === "none") seen[s]++;
        });
        t.after(() => w.kill());
        return { stop: () => w.kill(), seen, want };
    };
    const watchers = [watch(n1, true), watch(n2, false)];
    const up = pulumi(["up", "--yes", "--skip-preview"]);
    await new Promise((r) => setTimeout(r, 3000)); // adverts after the reloads
    for (const w of watchers) w.stop();
    t.diagnostic(`VIP samples during up: ${n1.name} ${JSON.stringify(watchers[0].seen)}, ${n2.name} ${JSON.stringify(watchers[1].seen)}`);
    assert.equal(watchers[0].seen.none, 0, `${n1.name} never lost the VIP`);
    assert.equal(watchers[1].seen.has, 0, `${n2.name} never took the VIP`);
    assert.ok(watchers[0].seen.has > 20, "the watcher sampled");
    assert.deepEqual(pids(hosts), before, "keepalived reloaded, not restarted");
    const countersAfter = hosts.map(vrrpCounters);
    t.diagnostic(`keepalived's VI_1 counters (became/released master) before up: ${JSON.stringify(countersBefore)}, after: ${JSON.stringify(countersAfter)}`);
    assert.deepEqual(countersBefore.map((c) => c.became), [1, 0], "before up: the hand-written master became master once, the backup never");
    assert.equal(countersAfter[0].released, 0, `${n1.name} never released master`);
    assert.equal(countersAfter[1].became, 0, `${n2.name} never became master`);
    const rendered = onHost(n1, `cat ${CONF}`);
    assert.match(rendered, /^# Managed by pulumi-onprem/, "the config is ours now");
    assert.ok(!up.out.includes(PASSWORD));

    // The round trip: importing what up wrote gives the cluster the hand-written configs gave, and the same program.
    assert.deepEqual(mappedNow(hosts), mappedNowFrom(hosts, hand), "the same mapped cluster");
    const again = importer(path.join(scratch, "again"), ["--known-hosts", knownHosts]);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    t.diagnostic(`re-import output:\n${again.stdout}`);
    assert.equal(fs.readFileSync(path.join(scratch, "again/index.ts"), "utf8"), fs.readFileSync(path.join(scratch, "prog/index.ts"), "utf8"), "the same program");
    assert.match(again.stdout, /Every line was carried over\./);

    pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    assert.ok(holdsAddress(n1, vip) && !holdsAddress(n2, vip));

    pulumi(["destroy", "--yes", "--skip-preview"]);
    hosts.forEach((h, k) => assert.equal(onHost(h, `cat ${CONF}`), hand[k], `${h.name}'s hand-written config is back`));
    assert.ok(!pulumi(["stack", "export"]).out.includes(PASSWORD), "no password in state");
    fs.rmSync(project.dir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
});

/** The mapped cluster of given config texts (the hand-written ones), as `mappedNow` reads the hosts. */
function mappedNowFrom(hosts: LabHost[], texts: string[]) {
    return mapKeepalivedCluster(hosts.map((h, k) => ({ name: h.name, reachedAt: h.address, interfaceCidrs: { eth0: [`${h.address}/24`] }, conf: parseKeepalivedConf(texts[k]) }))).cluster;
}
