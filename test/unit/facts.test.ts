import { strict as assert } from "node:assert";
import { test } from "node:test";
import { parseFacts } from "../../provider/host/facts";
import { packageNames } from "../../provider/host/packages";

const out = (osRelease: Record<string, string>, init: string, tools: string[]) =>
    [`id=${osRelease.ID ?? ""}`, `version=${osRelease.VERSION_ID ?? ""}`, `like=${osRelease.ID_LIKE ?? ""}`, "hostname=h1", `init=${init}`, ...tools.map((t) => `tool=${t}`)].join("\n");

test("host facts: Debian, Ubuntu, Rocky, CentOS 7 and an unknown OS", () => {
    const debian = parseFacts(out({ ID: "debian", VERSION_ID: "12" }, "systemd", ["apt-get", "keepalived", "ip"]));
    assert.deepEqual(debian, { hostname: "h1", osFamily: "debian", osId: "debian", osVersion: "12", init: "systemd", packageManager: "apt-get", tools: { keepalived: true, ip: true } });
    assert.equal(parseFacts(out({ ID: "ubuntu", VERSION_ID: "22.04", ID_LIKE: "debian" }, "systemd", ["apt-get"])).osFamily, "debian");
    const rocky = parseFacts(out({ ID: "rocky", VERSION_ID: "9.3", ID_LIKE: "rhel centos fedora" }, "systemd", ["dnf", "yum"]));
    assert.equal(rocky.osFamily, "rhel");
    assert.equal(rocky.packageManager, "dnf", "dnf is preferred over yum");
    assert.equal(parseFacts(out({ ID: "centos", VERSION_ID: "7" }, "systemd", ["yum"])).packageManager, "yum");
    const odd = parseFacts(out({}, "sysv", []));
    assert.equal(odd.osFamily, "other");
    assert.equal(odd.packageManager, "none");
    assert.equal(parseFacts(out({ ID: "debian" }, "systemctl", [])).init, "systemctl");
});

test("package names per family", () => {
    const pkgs = [{ name: "keepalived" }, { name: "openvswitch", apt: "openvswitch-switch", rpm: "openvswitch3.1" }];
    assert.deepEqual(packageNames(pkgs, parseFacts(out({ ID: "debian" }, "systemd", ["apt-get"]))), ["keepalived", "openvswitch-switch"]);
    assert.deepEqual(packageNames(pkgs, parseFacts(out({ ID: "rocky", ID_LIKE: "rhel" }, "systemd", ["dnf"]))), ["keepalived", "openvswitch3.1"]);
});
