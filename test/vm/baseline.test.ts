// Smoke test of the VM lab (test/vmlab), named to run first: the fresh VMs as the image leaves them, before other files change them.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { Client } from "ssh2";
import { eventually, inventory } from "../support/lab";
import { type AnyLabHost, labKind, onAnyHost, runOnHost } from "../support/vmlab";

let hosts: AnyLabHost[] = [];

before(() => {
    assert.equal(labKind(), "vm", "these tests need the VM lab's inventory (PULUMI_ONPREM_LAB_INVENTORY)");
    hosts = inventory().hosts as AnyLabHost[];
    assert.ok(hosts.length >= 2, `the VM lab has ${hosts.length} VMs; these tests need 2`);
});

describe("SSH with the pinned host key", () => {
    it("root, ops (passwordless sudo) and guest (no sudo) log in", () => {
        for (const h of hosts) {
            assert.equal(onAnyHost(h, "id -u"), "0", h.name);
            assert.equal(onAnyHost(h, "id -un; sudo -n id -u", { user: h.users.sudo }), `${h.users.sudo}\n0`, h.name);
            assert.equal(onAnyHost(h, "id -un", { user: h.users.unprivileged }), h.users.unprivileged, h.name);
            const sudo = runOnHost(h, "sudo -n true", { user: h.users.unprivileged, allowFail: true });
            assert.notEqual(sudo.status, 0, `${h.name}: ${h.users.unprivileged} must not have sudo`);
        }
    });

    it("another VM's host key is refused", () => {
        const [a, b] = hosts;
        assert.notEqual(a.hostPublicKey, b.hostPublicKey, "each VM has its own host key");
        const r = runOnHost(a, "true", { hostPublicKey: b.hostPublicKey, allowFail: true });
        assert.equal(r.status, 255, `ssh must fail on a wrong pin: ${r.stderr}`);
        assert.match(r.stderr, /host key/i);
    });

    it("ssh2 (the provider's SSH library) sees the pinned key", { timeout: 300_000 }, async () => {
        const h = hosts[0];
        const pinned = Buffer.from(h.hostPublicKey.split(" ")[1], "base64");
        let seen: Buffer | undefined;
        const out = await new Promise<string>((resolve, reject) => {
            const c = new Client();
            c.on("ready", () => {
                c.exec("hostname", (err, stream) => {
                    if (err) return reject(err);
                    let s = "";
                    stream.on("data", (d: Buffer) => (s += d.toString()));
                    stream.on("close", () => { c.end(); resolve(s.trim()); });
                });
            }).on("error", reject).connect({
                host: h.address, port: h.port, username: h.user,
                privateKey: fs.readFileSync(h.privateKeyPath),
                hostVerifier: (key: Buffer) => { seen = key; return key.equals(pinned); },
                readyTimeout: 30_000,
            });
        });
        assert.ok(seen?.equals(pinned));
        assert.equal(out, h.name);
    });
});

