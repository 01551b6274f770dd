import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { PROBE_REFUSES_EXIT } from "../../provider/contract/probe";
import type { KeepalivedClusterSpec } from "../../provider/plan/keepalived/model";
import { parseKeepalived } from "../../provider/plan/keepalived/validate";
import { foreignRouterProbes, renderVrrpListen, VRRP_LISTEN_SCRIPT } from "../../provider/render/keepalived/foreignRouters";

const spec: KeepalivedClusterSpec = {
    nodes: [
        { name: "lb1", address: "10.0.0.11/24", interface: "eth0" },
        { name: "lb2", address: "10.0.0.12", interface: "eth0" },
    ],
    instances: [
        { name: "VI_1", virtualRouterId: 51, vips: ["10.0.0.100"] },
        { name: "VI_2", virtualRouterId: 52, vips: [{ address: "10.0.0.101/24" }], advertInt: 2, mcastGroup: "224.0.0.19" },
        { name: "VI_6", virtualRouterId: 60, interface: "eth1", vips: ["fd00::100"] },
    ],
};

/** A VRRP advert (version 2 or 3, type 1) for `vrid`, as hex; the rest of the packet is never read. */
const advert = (vrid: number, typeNibble = 1) => `${(0x20 | typeNibble).toString(16)}${vrid.toString(16).padStart(2, "0")}6401000000000000`;

/** The listener's judgement on adverts heard (`IFACE FAMILY SOURCE HEX` lines), without a socket. */
function replay(args: string[], heard: string[]): { code: number | null; stderr: string } {
    const r = spawnSync("perl", ["-e", VRRP_LISTEN_SCRIPT, "--", "--replay", ...args], { input: heard.join("\n") + "\n", encoding: "utf8" });
    return { code: r.status, stderr: r.stderr };
}

test("foreignRouterProbes: one listen per node over its interfaces, bounded by three of the longest advert interval", () => {
    const parsed = parseKeepalived(spec);
    assert.ok(parsed.ok);
    const probes = foreignRouterProbes(parsed.value);
    assert.deepEqual(Object.keys(probes), ["lb1", "lb2"]);
    const [probe] = probes.lb1;
    assert.equal(probe.description, "listen 6 s for VRRP adverts of other routers");
    // Arguments after the script: seconds, the cluster's addresses, then per interface its family, VRIDs and groups.
    assert.match(probe.command, /^perl -e '.*' -- 6 10\.0\.0\.11,10\.0\.0\.12 eth0 4 51,52 224\.0\.0\.18,224\.0\.0\.19 eth1 6 60 ff02::12$/s);
    assert.deepEqual(renderVrrpListen([], []).seconds, 3);
});

test("the listener refuses a foreign router on a VRID of the cluster, one line naming the VRID, the interface and the address", () => {
    const args = ["3", "10.0.0.11,10.0.0.12", "eth0", "4", "51,52", "224.0.0.18"];
    const foreign = replay(args, [`eth0 4 10.0.0.9 ${advert(51)}`, `eth0 4 10.0.0.9 ${advert(51)}`, `eth0 4 10.0.0.11 ${advert(52)}`]);
    assert.equal(foreign.code, PROBE_REFUSES_EXIT);
    assert.equal(foreign.stderr, "VRID 51 on eth0 is already in use by 10.0.0.9, a VRRP router outside this cluster (choose another `virtualRouterId`)\n");
});

test("the listener passes the cluster's own adverts, other VRIDs, other interfaces and packets that are not adverts", () => {
    const args = ["3", "10.0.0.11,10.0.0.12,fd00::11", "eth0", "4", "51", "224.0.0.18", "eth1", "6", "60", "ff02::12"];
    const heard = [
        `eth0 4 10.0.0.11 ${advert(51)}`, // a running or adopted node of the cluster
        `eth0 4 10.0.0.12 ${advert(51, 1)}`,
        `eth0 4 10.0.0.9 ${advert(77)}`, // another VRID: another cluster's business
        `eth2 4 10.0.0.9 ${advert(51)}`, // not listened on
        `eth0 4 10.0.0.9 ${advert(51, 2)}`, // type 2 is not an advert
        `eth1 6 fd00:0:0::11 ${advert(60)}`, // the same address, written otherwise
    ];
    assert.deepEqual(replay(args, heard), { code: 0, stderr: "" });
    const v6 = replay(args, [`eth1 6 fd00::99 ${advert(60)}`]);
    assert.equal(v6.code, PROBE_REFUSES_EXIT);
    assert.match(v6.stderr, /^VRID 60 on eth1 is already in use by fd00::99,/);
});
