// Day one on bare servers: two freshly installed Debian 12 VMs (systemd, sshd, ifupdown, nothing this
// package installs) whose apt reads the lab's package mirror. Every resource installs what it needs
// inside its `up`, says so with the time it took, and works. With PULUMI_ONPREM_VM_FULL=1 (npm run
// test:vm-full) also the install path's faults: the mirror down, a package the mirror lacks, dpkg's lock
// held, a slow mirror, a full disk. Each fails naming host, package and cause, leaves dpkg consistent and
// no config file of ours, and a rerun converges. They take 5-13 minutes under TCG, beyond what `npm test`
// can spend within CI's time; the install command's handling of each is unit-tested on every run.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { test } from "node:test";
import { eventually, holdsAddress, inventory, type LabHost } from "../support/lab";
import { exampleProject, secondsSince, setObjectConfig, timedPulumi } from "../support/pulumi";
import { containerAddress, pingFromContainer, removeContainer, startContainer } from "../support/dockerContainers";
import { labKind, onAnyHost, runOnHost, VMLAB_SCRIPT } from "../support/vmlab";

/** PULUMI_ONPREM_VM_FULL=1 (npm run test:vm-full): the install faults too. */
const FULL = process.env.PULUMI_ONPREM_VM_FULL === "1";
/** What the resources install on a bare Debian server, by resource. */
const KEEPALIVED = ["keepalived", "ipvsadm"];
const MESH = ["openvswitch-switch", "docker.io"];
const REGISTRY = ["docker-registry", "curl"];
const PROBE_FILE = "/etc/onprem-test/probe.conf";
const UNDERLAY = "/etc/network/interfaces.d/eth1";
const CTR = "barec";

const installed = (h: LabHost, names: readonly string[]) =>
    names.filter((n) => runOnHost(h, `dpkg-query -W -f='\${Status}' ${n} 2>/dev/null | grep -q 'install ok installed'`, { allowFail: true }).status === 0);
const audit = (h: LabHost) => runOnHost(h, "dpkg --audit 2>&1", { allowFail: true }).stdout.trim();
const vmlab = (...args: string[]) => {
    const r = spawnSync("bash", [VMLAB_SCRIPT, ...args], { encoding: "utf8" });
    assert.equal(r.status, 0, `vmlab.sh ${args.join(" ")}: ${r.stdout}${r.stderr}`);
};
/** The lines pulumi printed for one host's resources. */
const linesOf = (out: string, h: LabHost) => out.split("\n").filter((l) => l.includes(h.address) || l.includes(h.name));