describe("the VMs", () => {
    it("run systemd as PID 1", () => {
        for (const h of hosts) {
            assert.equal(onAnyHost(h, "cat /proc/1/comm"), "systemd", h.name);
            const state = runOnHost(h, "systemctl is-system-running", { allowFail: true }).stdout.trim();
            assert.ok(["running", "degraded"].includes(state), `${h.name}: system state ${state}`);
        }
    });

    it("load the openvswitch, ip_gre, vxlan and ip_vs modules", () => {
        for (const h of hosts) {
            const lsmod = onAnyHost(h, "modprobe -a openvswitch ip_gre vxlan ip_vs && cut -d' ' -f1 /proc/modules");
            for (const m of ["openvswitch", "ip_gre", "vxlan", "ip_vs"]) {
                assert.ok(lsmod.split("\n").includes(m), `${h.name}: ${m} not loaded`);
            }
        }
    });

    it("have the management address on eth0 and eth1 up without an IPv4 address, eth1 run by its flavor", () => {
        for (const h of hosts) {
            assert.match(onAnyHost(h, "ip -4 -o addr show dev eth0"), new RegExp(` ${h.address.replace(/\./g, "\\.")}/24 `), h.name);
            assert.match(onAnyHost(h, "cat /sys/class/net/eth1/operstate"), /^(up|unknown)$/, h.name);
            assert.equal(onAnyHost(h, "ip -4 -o addr show dev eth1"), "", `${h.name}: eth1 has an IPv4 address`);
            const flavor = h.netFlavor ?? "ifupdown";
            assert.equal(onAnyHost(h, "cat /etc/vmlab-net-flavor"), flavor, h.name);
            const nm = runOnHost(h, "systemctl is-active NetworkManager", { allowFail: true }).stdout.trim();
            const networkd = runOnHost(h, "systemctl is-active systemd-networkd", { allowFail: true }).stdout.trim();
            assert.equal(nm, flavor === "networkmanager" ? "active" : "inactive", `${h.name}: NetworkManager`);
            assert.equal(networkd, flavor === "netplan" ? "active" : "inactive", `${h.name}: systemd-networkd`);
            if (flavor === "networkmanager") {
                assert.match(onAnyHost(h, "nmcli -t -f DEVICE,STATE device"), /^eth0:unmanaged$/m, `${h.name}: NM leaves eth0 alone`);
            }
            if (flavor === "netplan") {
                assert.match(onAnyHost(h, "networkctl list --no-legend eth1"), /eth1 .* (configured|configuring|degraded)/, h.name);
            }
        }
    });

    it("leave keepalived and docker-registry disabled and stopped, openvswitch-switch and docker running", () => {
        for (const h of hosts) {
            for (const unit of ["keepalived", "docker-registry"]) {
                assert.equal(runOnHost(h, `systemctl is-enabled ${unit}`, { allowFail: true }).stdout.trim(), "disabled", `${h.name}: ${unit}`);
                assert.equal(runOnHost(h, `systemctl is-active ${unit}`, { allowFail: true }).stdout.trim(), "inactive", `${h.name}: ${unit}`);
            }
            for (const unit of ["openvswitch-switch", "ovs-vswitchd", "docker"]) {
                assert.equal(runOnHost(h, `systemctl is-active ${unit}`, { allowFail: true }).stdout.trim(), "active", `${h.name}: ${unit}`);
            }
        }
    });
});

describe("docker in the VMs", () => {
    it("lists the lab's local images", () => {
        for (const h of hosts) {
            const images = onAnyHost(h, "docker images --format '{{.Repository}}:{{.Tag}}'").split("\n");
            assert.ok(images.includes("registry:2"), `${h.name}: ${images}`);
            assert.ok(images.includes("onprem-test/busybox:latest"), `${h.name}: ${images}`);
        }
    });

    it("runs a busybox container that pings another VM", () => {
        const [a, b] = hosts;
        const out = onAnyHost(a, `docker run --rm onprem-test/busybox ping -c1 -W5 ${b.address}`);
        assert.match(out, /1 packets received/);
    });

    describe("registry:2", () => {
        const name = "vmlab-smoke-registry";
        after(() => {
            if (hosts.length > 0) runOnHost(hosts[0], `docker rm -f ${name}`, { allowFail: true });
        });

        it("answers GET /v2/ from another VM", async () => {
            const [a, b] = hosts;
            runOnHost(a, `docker rm -f ${name} >/dev/null 2>&1; docker run -d --name ${name} -p 5000:5000 registry:2`);
            let last = "";
            await eventually(`registry:2 on ${a.name} answers`, () => {
                const r = runOnHost(b, `curl -s -o /dev/null -w '%{http_code}' http://${a.address}:5000/v2/`, { allowFail: true });
                last = r.stdout.trim();
                return last === "200";
            }, 180_000, 2000);
            assert.equal(last, "200");
            assert.equal(onAnyHost(b, `curl -sf http://${a.address}:5000/v2/`), "{}");
        });
    });
});
