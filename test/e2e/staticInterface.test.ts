import { strict as assert } from "node:assert";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { eventually, inventory, LabHost, onHost } from "../support/lab";
import { exampleProject, setObjectConfig } from "../support/pulumi";

const FILE = "/etc/network/interfaces.d/eth1";

/** The device's global addresses, read from the root namespace (cheap enough to poll). */
function addresses(h: LabHost, dev: string): string[] {
    return execFileSync("ip", ["-n", h.name, "-o", "addr", "show", "dev", dev, "scope", "global"])
        .toString()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[3])
        .sort();
}

/** A long-lived TCP connection: an echo server in one host's namespace, a client in another's that pings it every 100 ms. */
function tcpSession(server: LabHost, client: LabHost, address: string, port: number) {
    const serverJs = `require("net").createServer((s) => s.pipe(s)).listen(${port}, "${address}", () => console.log("listening"));`;
    const clientJs = `
const s = require("net").connect(${port}, "${address}", () => console.log("connected"));
let n = 0; s.setEncoding("utf8");
s.on("data", (d) => { n += d.split("\\n").filter(Boolean).length; });
setInterval(() => s.write("ping\\n"), 100);
setInterval(() => console.log("echoes " + n), 500);
s.on("close", () => { console.log("closed"); process.exit(1); });
s.on("error", (e) => console.log("error " + e.message));`;
    const procs: ChildProcess[] = [];
    let out = "";
    const start = (netns: string, js: string) => {
        const p = spawn("ip", ["netns", "exec", netns, process.execPath, "-e", js], { stdio: ["ignore", "pipe", "pipe"] });
        p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
        p.stderr!.on("data", (d: Buffer) => (out += d.toString()));
        procs.push(p);
        return p;
    };
    return {
        async open() {
            start(server.name, serverJs);
            await eventually("the echo server listens", () => out.includes("listening"));
            start(client.name, clientJs);
            await eventually("the client connects", () => out.includes("connected"));
        },
        echoes: () => Number([...out.matchAll(/echoes (\d+)/g)].pop()?.[1] ?? 0),
        broken: () => /closed|error/.test(out),
        output: () => out,
        stop: () => procs.forEach((p) => p.exitCode === null && p.kill()),
    };
}

