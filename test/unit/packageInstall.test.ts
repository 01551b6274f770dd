/**
 * The install command, run by a real sh against stand-ins for apt-get, dpkg and dnf on PATH that record
 * how they were called: the commands the host runs (the RHEL path cannot run here against a real
 * repository), the list re-read only when the lists cannot serve, an interrupted dpkg finished first, and
 * the lines of a failed install that say why.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { INSTALL_SCRIPT, installFailureCause, lockWaitSeconds, PACKAGE_LOCK_WAIT_SECONDS } from "../../provider/host/packages";

const root = mkdtempSync(join(tmpdir(), "package-install-"));
after(() => rmSync(root, { recursive: true, force: true }));

/**
 * A directory of stand-in tools: each appends its arguments to calls.log; `behaviour` is the sh body that
 * decides its output and exit status (it sees its arguments as "$@").
 */
function fakeTools(name: string, behaviour: Record<string, string>): { dir: string; calls: () => string[] } {
    const dir = join(root, name);
    spawnSync("mkdir", ["-p", dir]);
    for (const [tool, body] of Object.entries(behaviour)) {
        const path = join(dir, tool);
        writeFileSync(path, `#!/bin/sh\necho "${tool} $*" >> "${dir}/calls.log"\n${body}\n`);
        chmodSync(path, 0o755);
    }
    writeFileSync(join(dir, "calls.log"), "");
    return { dir, calls: () => readFileSync(join(dir, "calls.log"), "utf8").split("\n").filter(Boolean) };
}

const install = (tools: string, pm: string, ...packages: string[]) =>
    spawnSync("sh", ["-c", INSTALL_SCRIPT, "sh", pm, String(PACKAGE_LOCK_WAIT_SECONDS), ...packages], {
        encoding: "utf8",
        env: { PATH: `${tools}:/usr/bin:/bin` },
    });

const aptInstall = `-y -q --no-install-recommends -o DPkg::Lock::Timeout=${PACKAGE_LOCK_WAIT_SECONDS} -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confold install`;

test("apt: installs from the lists on the host when they serve; nothing else runs", () => {
    const t = fakeTools("apt-ok", { "apt-get": "exit 0", dpkg: "exit 0" });
    const r = install(t.dir, "apt-get", "keepalived", "ipvsadm");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(t.calls(), ["dpkg --audit", `apt-get ${aptInstall} keepalived ipvsadm`]);
});

test("apt: lists that cannot serve (a fresh server) are read again once, every source required, then the install runs again", () => {
    const t = fakeTools("apt-stale", {
        "apt-get": `case "$*" in *" update") touch "$(dirname "$0")/updated"; exit 0 ;; esac
[ -e "$(dirname "$0")/updated" ] && exit 0
echo "E: Unable to locate package keepalived"; exit 100`,
        dpkg: "exit 0",
    });
    const r = install(t.dir, "apt-get", "keepalived");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(t.calls(), [
        "dpkg --audit",
        `apt-get ${aptInstall} keepalived`,
        `apt-get -q -o DPkg::Lock::Timeout=${PACKAGE_LOCK_WAIT_SECONDS} -o APT::Update::Error-Mode=any update`,
        `apt-get ${aptInstall} keepalived`,
    ]);
    assert.match(r.stdout, /reading the package lists again/);
});

test("apt: a held lock is not a reason to read the lists again; a failure leaves dpkg asked to finish and audited", () => {
    const t = fakeTools("apt-locked", {
        "apt-get": 'echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)"; exit 100',
        dpkg: 'case "$*" in *--audit*) [ -e "$(dirname "$0")/configured" ] || echo "The following packages are only half configured"; ;; *) touch "$(dirname "$0")/configured" ;; esac',
    });
    const r = install(t.dir, "apt-get", "keepalived");
    assert.equal(r.status, 100);
    assert.deepEqual(t.calls(), [
        "dpkg --audit",
        "dpkg --force-confold --configure -a",
        `apt-get ${aptInstall} keepalived`,
        "dpkg --force-confold --configure -a",
        "dpkg --audit",
    ]);
    assert.match(r.stdout, /finishing an interrupted earlier run first/, "an interrupted dpkg is finished before the install");
    assert.equal(installFailureCause(r.stdout + r.stderr), "Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)");
});

test("dnf and yum: one install, no weak dependencies", () => {
    for (const pm of ["dnf", "yum"]) {
        const t = fakeTools(`rpm-${pm}`, { [pm]: "exit 0" });
        const r = install(t.dir, pm, "keepalived", "openvswitch");
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.deepEqual(t.calls(), [`${pm} -y -q --setopt=install_weak_deps=False install keepalived openvswitch`]);
    }
});

test("the cause of a failed install: apt's and dpkg's own lines, without the generic closing line", () => {
    const fullDisk = [
        "Unpacking docker.io (20.10.24+dfsg1-1+deb12u1) ...",
        "dpkg: error processing archive /var/cache/apt/archives/docker.io_20.10.24.deb (--unpack):",
        " cannot copy extracted data for './usr/sbin/dockerd' to '/usr/sbin/dockerd.dpkg-new': failed to write (No space left on device)",
        "Errors were encountered while processing:",
        "E: Sub-process /usr/bin/dpkg returned an error code (1)",
    ].join("\n");
    assert.equal(
        installFailureCause(fullDisk),
        "dpkg: error processing archive /var/cache/apt/archives/docker.io_20.10.24.deb (--unpack):; cannot copy extracted data for './usr/sbin/dockerd' to '/usr/sbin/dockerd.dpkg-new': failed to write (No space left on device)",
    );
    const mirrorDown = "Err:1 http://10.97.0.1:3142 bookworm InRelease\n  Could not connect to 10.97.0.1:3142 (10.97.0.1). - connect (111: Connection refused)\nE: Failed to fetch http://10.97.0.1:3142/dists/bookworm/InRelease  Could not connect\nE: Some index files failed to download.";
    assert.match(installFailureCause(mirrorDown), /^Err:1 .*; E: Failed to fetch .*Could not connect; E: Some index files failed to download\.$/);
    const lockHeld = [
        "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 377 (perl)...",
        "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 377 (perl)...",
        "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?",
    ].join("\n");
    assert.equal(
        installFailureCause(lockHeld),
        "Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 377 (perl); E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?",
        "apt's own words while it waited name the lock's holder once",
    );
    assert.equal(installFailureCause("Error: Unable to find a match: no-such"), "Error: Unable to find a match: no-such");
    assert.equal(installFailureCause("something\nwent\nwrong\nhere"), "went; wrong; here", "no known line: the last ones");
});

test("the lock wait: at most half the command's bound, so a held lock fails with its holder named before the bound cuts the install", () => {
    assert.equal(lockWaitSeconds(600), PACKAGE_LOCK_WAIT_SECONDS);
    assert.equal(lockWaitSeconds(60), 30);
    assert.equal(lockWaitSeconds(1), 1);
});
