/**
 * The demo's Pulumi part (scripts/demo.sh starts the lab first): `pulumi up` of examples/datacenter on
 * the lab, a summary a person can read, a failover, then destroy unless DEMO_KEEP=yes. On the VM lab
 * every default holds (kernel datapath, network format read from each host) and the mesh is shown the
 * way it is used: from a container on each host to the containers on the others.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { eventually, holdsAddress, inventory, LabHost, onHost } from "../test/support/lab";
import { writeOciImage } from "../test/support/oci";
import { containerAddress, pingFromContainer, removeContainer, startContainer } from "../test/support/dockerContainers";
import { exampleProject, Project, setObjectConfig } from "../test/support/pulumi";
import { labKind } from "../test/support/vmlab";

const keep = process.env.DEMO_KEEP === "yes";
const onVms = labKind() === "vm";
/** VMs of the bare flavor (`vmlab.sh up --bare`): they install what the stack needs during `up`. */
const bare = (inventory() as { bare?: boolean }).bare === true;
/** The container the demo starts on each VM. */
const CONTAINER = "onprem-demo";
const say = (text: string) => process.stdout.write(`${text}\n`);
/** What did not work: the demo says so and exits non-zero. */
const problems: string[] = [];
const step = (text: string) => say(`\n==> ${text}`);

