import { strict as assert } from "node:assert";
import { test } from "node:test";
import { eventually, holdsAddress, inventory, LabHost, onHost } from "../support/lab";
import { destroyAfter, exampleProject, setObjectConfig } from "../support/pulumi";

const PASSWORD = "mb7Kq2wz";
const CONF = "/etc/keepalived/keepalived.conf";

function clean(hosts: LabHost[]): void {
    for (const h of hosts) onHost(h, `systemctl stop keepalived; rm -rf /etc/keepalived`, { allowFail: true });
}

test("examples/keepalived-master-backup: preview, up (VIP on the master), maintenance hands it over, destroy", async (t) => {
    const hosts = inventory().hosts.slice(0, 2);
    const [master, backup] = hosts;
    const vip = `${master.address.replace(/\.\d+$/, "")}.211`;
    clean(hosts);
    const project = exampleProject("keepalived-master-backup");
    destroyAfter(t, project);
    setObjectConfig(project, { hosts, vip });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", PASSWORD]);

    const preview = project.pulumi(["preview", "--diff"]).out;
    for (const h of hosts) assert.match(preview, new RegExp(`HostConfig::vrrp-${h.name}\\]`), `the preview shows ${h.name}'s config`);
    const up = project.pulumi(["up", "--yes", "--skip-preview"]).out;
    await eventually("the VIP on the master", () => holdsAddress(master, vip));
    assert.equal(holdsAddress(backup, vip), false);
    assert.match(onHost(master, `cat ${CONF}`), /state MASTER[\s\S]*priority 100/);
    assert.match(onHost(backup, `cat ${CONF}`), /state BACKUP/);

    // The track script: a maintenance flag on the master moves the VIP without stopping keepalived.
    onHost(master, "touch /etc/keepalived/maintenance");
    await eventually("the VIP moves to the backup", () => holdsAddress(backup, vip) && !holdsAddress(master, vip), 15_000);
    await eventually("the backup's notify script saw MASTER", () => onHost(backup, "cat /run/keepalived-VI_1.state 2>/dev/null || true").trim() === "MASTER");
    onHost(master, "rm -f /etc/keepalived/maintenance");
    await eventually("the VIP back on the master", () => holdsAddress(master, vip), 15_000);

    const destroy = project.pulumi(["destroy", "--yes", "--skip-preview"]).out;
    for (const h of hosts) {
        assert.equal(holdsAddress(h, vip), false, `${h.name} still holds the VIP`);
        assert.equal(onHost(h, `test -e ${CONF} && echo yes || echo no`).trim(), "no");
    }
    for (const out of [preview, up, destroy, project.pulumi(["stack", "export"]).out]) assert.ok(!out.includes(PASSWORD), "no plaintext password");
});

test("examples/keepalived-lvs: virtual_server with HTTP_GET checks; IPVS rules checked where the kernel has IPVS", async (t) => {
    const hosts = inventory().hosts.slice(0, 3);
    const [lb1, lb2, web] = hosts;
    const vip = `${lb1.address.replace(/\.\d+$/, "")}.212`;
    clean(hosts);
    const project = exampleProject("keepalived-lvs");
    destroyAfter(t, project);
    setObjectConfig(project, { hosts: [lb1, lb2], vip, realServers: [`${web.address}:8080`] });
    project.pulumi(["config", "set", "--secret", "vrrpPassword", PASSWORD]);

    project.pulumi(["preview"]);
    if (onHost(lb1, "test -e /proc/net/ip_vs || modprobe ip_vs 2>/dev/null && echo yes || echo no").trim() === "no") {
        // keepalived exits at start without IPVS: the cluster's config test says so and no node changes.
        const failed = project.pulumi(["up", "--yes", "--skip-preview"], { allowFail: true });
        assert.notEqual(failed.code, 0);
        assert.match(failed.out, new RegExp(`root@${lb1.address.replace(/\./g, "\\.")}: IPVS in the kernel \\(virtual_server needs it\\) failed`));
        for (const h of [lb1, lb2]) assert.equal(onHost(h, `test -e ${CONF} && echo yes || echo no`).trim(), "no", `${h.name} is unchanged`);
        t.diagnostic("this kernel has no IPVS: up refused at the config test, as it should; the IPVS rules are checked on the VM lab");
        project.pulumi(["destroy", "--yes", "--skip-preview"]);
        return;
    }
    project.pulumi(["up", "--yes", "--skip-preview"]);
    await eventually("the VIP on the first load balancer", () => holdsAddress(lb1, vip));
    const conf = onHost(lb1, `cat ${CONF}`);
    assert.match(conf, new RegExp(`virtual_server ${vip.replace(/\./g, "\\.")} 80 \\{`));
    assert.match(conf, new RegExp(`real_server ${web.address.replace(/\./g, "\\.")} 8080 \\{[\\s\\S]*HTTP_GET`));
    assert.match(onHost(lb1, "cat /proc/net/ip_vs"), /TCP\s+[0-9A-F]{8}:0050/, "the virtual server is in the IPVS table");

    project.pulumi(["destroy", "--yes", "--skip-preview"]);
    for (const h of [lb1, lb2]) assert.equal(holdsAddress(h, vip), false);
});