test("bare servers: every resource installs what it needs from the host's package manager during `up`, says so, and works; a second `up` installs nothing", async (t) => {
    assert.equal(labKind(), "vm", "this test needs the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    const inv = inventory() as ReturnType<typeof inventory> & { bare?: boolean };
    assert.equal(inv.bare, true, "this test needs a bare VM lab (vmlab.sh up 2 --bare)");
    const [b1, b2] = inv.hosts;
    assert.ok(b1 && b2, "the bare lab needs 2 VMs");
    const hosts = [b1, b2];
    for (const h of hosts) {
        assert.deepEqual(installed(h, [...KEEPALIVED, ...MESH, ...REGISTRY]), [], `${h.name} is bare: none of the packages the resources use`);
        runOnHost(h, `printf 'auto eth1\\niface eth1 inet static\\n    address ${h.underlayAddress}\\n' > ${UNDERLAY} && ifup eth1`);
    }

    const project = exampleProject("test/vm-bare/programs/bare-servers");
    t.after(() => {
        project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const timed = timedPulumi(t, project);
    const vip = `${b1.address.replace(/\.\d+$/, "")}.150`;
    setObjectConfig(project, { hosts, vip, keepalived: true, mesh: true, registry: true });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", "Kq2wz8mb"]);
    // Emulated CPUs unpack docker.io in minutes (seen past 600 s with other VMs busy); a real server takes seconds.
    project.pulumi(["config", "set", "commandTimeoutSeconds", "1500"]);

    // Preview reads no host: it says what `up` will install where, and installs nothing.
    const preview = timed(["preview", "--diff"]).out;
    for (const [h, names] of [[b1, [...KEEPALIVED, ...MESH]], [b2, [...KEEPALIVED, ...MESH, ...REGISTRY]]] as const) {
        for (const n of names) assert.ok(linesOf(preview, h).some((l) => l.includes("`up` installs") && l.includes(n)), `preview names ${n} for ${h.name}:\n${preview}`);
        assert.deepEqual(installed(h, names), [], `${h.name}: preview installed nothing`);
    }

    const started = process.hrtime.bigint();
    const up = timed(["up", "--yes", "--skip-preview"]).out;
    t.diagnostic(`first up on 2 bare servers: ${secondsSince(started).toFixed(1)} s`);
    const installLines = up.split("\n").filter((l) => /installed .* in \d+\.\d s/.test(l));
    t.diagnostic(`what was installed, per host and resource:\n  ${installLines.map((l) => l.trim()).join("\n  ")}`);
    for (const [h, names] of [[b1, [...KEEPALIVED, ...MESH]], [b2, [...KEEPALIVED, ...MESH, ...REGISTRY]]] as const) {
        assert.deepEqual(installed(h, names), names, `${h.name}: installed`);
        for (const n of names) assert.ok(installLines.some((l) => (l.includes(h.address) || l.includes(h.name)) && l.includes(n)), `up says it installed ${n} on ${h.name}`);
        assert.equal(audit(h), "", `${h.name}: dpkg --audit clean`);
    }

    // They work: the VIP on the master with IPVS, the registry answers, containers ping across at full MTU.
    await eventually("the VIP on the master", () => holdsAddress(b1, vip), 60_000, 1000);
    assert.equal(holdsAddress(b2, vip), false, "the backup does not hold the VIP");
    assert.match(onAnyHost(b1, "ipvsadm -Ln"), new RegExp(`TCP\\s+${vip.replace(/\./g, "\\.")}:80 rr`), "IPVS has the virtual server");
    const registryUrl = project.pulumi(["stack", "output", "registryUrl"]).out.trim();
    assert.match(onAnyHost(b2, `curl -s -o /dev/null -w '%{http_code}' ${registryUrl}/v2/`), /^200$/, "the native registry answers /v2/");
    const mtu = Number(project.pulumi(["stack", "output", "meshMtu"]).out.trim());
    assert.equal(mtu, 1462, "GRE over a 1500 underlay");
    for (const h of hosts) startContainer(h, CTR);
    t.after(() => hosts.forEach((h) => removeContainer(h, CTR)));
    const to = await containerAddress(b2, CTR);
    await eventually(`${b1.name} -> ${b2.name} container ping at ${mtu - 28} bytes`, () => pingFromContainer(b1, CTR, to, mtu - 28, 1).ok, 120_000, 1000);
    assert.ok(pingFromContainer(b1, CTR, to, mtu - 28).ok, "3 pings at the full MTU, unfragmented");
    assert.equal(pingFromContainer(b1, CTR, to, mtu - 27, 1).ok, false, "one byte more does not pass");

    // A second up: nothing to do, nothing installed, no command on any host.
    const again = timed(["up", "--yes", "--skip-preview"]).out;
    assert.doesNotMatch(again, /installing |installed |updated|created/, again);
    assert.match(timed(["preview", "--expect-no-changes"]).out, /unchanged/);

    // destroy: the configuration goes, the packages stay installed (as Ansible and pyinfra leave them).
    for (const h of hosts) removeContainer(h, CTR);
    timed(["destroy", "--yes", "--skip-preview"]);
    for (const [h, names] of [[b1, [...KEEPALIVED, ...MESH]], [b2, [...KEEPALIVED, ...MESH, ...REGISTRY]]] as const) {
        assert.deepEqual(installed(h, names), names, `${h.name}: packages left installed`);
        assert.equal(onAnyHost(h, "test -e /etc/keepalived/keepalived.conf && echo present || echo absent"), "absent", `${h.name}: keepalived.conf removed`);
        assert.equal(onAnyHost(h, "ovs-vsctl list-br"), "", `${h.name}: no OVS bridge`);
        assert.equal(holdsAddress(h, vip), false, `${h.name}: no VIP`);
    }
});

if (FULL) test("bare servers: the install path's faults (the mirror down, a package it lacks, dpkg's lock held, a slow mirror, a full disk) each fail naming host, package and cause, leave dpkg consistent and nothing of ours, and a rerun converges", async (t) => {
    const [b1] = inventory().hosts;
    const project = exampleProject("test/vm-bare/programs/bare-servers");
    t.after(() => {
        project.pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        fs.rmSync(project.dir, { recursive: true, force: true });
    });
    const timed = timedPulumi(t, project);
    setObjectConfig(project, { hosts: [b1] });
    const rows: string[] = [];

    /** One `up` of the probe (a file and the packages named) that must fail; returns its error line. */
    const failing = (fault: string, packages: string[], expected: RegExp, timeoutSeconds = 120): string => {
        setObjectConfig(project, { probePackages: packages });
        project.pulumi(["config", "set", "commandTimeoutSeconds", String(timeoutSeconds)]);
        const r = timed(["up", "--yes", "--skip-preview"], { allowFail: true });
        assert.notEqual(r.code, 0, `${fault}: up must fail:\n${r.out}`);
        const line = r.out.split("\n").find((l) => expected.test(l)) ?? "";
        assert.ok(line, `${fault}: an error line matching ${expected}:\n${r.out}`);
        assert.ok(line.includes(b1.address) || r.out.includes(`${b1.address}`), `${fault}: names the host`);
        const auditNow = audit(b1);
        assert.equal(auditNow, "", `${fault}: dpkg --audit clean`);
        assert.equal(onAnyHost(b1, `ls -A /etc/onprem-test 2>/dev/null; true`), "", `${fault}: no probe file, staged or swapped`);
        rows.push(`${fault} | ${line.trim().slice(0, 240)} | dpkg --audit ${auditNow === "" ? "clean" : auditNow}`);
        return line;
    };
    /** The rerun once the fault is gone: the packages installed, the file in place, a second up changes nothing. */
    const converges = (fault: string, packages: string[]) => {
        setObjectConfig(project, { probePackages: packages });
        project.pulumi(["config", "set", "commandTimeoutSeconds", "600"]);
        const out = timed(["up", "--yes", "--skip-preview"]).out;
        assert.deepEqual(installed(b1, packages), packages, `${fault}: rerun installed ${packages.join(" ")}`);
        assert.equal(onAnyHost(b1, `cat ${PROBE_FILE}`), `packages ${packages.join(" ")}`);
        assert.equal(audit(b1), "");
        timed(["up", "--yes", "--expect-no-changes", "--skip-preview"]);
        rows[rows.length - 1] += ` | rerun: ${/installed [\w.+-]+(, [\w.+-]+)* in \d+\.\d s/.exec(out)?.[0] ?? "nothing installed"}`;
    };
    const purge = (names: string[]) => {
        timed(["destroy", "--yes", "--skip-preview"]);
        onAnyHost(b1, `DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ${names.join(" ")} >/dev/null 2>&1; apt-get autoremove --purge -y -q >/dev/null 2>&1; true`);
        assert.deepEqual(installed(b1, names), []);
    };
    const pkg = "docker-registry";
    purge([pkg, "curl"]);

    // 1. The mirror down.
    vmlab("mirror", "stop");
    try {
        failing("mirror down", [pkg], /installing docker-registry with apt-get failed .*(Could not connect|Connection refused|Failed to fetch|Unable to connect)/);
    } finally {
        vmlab("mirror", "start");
    }
    converges("mirror down", [pkg]);
    purge([pkg]);

    // 2. A package the mirror does not have: apt refuses the whole install, so nothing of it is installed.
    failing("package not in the mirror", [pkg, "onprem-test-no-such-package"], /Unable to locate package onprem-test-no-such-package/);
    assert.deepEqual(installed(b1, [pkg]), [], "apt installed nothing of a refused set");
    converges("package not in the mirror", [pkg]);
    purge([pkg]);

    // 3. dpkg's lock held by another process, as unattended-upgrades holds it (a POSIX lock, as apt and dpkg
    // take it; flock(1)'s kind does not stop them): the install waits half its bound, then names the holder.
    const holdLock = [
        "use Fcntl;",
        'open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or die "open: $!";',
        // fcntl writes the lock's description back: it takes a variable, never a literal.
        'my $lk = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0);',
        'fcntl($f, F_SETLKW, $lk) or die "lock: $!";',
        'open(my $held, ">", "/run/onprem-test-lock.held"); close($held);',
        "sleep 900;",
    ].join("\n");
    onAnyHost(b1, `rm -f /run/onprem-test-lock.held; cat > /run/onprem-test-lock.pl <<'PL'\n${holdLock}\nPL\nsystemd-run --unit=onprem-test-dpkg-lock --quiet perl /run/onprem-test-lock.pl`);
    try {
        await eventually("the lock is held", () => runOnHost(b1, "test -e /run/onprem-test-lock.held", { allowFail: true }).status === 0, 30_000, 500);
        failing("dpkg lock held", [pkg], /Could not get lock .*held by process \d+/, 40);
    } finally {
        runOnHost(b1, "systemctl stop onprem-test-dpkg-lock; rm -f /run/onprem-test-lock.pl /run/onprem-test-lock.held", { allowFail: true });
    }
    converges("dpkg lock held", [pkg]);
    purge([pkg]);

    // 4. The mirror answers slowly (the VM's packets to it wait 3 s): the install is cut at the command bound.
    onAnyHost(b1, [
        "modprobe sch_netem",
        "tc qdisc add dev eth0 root handle 1: prio",
        "tc qdisc add dev eth0 parent 1:3 handle 30: netem delay 3000ms",
        `tc filter add dev eth0 protocol ip parent 1:0 prio 3 u32 match ip dport ${new URL(String((inventory() as unknown as { mirror: string }).mirror)).port} 0xffff flowid 1:3`,
    ].join(" && "));
    try {
        onAnyHost(b1, "apt-get clean"); // nothing cached: the packages must come over the slow link
        failing("slow mirror", [pkg], /did not finish within 20 s and was stopped/, 20);
    } finally {
        runOnHost(b1, "tc qdisc del dev eth0 root", { allowFail: true });
    }
    converges("slow mirror", [pkg]);
    purge([pkg]);

    // 5. A full disk: 12 MiB left, enough for the 5 MB download, not for the 20 MB unpacked; apt's own
    // space check refuses before it downloads (dpkg would fail unpacking). Root may write into ext4's
    // reserved blocks, so the fill counts every free block, not df's "available", less the 16 MiB ext4
    // keeps back for its own metadata (a fallocate into those fails after filling the disk).
    try {
        onAnyHost(b1, "apt-get clean; set -- $(stat -f -c '%f %S' /); fallocate -l $(( $1 * $2 - (16 + 12) * 1024 * 1024 )) /var/tmp/onprem-test-fill");
        failing("full disk", [pkg], /installing docker-registry with apt-get failed .*(No space left on device|You don't have enough free space)/);
    } finally {
        runOnHost(b1, "rm -f /var/tmp/onprem-test-fill", { allowFail: true });
    }
    converges("full disk", [pkg]);

    t.diagnostic(`fault | error line shown | dpkg --audit | rerun\n  ${rows.join("\n  ")}`);
});