/** Runs the CLI with its progress on the terminal. */
function live(project: Project, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", ["--non-interactive", ...args], { cwd: project.dir, env: project.env, stdio: "inherit" });
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi ${args.join(" ")} exited ${code}`))));
    });
}

function output<T>(project: Project, name: string): T {
    return JSON.parse(project.pulumi(["stack", "output", name, "--json"]).out) as T;
}

function table(rows: string[][]): string {
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()).join("\n");
}

async function main(): Promise<void> {
    const hosts = inventory().hosts.slice(0, 3);
    const net = hosts[0].address.replace(/\.\d+$/, "");
    const vip = `${net}.100`;
    const registryPassword = randomBytes(12).toString("base64url");

    const project = exampleProject("datacenter");
    setObjectConfig(project, {
        hosts,
        serviceAddresses: hosts.map((_, i) => `${net}.${61 + i}/24`),
        vip,
        tunnel: "gre",
        // The netns lab's hosts are network namespaces: the userspace datapath, and Debian's ifupdown
        // files. VMs are real machines: the defaults.
        ...(onVms ? {} : { datapathType: "netdev", networkFormat: "interfaces" }),
        // Bare VMs install Open vSwitch and docker.io during `up`: under TCG (no KVM) dpkg alone takes 6-13
        // minutes there, where a real server takes under one; the default bound (600 s) is for real servers.
        ...(bare ? { commandTimeoutSeconds: 1800 } : {}),
    });
    project.pulumi(["config", "set", "--secret", "--", "vrrpPassword", randomBytes(6).toString("base64url").slice(0, 8)]);
    project.pulumi(["config", "set", "--secret", "--", "registryPassword", registryPassword]);
    await live(project, ["up", "--yes"]);

    step("4/4 what runs where");
    const holder = (h: LabHost) => holdsAddress(h, vip);
    await eventually("the VIP on its master", () => hosts.some(holder), 20_000);
    const addresses = output<Record<string, string[]>>(project, "addresses");
    const mesh = output<MeshHosts>(project, "mesh");
    say(
        table([
            ["host", "addresses on eth0", "containers' subnet", "bridge", "MTU", "VIP"],
            ...hosts.map((h) => [h.name, (addresses[h.name] ?? []).join(" "), mesh[h.name].subnet, mesh[h.name].bridgeAddress, String(mesh[h.name].mtu), holder(h) ? vip : ""]),
        ]),
    );

    const rows = onVms ? await containerMatrix(hosts, mesh) : await bridgeMatrix(hosts, mesh);
    say(table(rows));
    if (rows.some((r) => r.includes("FAILED"))) problems.push("some hosts do not reach each other over the mesh");

    // The registry through the VIP: push a tiny image made here, then read the catalog.
    const registryUrl = output<string>(project, "registryUrl");
    const ca = output<string>(project, "registryCa");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-demo-"));
    fs.mkdirSync(path.join(work, "certs"));
    fs.writeFileSync(path.join(work, "certs", "ca.crt"), ca);
    const image = writeOciImage(path.join(work, "oci"), "1.0", "hello from the pulumi-onprem demo\n");
    const target = `docker://${registryUrl.replace(/^https:\/\//, "")}/demo/hello:1.0`;
    const push = spawnSync("skopeo", ["--insecure-policy", "copy", "--dest-cert-dir", path.join(work, "certs"), "--dest-creds", `ops:${registryPassword}`, `oci:${image.dir}:1.0`, target], { encoding: "utf8" });
    say(`\nregistry ${registryUrl} (TLS with its own CA, user "ops"): push demo/hello:1.0 ${push.status === 0 ? "ok" : `FAILED\n${push.stderr}`}`);
    if (push.status !== 0) problems.push("the push to the registry failed");
    const client = hosts[1];
    const hostPort = registryUrl.replace(/^https:\/\//, "");
    if (onVms) {
        // What a user of the registry does: dockerd on another host logs in and pulls, trusting the CA
        // pulumi-onprem put in its /etc/docker/certs.d (bare servers have no curl; dockerd came with the mesh).
        const ref = `${hostPort}/demo/hello:1.0`;
        const pulled = onHost(
            client,
            `printf '%s' '${registryPassword}' | docker login -u ops --password-stdin ${hostPort} >/dev/null && docker pull -q ${ref}; s=$?; docker rmi ${ref} >/dev/null 2>&1; docker logout ${hostPort} >/dev/null; exit $s`,
            { allowFail: true },
        ).trim();
        say(`pull on ${client.name} (dockerd, trusting the CA pulumi-onprem put in its /etc/docker/certs.d): ${pulled.endsWith(ref) ? "ok" : `FAILED ${pulled}`}`);
        if (!pulled.endsWith(ref)) problems.push(`the pull from the registry on ${client.name} failed`);
    } else {
        const catalog = onHost(client, `curl -s --cacert /etc/docker/certs.d/${hostPort}/ca.crt -u ops:${registryPassword} ${registryUrl}/v2/_catalog`, { allowFail: true });
        say(`catalog, read from ${client.name} with the CA pulumi-onprem put in its /etc/docker/certs.d: ${catalog.trim() || "(no answer)"}`);
        if (!catalog.includes("demo/hello")) problems.push("the registry's catalog does not list the pushed image");
    }
    fs.rmSync(work, { recursive: true, force: true });

    step("failover: keepalived stopped on the VIP's holder");
    const master = hosts.find(holder)!;
    const started = process.hrtime.bigint();
    onHost(master, "systemctl stop keepalived");
    await eventually("another host takes the VIP", () => hosts.some((h) => h !== master && holder(h)), 20_000, 20);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    say(`${vip} moved from ${master.name} to ${hosts.find((h) => h !== master && holder(h))!.name} in ${seconds.toFixed(2)} s`);
    onHost(master, "systemctl start keepalived");
    await eventually("the VIP back on its master", () => holder(master), 20_000);
    say(`keepalived started again on ${master.name}: the VIP is back (preempt)`);

    if (problems.length > 0) throw new Error(problems.join("; "));
    if (keep) {
        say(`\nThe lab and the stack stay up. To explore:\n  cd ${project.dir}`);
        say(`  export PULUMI_HOME=${project.env.PULUMI_HOME} PULUMI_BACKEND_URL=${project.env.PULUMI_BACKEND_URL} PULUMI_CONFIG_PASSPHRASE=${project.env.PULUMI_CONFIG_PASSPHRASE} PATH=${project.env.PATH!.split(":")[0]}:$PATH`);
        say(`  pulumi stack output; pulumi preview --diff; LAB_DIR=${process.env.LAB_DIR} npm run lab -- exec ${hosts[0].name} -- ip addr`);
        return;
    }
    if (onVms) for (const h of hosts) removeContainer(h, CONTAINER);
    step("pulumi destroy: every host back as it was");
    await live(project, ["destroy", "--yes"]);
    fs.rmSync(project.dir, { recursive: true, force: true });
}

type MeshHosts = Record<string, { subnet: string; bridgeAddress: string; mtu: number }>;
const rtt = (summary: string) => (summary ? `ok, ${summary.split("/")[1]} ms` : "FAILED");

/** netns lab: from each host's Docker bridge to the others' (the lab has no dockerd). */
async function bridgeMatrix(hosts: LabHost[], mesh: MeshHosts): Promise<string[][]> {
    say(`\nmesh ping matrix (full-size packets, don't fragment: ping -M do -s MTU-28 from each host's bridge to the others'):`);
    const ping = (from: LabHost, to: LabHost, count: number) =>
        onHost(from, `ping -c ${count} -i 0.2 -W 2 -M do -s ${mesh[from.name].mtu - 28} ${mesh[to.name].bridgeAddress.split("/")[0]} | tail -1`, { allowFail: true }).trim();
    // Spanning tree opens the tunnel ports a few seconds after they appear.
    await eventually("the mesh forwards", () => hosts.every((a) => hosts.every((b) => a === b || ping(a, b, 1).includes("/"))), 60_000, 500).catch(() => undefined);
    return [["from \\ to", ...hosts.map((h) => h.name)], ...hosts.map((from) => [from.name, ...hosts.map((to) => (from === to ? "-" : rtt(ping(from, to, 3).match(/= ([\d.]+\/[\d.]+\/[\d.]+)/)?.[1] ?? "")))])];
}

/** VM lab: a container on each host, started by dockerd on the mesh's network, pinging the others'. */
async function containerMatrix(hosts: LabHost[], mesh: MeshHosts): Promise<string[][]> {
    for (const h of hosts) startContainer(h, CONTAINER);
    const addresses = new Map<string, string>();
    for (const h of hosts) addresses.set(h.name, await containerAddress(h, CONTAINER));
    say(`\ncontainer ping matrix (a busybox container per host, at ${hosts.map((h) => `${h.name} ${addresses.get(h.name)}`).join(", ")}; full-size packets, don't fragment: ping -M do -s MTU-28):`);
    const ping = (from: LabHost, to: LabHost, count: number) => pingFromContainer(from, CONTAINER, addresses.get(to.name)!, mesh[from.name].mtu - 28, count);
    // Rapid spanning tree opens the tunnel ports a few seconds after they appear.
    await eventually("the mesh forwards", () => hosts.every((a) => hosts.every((b) => a === b || ping(a, b, 1).ok)), 120_000, 1_000).catch(() => undefined);
    return [["from \\ to", ...hosts.map((h) => h.name)], ...hosts.map((from) => [from.name, ...hosts.map((to) => (from === to ? "-" : rtt(ping(from, to, 3).rtt)))])];
}

main().catch((e) => {
    process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    process.exit(1);
});