test("StaticInterface through the real CLI on eth1: two addresses and a route, changed without a bounce, drift repaired, destroy restores", async (t) => {
    const [h1, h2] = inventory().hosts;
    const net = h1.address.split(".").slice(0, 2).join("."); // LAB_NET
    const [kept, changed, replacement, original, peer] = [`${net}.1.21`, `${net}.1.22`, `${net}.1.23`, `${net}.1.11`, `${net}.1.12`];
    const gw = `${net}.1.1`;
    // Before: the operator's own stanza and address on eth1, which destroy must give back.
    const operatorFile = `# eth1 as the operator wrote it\nauto eth1\niface eth1 inet static\n    address ${original}/24\n`;
    onHost(h1, `rm -rf /var/lib/pulumi-onprem/static-interface-*; ip addr flush dev eth1 scope global; ip addr add ${original}/24 dev eth1; mkdir -p /etc/network/interfaces.d; printf '%s' '${operatorFile}' > ${FILE}`);
    onHost(h2, `ip addr flush dev eth1 scope global; ip addr add ${peer}/24 dev eth1`);

    const statsDir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-stats-"));
    /** SSH handshakes made by provider processes since the last call (each writes its figures to statsDir). */
    const handshakes = () => {
        const files = fs.existsSync(statsDir) ? fs.readdirSync(statsDir) : [];
        const n = files.reduce((sum, f) => sum + (JSON.parse(fs.readFileSync(path.join(statsDir, f), "utf8")) as { handshakes: number }).handshakes, 0);
        fs.rmSync(statsDir, { recursive: true, force: true });
        return { processes: files.length, handshakes: n };
    };
    const project = exampleProject("static-ip", { PULUMI_ONPREM_STATS_DIR: statsDir });
    const session = tcpSession(h1, h2, kept, 7007);
    t.after(() => {
        fs.rmSync(statsDir, { recursive: true, force: true });
        session.stop();
        onHost(h2, "ip addr flush dev eth1 scope global", { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const eth1 = (addrs: string[]) => ({ host: h1.name, device: "eth1", addresses: addrs.map((a) => `${a}/24`), routes: [{ destination: "10.90.0.0/16", via: gw, metric: 100 }] });
    setObjectConfig(project, { hosts: [h1], interfaces: [eth1([kept, changed])], confirmTimeoutSeconds: 30 });

    // format "auto": before the first deploy, the provider reads the host's facts (Debian: ifupdown's interfaces.d) at preview.
    const preview = project.pulumi(["preview", "--diff"]).out;
    assert.match(preview, /path\s*: "\/etc\/network\/interfaces\.d\/eth1"/);
    assert.equal(handshakes().handshakes, 1, "the first preview read the host's facts: one connection");
    project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(addresses(h1, "eth1"), [`${kept}/24`, `${changed}/24`].sort(), "both addresses live; the original one was taken over");
    assert.match(onHost(h1, "ip route show dev eth1"), /10\.90\.0\.0\/16 via [\d.]+ metric 100/);
    const file = onHost(h1, `cat ${FILE}`);
    assert.match(file, new RegExp(`address ${kept}/24`));
    assert.match(file, new RegExp(`address ${changed}/24`));
    assert.match(file, /post-up ip -4 route replace 10\.90\.0\.0\/16 via .* dev eth1 metric 100/);
    assert.equal(project.pulumi(["stack", "output", "formats", "--json"]).out.includes('"interfaces"'), true, "auto chose interfaces.d");
    assert.deepEqual(JSON.parse(project.pulumi(["stack", "output", "liveAddresses", "--json"]).out)[`${h1.name}-eth1`], [`${kept}/24`, `${changed}/24`]);
    assert.equal(onHost(h1, "ls /var/lib/pulumi-onprem/*/txn/pending 2>/dev/null | wc -l").trim(), "0", "nothing left armed");

    // Change one address while a TCP session runs on the other: the session lives on, the kept address never leaves.
    await session.open();
    await eventually("the session echoes", () => session.echoes() > 5);
    const watcher = spawn("bash", ["-c", `while :; do ip -n ${h1.name} -o addr show dev eth1 | grep -q ' ${kept}/' || echo gone; ip -n ${h1.name} link show eth1 | grep -q 'state UP' || echo down; sleep 0.05; done`], { stdio: ["ignore", "pipe", "ignore"] });
    t.after(() => watcher.kill());
    let watched = "";
    watcher.stdout.on("data", (d: Buffer) => (watched += d.toString()));
    setObjectConfig(project, { interfaces: [eth1([kept, replacement])] });
    handshakes();
    const diff = project.pulumi(["preview", "--diff"]).out;
    assert.deepEqual(handshakes(), { processes: 0, handshakes: 0 }, "a preview after the first deploy connects nowhere: the facts come from state");
    assert.match(diff, new RegExp(`-\\s+address ${changed.replace(/\./g, "\\.")}/24\\n\\s+\\+\\s+address ${replacement.replace(/\./g, "\\.")}/24`), "preview shows the changed stanza line");
    const before = session.echoes();
    project.pulumi(["up", "--yes", "--skip-preview"]);
    await eventually("echoes keep coming after the change", () => session.echoes() > before + 10, 10_000);
    watcher.kill();
    assert.deepEqual(addresses(h1, "eth1"), [`${kept}/24`, `${replacement}/24`].sort());
    assert.equal(session.broken(), false, `the TCP session on ${kept} survived:\n${session.output()}`);
    assert.equal(watched, "", "the kept address never left and the link never went down");
    assert.equal(onHost(h1, `ls /var/lib/pulumi-onprem/*/txn/pending 2>/dev/null; ps -eo args | grep '[r]ollback.sh" watchdog' || true`).trim(), "", "confirmed: no pending change, no watchdog left");
    t.diagnostic(`echoes over the kept address: ${before} before the up, ${session.echoes()} after`);
    session.stop();

    // Drift: an address removed by hand shows in refresh; up puts it back.
    onHost(h1, `ip addr del ${replacement}/24 dev eth1`);
    const refresh = project.pulumi(["refresh", "--yes", "--diff"]).out;
    assert.match(refresh, /states/, "refresh reports the live state changed");
    assert.match(refresh, new RegExp(`-.*addr -4 ${replacement.replace(/\./g, "\\.")}/24`), "the missing address shows as removed");
    const repair = project.pulumi(["preview", "--diff"]).out;
    assert.match(repair, /~ .*HostConfig|update/, "the next up will repair it");
    project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(addresses(h1, "eth1"), [`${kept}/24`, `${replacement}/24`].sort(), "up put the address back");

    // Destroy: the operator's file and address come back.
    project.pulumi(["destroy", "--yes", "--skip-preview"]);
    assert.equal(onHost(h1, `cat ${FILE}`), operatorFile);
    assert.deepEqual(addresses(h1, "eth1"), [`${original}/24`]);
    assert.doesNotMatch(onHost(h1, "ip route show dev eth1"), /10\.90\.0\.0/);
    assert.equal(onHost(h1, "ls /var/lib/pulumi-onprem | grep -c static-interface || true").trim(), "0", "the state directory is gone");
    onHost(h1, `ip addr flush dev eth1 scope global; rm -f ${FILE}`);
});
