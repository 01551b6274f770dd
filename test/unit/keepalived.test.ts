import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { fillSecrets, placeholder, referencedSecrets } from "../../provider/contract/secrets";
import { KeepalivedClusterSpec, KeepalivedNodeSpec, MAINTENANCE_FLAG_PATH, ParsedKeepalived } from "../../provider/plan/keepalived/model";
import { planKeepalived } from "../../provider/plan/keepalived/plan";
import { derivePriorities, masterDownIntervalSeconds } from "../../provider/plan/keepalived/priorities";
import { parseKeepalived } from "../../provider/plan/keepalived/validate";
import { vridConflicts } from "../../provider/plan/keepalived/vridConflicts";
import { renderKeepalivedConf } from "../../provider/render/keepalived/keepalivedConf";
import { MANAGED_HEADER } from "../../provider/render/managedHeader";
import { KEEPALIVED_RESTART_DROPIN_PATH, keepalivedSecrets, keepalivedWork } from "../../provider/work/keepalived";
import { renderRestartDropIn } from "../../provider/render/systemd/restartDropIn";
import type { DesiredState } from "../../provider/contract/desired";
import { HostSnapshot, normalMode, planChanges, sha256 } from "../../provider/host/changes";
import { activationPhases } from "../../provider/host/steps/activate";
import { renderRollbackScript, renderSwapScript } from "../../provider/host/steps/checkpoint";
import { expectGolden } from "../support/golden";

const GOLDEN_DIR = path.resolve(__dirname, "../golden/keepalived");
/** Stands in for every auth password when the real keepalived checks a golden. */
const SAMPLE_PASSWORD = "s4mplePw";

/** The cluster as the planner, renderer and host work take it; the case must parse. */
function parsed(spec: KeepalivedClusterSpec): ParsedKeepalived {
    const result = parseKeepalived(spec);
    if (!result.ok) throw new Error(result.issues.map((i) => i.message).join("\n"));
    return result.value;
}

const issuesOf = (spec: KeepalivedClusterSpec) => {
    const result = parseKeepalived(spec);
    return result.ok ? [] : result.issues;
};

// ---------------------------------------------------------------------------------------------
// The seeds' configurations, as programs would write them

const seed001Nodes: KeepalivedNodeSpec[] = [
    { name: "lb1", address: "192.168.100.180/24", interface: "eth0" },
    { name: "lb2", address: "192.168.100.179/24", interface: "eth0" },
];

const seed001GlobalDefs = {
    notificationEmails: ["acassen@firewall.loc", "failover@firewall.loc", "sysadmin@firewall.loc"],
    notificationEmailFrom: "Alexandre.Cassen@firewall.loc",
    smtpServer: "192.168.200.1",
    smtpConnectTimeout: 30,
    routerId: "LVS_DEVEL",
};

/** Seed 001, section 4.1: one instance, three VIPs (two outside eth0's subnet, as in the post). */
const masterBackup: KeepalivedClusterSpec = {
    nodes: seed001Nodes,
    globalDefs: seed001GlobalDefs,
    instances: [
        {
            name: "VI_1",
            virtualRouterId: 51,
            master: "lb1",
            advertInt: 1,
            auth: { type: "PASS", password: "1111" },
            vips: ["192.168.100.41", "192.168.200.17", "192.168.200.18"],
            allowVipOutsideSubnet: true,
        },
    ],
};

/** Seed 001, dual master: each node masters one instance; chk_mt_down demotes a node when /etc/keepalived/down exists. */
const dualMaster: KeepalivedClusterSpec = {
    nodes: [
        { name: "node180", address: "192.168.100.180/24", interface: "eth0" },
        { name: "node179", address: "192.168.100.179/24", interface: "eth0" },
    ],
    globalDefs: {
        notificationEmails: ["xxj@192.168.100.180"],
        notificationEmailFrom: "xiexiaojun",
        smtpServer: "127.0.0.1",
        smtpConnectTimeout: 30,
        routerId: "LVS_DEVEL",
        enableScriptSecurity: true,
    },
    // The post's `[ -f /etc/keepalived/down ] && exit 1 || exit 0` is shell syntax, which keepalived
    // 2.x does not run through a shell; test(1) says the same without one.
    scripts: { chk_mt_down: { script: "/usr/bin/test ! -f /etc/keepalived/down", interval: 1, weight: -15 } },
    instances: [
        {
            name: "VI_1",
            virtualRouterId: 51,
            master: "node180",
            auth: { type: "PASS", password: "vi111" },
            vips: ["192.168.100.41"],
            trackScripts: ["chk_mt_down"],
        },
        {
            name: "VI_2",
            virtualRouterId: 52,
            master: "node179",
            auth: { type: "PASS", password: "vi222" },
            vips: ["192.168.100.51"],
            trackScripts: ["chk_mt_down"],
        },
    ],
};

const seed002Nodes: KeepalivedNodeSpec[] = [
    { name: "node1", address: "10.10.100.106/24", interface: "eth0" },
    { name: "node2", address: "10.10.100.107/24", interface: "eth0" },
];

const seed002GlobalDefs = {
    notificationEmails: ["root@localhost"],
    notificationEmailFrom: "keepalived@localhost",
    smtpServer: "127.0.0.1",
    smtpConnectTimeout: 30,
    routerId: "ha1.example.com",
    vrrpSkipCheckAdvAddr: true,
    vrrpMcastGroup4: "224.0.0.18",
};

const seed002Vip = { address: "10.10.100.110", dev: "eth0", label: "eth0:0" };

/**
 * Seed 002, 4.1: multicast with vrrp_strict. The post's `vrrp_garp_interval 0`/`vrrp_gna_interval 0`
 * (keepalived 2.2 rejects 0; unset means no delay) and its auth block (strict mode ignores it) are left out.
 */
const multicastStrict: KeepalivedClusterSpec = {
    nodes: seed002Nodes,
    globalDefs: { ...seed002GlobalDefs, vrrpStrict: true },
    instances: [{ name: "VI_1", virtualRouterId: 80, master: "node1", vips: [seed002Vip] }],
};

/** Seed 002, 4.2 and 4.3: unicast, no preemption. */
const unicastNopreempt: KeepalivedClusterSpec = {
    nodes: seed002Nodes,
    globalDefs: seed002GlobalDefs,
    instances: [
        {
            name: "VI_1",
            virtualRouterId: 80,
            master: "node1",
            unicast: true,
            preempt: false,
            auth: { type: "PASS", password: "1111" },
            vips: [seed002Vip],
        },
    ],
};

/** Seed 002, 4.4: preemption delayed by 60 s (the post's `60s` is rejected by keepalived 2.2: seconds only). */
const preemptDelay: KeepalivedClusterSpec = {
    nodes: seed002Nodes,
    instances: [
        {
            name: "VI_1",
            virtualRouterId: 80,
            master: "node1",
            preemptDelay: 60,
            auth: { type: "PASS", password: "1111" },
            vips: [seed002Vip],
        },
    ],
};

/** Seed 002, 4.5: dual master over unicast, the first instance with a preemption delay. */
const unicastDualMaster: KeepalivedClusterSpec = {
    nodes: seed002Nodes,
    instances: [
        {
            name: "VI_1",
            virtualRouterId: 80,
            master: "node1",
            preemptDelay: 60,
            unicast: true,
            auth: { type: "PASS", password: "1111" },
            vips: [seed002Vip],
        },
        {
            name: "VI_2",
            virtualRouterId: 81,
            master: "node2",
            unicast: true,
            auth: { type: "PASS", password: "1111" },
            vips: [{ address: "10.10.100.111", dev: "eth0", label: "eth0:0" }],
        },
    ],
};

const NOTIFY_SCRIPT = `#!/bin/bash
# Mails a state change of this node (seed 002, 4.6).
contact='root@localhost'
notify() {
  mailsubject="$(hostname) to be $1, vip moved"
  mailbody="$(date +'%F %T'): vrrp transition, $(hostname) changed to be $1"
  echo "$mailbody" | mail -s "$mailsubject" "$contact"
}
case $1 in
  master|backup|fault) notify "$1" ;;
  *) echo "Usage: $(basename "$0") {master|backup|fault}"; exit 1 ;;
esac
`;

/** Seed 002, 4.6: notify scripts, shipped with the config; plus a tracked second interface. */
const notifyScripts: KeepalivedClusterSpec = {
    nodes: seed002Nodes,
    globalDefs: { ...seed002GlobalDefs, enableScriptSecurity: true },
    scriptFiles: [{ path: "/etc/keepalived/notify.sh", content: NOTIFY_SCRIPT, mode: "0755" }],
    instances: [
        {
            name: "VI_1",
            virtualRouterId: 80,
            master: "node1",
            unicast: true,
            auth: { type: "PASS", password: "1111" },
            vips: [seed002Vip],
            trackInterfaces: [{ name: "eth1", weight: -20 }],
            notify: {
                master: "/etc/keepalived/notify.sh master",
                backup: "/etc/keepalived/notify.sh backup",
                fault: "/etc/keepalived/notify.sh fault",
            },
        },
    ],
};

const seedDigestD = "640205b7b0fc66c1ea91c463fac6334d";
const seedDigestC = "640205b7b0fc66c1ea91c463fac6334c";
const httpRetries = { connectTimeout: 3, retry: 3, delayBeforeRetry: 3 };

/** Seed 001: the full file with LVS virtual servers, plus TCP/SMTP/MISC checks from its section 2(2). */
const lvs: KeepalivedClusterSpec = {
    nodes: seed001Nodes,
    globalDefs: { ...seed001GlobalDefs, enableScriptSecurity: true },
    instances: masterBackup.instances,
    virtualServers: [
        {
            address: "192.168.200.100",
            port: 443,
            delayLoop: 6,
            lbAlgo: "rr",
            lbKind: "NAT",
            persistenceTimeout: 50,
            protocol: "TCP",
            realServers: [
                {
                    address: "192.168.201.100",
                    port: 443,
                    weight: 1,
                    check: {
                        type: "SSL_GET",
                        urls: [{ path: "/", statusCode: 200 }, { path: "/mrtg/", digest: "9b3a0c85a887a256d6939da88aabd8cd" }],
                        ...httpRetries,
                    },
                },
            ],
        },
        {
            address: "10.10.10.2",
            port: 1358,
            delayLoop: 6,
            lbAlgo: "rr",
            lbKind: "NAT",
            persistenceTimeout: 50,
            protocol: "TCP",
            sorryServer: { address: "192.168.200.200", port: 1358 },
            realServers: [
                {
                    address: "192.168.200.2",
                    port: 1358,
                    weight: 1,
                    check: {
                        type: "HTTP_GET",
                        urls: ["/testurl/test.jsp", "/testurl2/test.jsp", "/testurl3/test.jsp"].map((p) => ({ path: p, digest: seedDigestD })),
                        ...httpRetries,
                    },
                },
                {
                    address: "192.168.200.3",
                    port: 1358,
                    weight: 1,
                    check: {
                        type: "HTTP_GET",
                        urls: ["/testurl/test.jsp", "/testurl2/test.jsp"].map((p) => ({ path: p, digest: seedDigestC })),
                        ...httpRetries,
                    },
                },
            ],
        },
        {
            address: "10.10.10.3",
            port: 1358,
            delayLoop: 3,
            lbAlgo: "rr",
            lbKind: "NAT",
            persistenceTimeout: 50,
            protocol: "TCP",
            realServers: ["192.168.200.4", "192.168.200.5"].map((address) => ({
                address,
                port: 1358,
                weight: 1,
                check: {
                    type: "HTTP_GET" as const,
                    urls: ["/testurl/test.jsp", "/testurl2/test.jsp", "/testurl3/test.jsp"].map((p) => ({ path: p, digest: seedDigestD })),
                    ...httpRetries,
                },
            })),
        },
        {
            address: "192.168.100.41",
            port: 80,
            lbAlgo: "wrr",
            lbKind: "DR",
            protocol: "TCP",
            realServers: [
                {
                    address: "192.168.100.173",
                    port: 80,
                    weight: 2,
                    check: { type: "TCP_CHECK", connectIp: "192.168.100.173", connectPort: 80, connectTimeout: 4 },
                },
            ],
        },
        {
            address: "192.168.100.41",
            port: 25,
            lbAlgo: "rr",
            lbKind: "DR",
            protocol: "TCP",
            realServers: [
                {
                    address: "192.168.100.174",
                    port: 25,
                    check: { type: "SMTP_CHECK", connectTimeout: 10, retry: 2, delayBeforeRetry: 5, heloName: "lb.firewall.loc" },
                },
                {
                    address: "192.168.100.175",
                    port: 25,
                    check: { type: "MISC_CHECK", path: "/etc/keepalived/check_smtp.sh 192.168.100.175", timeout: 5, dynamic: true },
                },
            ],
        },
    ],
};

/** Day-2 maintenance: node1 masters a preempting instance and a nopreempt one, and is in maintenance. */
const maintenance: KeepalivedClusterSpec = {
    nodes: [...seed002Nodes, { name: "node3", address: "10.10.100.113/24", interface: "eth0" }],
    maintenance: ["node1"],
    instances: [
        { name: "VI_1", virtualRouterId: 80, master: "node1", vips: ["10.10.100.110"] },
        { name: "VI_2", virtualRouterId: 81, master: "node1", preempt: false, vips: ["10.10.100.111"] },
    ],
};

/** One golden per case and node: `<case>-<node>.conf`. */
const goldenCases: { name: string; spec: KeepalivedClusterSpec; nodes: string[] }[] = [
    { name: "master-backup", spec: masterBackup, nodes: ["lb1", "lb2"] },
    { name: "dual-master", spec: dualMaster, nodes: ["node180", "node179"] },
    { name: "multicast-strict", spec: multicastStrict, nodes: ["node1", "node2"] },
    { name: "unicast-nopreempt", spec: unicastNopreempt, nodes: ["node1", "node2"] },
    { name: "preempt-delay", spec: preemptDelay, nodes: ["node1", "node2"] },
    { name: "unicast-dual-master", spec: unicastDualMaster, nodes: ["node1", "node2"] },
    { name: "notify", spec: notifyScripts, nodes: ["node1"] },
    { name: "lvs", spec: lvs, nodes: ["lb1"] },
    { name: "maintenance", spec: maintenance, nodes: ["node1", "node2"] },
];
/** The interfaces the goldens name, created in the throw-away namespace for `keepalived -t`. */
const GOLDEN_INTERFACES = ["eth0", "eth1"];

const goldenPath = (caseName: string, node: string) => path.join(GOLDEN_DIR, `${caseName}-${node}.conf`);

// ---------------------------------------------------------------------------------------------
// Goldens

describe("keepalived.conf goldens", () => {
    for (const c of goldenCases) {
        for (const node of c.nodes) {
            test(`${c.name} on ${node} matches its golden`, () => {
                const text = renderKeepalivedConf(parsed(c.spec), planKeepalived(parsed(c.spec)), node);
                expectGolden(GOLDEN_DIR, path.basename(goldenPath(c.name, node)), text);
            });
        }
    }

    test("no golden holds a password: every auth_pass is a placeholder", () => {
        for (const c of goldenCases) {
            for (const node of c.nodes) {
                const text = fs.readFileSync(goldenPath(c.name, node), "utf8");
                assert.ok(text.startsWith(`${MANAGED_HEADER}\n`) && text.endsWith("}\n"));
                for (const m of text.matchAll(/auth_pass (\S+)/g)) assert.match(m[1], /^\{\{secret:auth_[A-Za-z0-9_.-]+\}\}$/);
                for (const password of Object.values(keepalivedSecrets(c.spec))) {
                    assert.ok(!new RegExp(`auth_pass ${password}\\b`).test(text), `${c.name}: a password leaked`);
                }
            }
        }
    });

    test("every golden file is a case above (no stale goldens)", () => {
        const expected = goldenCases.flatMap((c) => c.nodes.map((n) => path.basename(goldenPath(c.name, n)))).sort();
        assert.deepEqual(fs.readdirSync(GOLDEN_DIR).filter((f) => f.endsWith(".conf")).sort(), expected);
    });
});

// ---------------------------------------------------------------------------------------------
// The real keepalived config test, in a network namespace of its own

function configTestUnavailable(): string | false {
    if (process.getuid?.() !== 0) return "needs root (network namespaces)";
    if (spawnSync("keepalived", ["--version"]).error) return "keepalived is not installed";
    if (spawnSync("ip", ["-V"]).error) return "iproute2 (ip) is not installed";
    return false;
}

describe("keepalived -t accepts every golden", { skip: configTestUnavailable() }, () => {
    const ns = `kt-${process.pid}-${randomBytes(3).toString("hex")}`;
    let tmp = "";
    const ip = (...args: string[]) => {
        const r = spawnSync("ip", args, { encoding: "utf8" });
        assert.equal(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`);
    };
    /** Runs the real config test on the text, secrets filled with a sample password. */
    const configTest = (name: string, text: string) => {
        const file = path.join(tmp, name);
        fs.writeFileSync(file, text, { mode: 0o600 });
        const r = spawnSync("ip", ["netns", "exec", ns, "keepalived", "-t", "-f", file], { encoding: "utf8", timeout: 20_000 });
        return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
    };
    const filled = (text: string) =>
        fillSecrets(text, Object.fromEntries(referencedSecrets(text).map((name) => [name, SAMPLE_PASSWORD])));

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "keepalived-t-"));
        ip("netns", "add", ns);
        // veth pairs: dummy interfaces need a kernel module that may be missing.
        for (const dev of GOLDEN_INTERFACES) {
            ip("-n", ns, "link", "add", dev, "type", "veth", "peer", "name", `${dev}p`);
            ip("-n", ns, "link", "set", dev, "up");
        }
    });
    after(() => {
        spawnSync("ip", ["netns", "del", ns]);
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    for (const c of goldenCases) {
        for (const node of c.nodes) {
            test(`${c.name}-${node}.conf`, () => {
                const r = configTest(`${c.name}-${node}.conf`, filled(fs.readFileSync(goldenPath(c.name, node), "utf8")));
                assert.equal(r.status, 0, `keepalived -t exited ${r.status}:\n${r.output}`);
                assert.equal(r.output, "", "keepalived -t printed warnings");
            });
        }
    }

    test("the check is real: keepalived -t rejects a VRID of 300", () => {
        const text = filled(fs.readFileSync(goldenPath("master-backup", "lb1"), "utf8")).replace("virtual_router_id 51", "virtual_router_id 300");
        const r = configTest("broken-vrid.conf", text);
        assert.notEqual(r.status, 0);
        assert.match(r.output, /VRID '300' not valid/);
    });

    test("the check is real: an unfilled placeholder is rejected", () => {
        const r = configTest("unfilled.conf", fs.readFileSync(goldenPath("master-backup", "lb1"), "utf8"));
        assert.notEqual(r.status, 0, r.output);
    });

    test("the check is real: a track script without enable_script_security is rejected", () => {
        const text = filled(fs.readFileSync(goldenPath("dual-master", "node180"), "utf8")).replace("  enable_script_security\n", "");
        const r = configTest("no-script-security.conf", text);
        assert.notEqual(r.status, 0);
        assert.match(r.output, /SECURITY VIOLATION/);
    });
});

// ---------------------------------------------------------------------------------------------
// Planner

test("master/backup: the master gets 100 and state MASTER, the backup 90", () => {
    const plan = planKeepalived(parsed(masterBackup));
    assert.deepEqual(
        plan.nodes.lb1.instances.map((i) => [i.name, i.state, i.priority, i.interface, i.advertInt]),
        [["VI_1", "MASTER", 100, "eth0", 1]],
    );
    assert.deepEqual(plan.nodes.lb2.instances.map((i) => [i.state, i.priority]), [["BACKUP", 90]]);
    assert.deepEqual(plan.expectedHolder, { VI_1: "lb1" });
    assert.equal(plan.nodes.lb1.routerId, "LVS_DEVEL");
    assert.equal(parsed(masterBackup).scriptUser, undefined);
    assert.deepEqual(plan.notes, []);
});

test("dual master: two instances with different masters get mirrored priorities", () => {
    const plan = planKeepalived(parsed(dualMaster));
    const table = Object.fromEntries(
        Object.values(plan.nodes).map((n) => [n.name, n.instances.map((i) => `${i.name} ${i.state} ${i.priority}`)]),
    );
    assert.deepEqual(table, {
        node180: ["VI_1 MASTER 100", "VI_2 BACKUP 90"],
        node179: ["VI_1 BACKUP 90", "VI_2 MASTER 100"],
    });
    assert.deepEqual(plan.expectedHolder, { VI_1: "node180", VI_2: "node179" });
    assert.equal(parsed(dualMaster).scriptUser, "root");
    assert.ok(plan.notes.some((n) => n.includes("`script_user root`")));
});

test("derived priorities rotate from the master through the node list", () => {
    assert.deepEqual(derivePriorities(["a", "b", "c"], "b"), { b: 100, c: 90, a: 80 });
    assert.deepEqual(derivePriorities(["a"], "a"), { a: 100 });
    const many = derivePriorities(Array.from({ length: 12 }, (_, k) => `n${k}`), "n0");
    assert.equal(many.n0, 100);
    assert.equal(many.n11, 1); // the step shrinks to 9 so that 12 nodes fit 1-100
    assert.equal(new Set(Object.values(many)).size, 12);
});

test("failover bound: 3 x advert_int + skew of the next node (VRRPv2: (256 - p) / 256; v3: times advert_int)", () => {
    assert.equal(masterDownIntervalSeconds(1, 90), 3 + 166 / 256);
    assert.equal(masterDownIntervalSeconds(1, 90, 3), 3 + 166 / 256);
    assert.equal(masterDownIntervalSeconds(2, 50), 6 + 206 / 256);
    assert.equal(masterDownIntervalSeconds(2, 50, 3), 6 + (206 * 2) / 256);
    assert.deepEqual(planKeepalived(parsed(masterBackup)).failoverBoundSeconds, { VI_1: 3.6484375 });
    const slow = { ...masterBackup, instances: [{ ...masterBackup.instances[0], advertInt: 2, master: undefined, priorities: { lb1: 50, lb2: 200 } }] };
    const plan = planKeepalived(parsed(slow));
    assert.deepEqual(plan.expectedHolder, { VI_1: "lb2" });
    assert.equal(plan.failoverBoundSeconds.VI_1, 6 + 206 / 256);
    assert.deepEqual(plan.nodes.lb2.instances.map((i) => i.state), ["MASTER"]);
    const v6: KeepalivedClusterSpec = {
        nodes: [
            { name: "a", address: "fd00::11/64", interface: "eth0" },
            { name: "b", address: "fd00::12/64", interface: "eth0" },
        ],
        instances: [{ name: "V6", virtualRouterId: 9, advertInt: 2, vips: ["fd00::100"] }],
    };
    assert.deepEqual(planKeepalived(parsed(v6)).failoverBoundSeconds, { V6: 6 + (166 * 2) / 256 });
});

test("nopreempt and preempt_delay: every node starts BACKUP, said in a note", () => {
    for (const spec of [unicastNopreempt, preemptDelay]) {
        const plan = planKeepalived(parsed(spec));
        assert.deepEqual([plan.nodes.node1.instances[0].state, plan.nodes.node2.instances[0].state], ["BACKUP", "BACKUP"]);
        assert.deepEqual([plan.nodes.node1.instances[0].priority, plan.nodes.node2.instances[0].priority], [100, 90]);
        assert.equal(plan.expectedHolder.VI_1, "node1");
        assert.match(plan.notes[0], /^`instances\[0\]` \(VI_1\): every node starts in state BACKUP, since `(nopreempt|preempt_delay)` works only when no node starts as MASTER/);
    }
    assert.ok(planKeepalived(parsed(multicastStrict)).notes[0].includes("`vrrp_strict` allows state MASTER only at priority 255"));
});

test("unicast: each node's source is its own address and its peers are the others", () => {
    const spec: KeepalivedClusterSpec = {
        nodes: [...seed002Nodes, { name: "node3", address: "10.10.100.108", interface: "eth0" }],
        instances: [{ name: "VI_1", virtualRouterId: 80, master: "node2", unicast: true, vips: ["10.10.100.110"] }],
    };
    const plan = planKeepalived(parsed(spec));
    assert.deepEqual(
        Object.values(plan.nodes).map((n) => [n.name, n.instances[0].unicastSrcIp, n.instances[0].unicastPeers, n.instances[0].priority]),
        [
            ["node1", "10.10.100.106", ["10.10.100.107", "10.10.100.108"], 80],
            ["node2", "10.10.100.107", ["10.10.100.106", "10.10.100.108"], 100],
            ["node3", "10.10.100.108", ["10.10.100.106", "10.10.100.107"], 90],
        ],
    );
    assert.equal(plan.nodes.node1.routerId, "node1");
});

test("a negative track weight too small to move the VIPs is noted", () => {
    const spec: KeepalivedClusterSpec = {
        ...dualMaster,
        scripts: { chk_mt_down: { script: "/usr/bin/test ! -f /etc/keepalived/down", weight: -5 } },
    };
    const notes = planKeepalived(parsed(spec)).notes;
    assert.ok(
        notes.includes(
            "`instances[0]` (VI_1): a failing script chk_mt_down lowers node180 from 100 to 95, not below node179's 90, so the VIPs stay; use a weight below -10 to move them.",
        ),
        notes.join("\n"),
    );
});

// ---------------------------------------------------------------------------------------------
// Renderer

test("the password travels only in the secrets map", () => {
    const plan = planKeepalived(parsed(dualMaster));
    const text = renderKeepalivedConf(parsed(dualMaster), plan, "node180");
    assert.ok(!text.includes("vi111") && !text.includes("vi222"));
    assert.ok(text.includes(`auth_pass ${placeholder("auth_VI_1")}`));
    assert.deepEqual(keepalivedSecrets(dualMaster), { auth_VI_1: "vi111", auth_VI_2: "vi222" });
    assert.deepEqual(referencedSecrets(text), ["auth_VI_1", "auth_VI_2"]);
});

test("rendering is deterministic and ships script files with the config", () => {
    const plan = planKeepalived(parsed(notifyScripts));
    assert.equal(renderKeepalivedConf(parsed(notifyScripts), plan, "node1"), renderKeepalivedConf(parsed(notifyScripts), planKeepalived(parsed(notifyScripts)), "node1"));
    const work = keepalivedWork(parsed(notifyScripts), plan, { verifyVips: true });
    assert.deepEqual(work.hosts.node1.files.map((f) => [f.path, f.mode]), [["/etc/keepalived/keepalived.conf", "0600"], [MAINTENANCE_FLAG_PATH, "0644"], [KEEPALIVED_RESTART_DROPIN_PATH, "0644"]]);
    assert.deepEqual(work.scriptFiles, [{ path: "/etc/keepalived/notify.sh", content: NOTIFY_SCRIPT, mode: "0755" }]);
    assert.deepEqual(Object.keys(work.files.node1), ["/etc/keepalived/keepalived.conf", MAINTENANCE_FLAG_PATH, KEEPALIVED_RESTART_DROPIN_PATH, "/etc/keepalived/notify.sh"]);
    assert.equal(work.files.node1["/etc/keepalived/keepalived.conf"], renderKeepalivedConf(parsed(notifyScripts), plan, "node1"));
    assert.throws(() => renderKeepalivedConf(parsed(notifyScripts), plan, "node9"), /node "node9" is not in the keepalived plan/);
});

test("each host's work: keepalived -t on the staged config, IPVS only with virtual servers, VIP checks on the holder of preempting instances", () => {
    const work = keepalivedWork(parsed(masterBackup), planKeepalived(parsed(masterBackup)), { verifyVips: true });
    assert.deepEqual(work.hosts.lb1.validators.map((v) => v.command), ["keepalived -t -f {{staged:/etc/keepalived/keepalived.conf}}"]);
    assert.deepEqual(work.hosts.lb1.services, [{ name: "keepalived", onChange: "reload", watch: ["/etc/keepalived/keepalived.conf"], state: "running", enabled: true }]);
    assert.deepEqual(work.hosts.lb1.verifiers.map((v) => v.description), ["VI_1 holds VIP 192.168.100.41", "VI_1 holds VIP 192.168.200.17", "VI_1 holds VIP 192.168.200.18"]);
    assert.deepEqual(work.hosts.lb2.verifiers, []);
    assert.deepEqual(keepalivedWork(parsed(masterBackup), planKeepalived(parsed(masterBackup)), { verifyVips: false }).hosts.lb1.verifiers, []);
    assert.deepEqual(keepalivedWork(parsed(unicastNopreempt), planKeepalived(parsed(unicastNopreempt)), { verifyVips: true }).hosts.node1.verifiers, [], "nopreempt: the VIPs may rightly be elsewhere");
    const withLvs = keepalivedWork(parsed(lvs), planKeepalived(parsed(lvs)), { verifyVips: true });
    assert.deepEqual(withLvs.hosts.lb1.validators.map((v) => v.description), ["keepalived config test (keepalived -t)", "IPVS in the kernel (virtual_server needs it)"]);
});

describe("maintenance", () => {
    const out: KeepalivedClusterSpec = { ...maintenance, maintenance: [] };

    test("a node keeps its config: only the flag file differs, and keepalived reloads only for the config", () => {
        const inWork = keepalivedWork(parsed(maintenance), planKeepalived(parsed(maintenance)), { verifyVips: true });
        const outWork = keepalivedWork(parsed(out), planKeepalived(parsed(out)), { verifyVips: true });
        for (const node of ["node1", "node2", "node3"]) {
            assert.equal(inWork.files[node]["/etc/keepalived/keepalived.conf"], outWork.files[node]["/etc/keepalived/keepalived.conf"], node);
        }
        assert.equal(inWork.files.node1[MAINTENANCE_FLAG_PATH], "1\n");
        assert.equal(outWork.files.node1[MAINTENANCE_FLAG_PATH], "0\n");
        assert.equal(inWork.files.node2[MAINTENANCE_FLAG_PATH], "0\n");
        assert.deepEqual(inWork.hosts.node1.services[0].watch, ["/etc/keepalived/keepalived.conf"]);
    });

    test("the config tracks the flag: lowered priority for preempting instances, FAULT for nopreempt", () => {
        const text = renderKeepalivedConf(parsed(maintenance), planKeepalived(parsed(maintenance)), "node1");
        assert.match(text, /track_file pulumi_onprem_maintenance \{\n  file "\/etc\/keepalived\/pulumi-onprem-maintenance"\n  weight -253\n\}/);
        assert.match(text, /vrrp_instance VI_1 \{[^]*?track_file \{\n    pulumi_onprem_maintenance weight -253\n  \}/);
        assert.match(text, /vrrp_instance VI_2 \{[^]*?track_file \{\n    pulumi_onprem_maintenance weight 0\n  \}/);
        assert.match(text, /vrrp_instance VI_1 \{\n  state MASTER\n[^]*?priority 100\n/, "node1 keeps its state and priority");
    });

    test("expected holders, the failover bound and the notes leave the nodes in maintenance out", () => {
        const plan = planKeepalived(parsed(maintenance));
        assert.deepEqual(plan.expectedHolder, { VI_1: "node2", VI_2: "node2" });
        // Next after node2 (90) is node3 (80): 3 + (256 - 80) / 256.
        assert.equal(plan.failoverBoundSeconds.VI_1, 3 + 176 / 256);
        assert.ok(plan.notes.some((n) => /VI_1.*node1 is in maintenance \(priority lowered to 1\); node2 takes the VIPs within 3\.65 s/.test(n)), plan.notes.join("\n"));
        assert.ok(plan.notes.some((n) => /VI_2.*node1 is in maintenance and goes to FAULT.*node2 after about 0\.65 s/.test(n)), plan.notes.join("\n"));
        const two = planKeepalived(parsed({ ...maintenance, maintenance: ["node1", "node2"] }));
        assert.deepEqual(two.expectedHolder, { VI_1: "node3", VI_2: "node3" });
        assert.deepEqual(two.failoverBoundSeconds, {});
        assert.ok(two.notes.some((n) => /only node3 is outside maintenance/.test(n)));
        assert.deepEqual(planKeepalived(parsed(out)).expectedHolder, { VI_1: "node1", VI_2: "node1" });
    });

    test("verifiers: the node in maintenance holds no VIP; the new holder holds the preempting instance's", () => {
        const work = keepalivedWork(parsed(maintenance), planKeepalived(parsed(maintenance)), { verifyVips: true });
        assert.deepEqual(work.hosts.node1.verifiers.map((v) => v.description), ["VI_1 gave up VIP 10.10.100.110 (maintenance)", "VI_2 gave up VIP 10.10.100.111 (maintenance)"]);
        assert.equal(work.hosts.node1.verifiers[0].command, '[ -z "$(ip -o addr show to 10.10.100.110)" ]');
        // Priority 1 bounds every backup: 3 + 255/256 s, plus a second to add the addresses, at 500 ms.
        assert.equal(work.hosts.node1.verifiers[0].attempts, 10);
        assert.deepEqual(work.hosts.node2.verifiers.map((v) => v.description), ["VI_1 holds VIP 10.10.100.110"]);
        assert.deepEqual(keepalivedWork(parsed(maintenance), planKeepalived(parsed(maintenance)), { verifyVips: false }).hosts.node1.verifiers, []);
    });
});

describe("restart after a crash (keepalived.service's drop-in)", () => {
    test("every node of every cluster gets the drop-in, shown in `files`; keepalived reloads only for its config", () => {
        for (const c of goldenCases) {
            const work = keepalivedWork(parsed(c.spec), planKeepalived(parsed(c.spec)), { verifyVips: true });
            for (const node of c.spec.nodes.map((n) => n.name)) {
                const dropIn = work.hosts[node].files.find((f) => f.path === KEEPALIVED_RESTART_DROPIN_PATH);
                assert.deepEqual(dropIn, { path: "/etc/systemd/system/keepalived.service.d/pulumi-onprem-restart.conf", content: renderRestartDropIn(), mode: "0644" }, `${c.name} ${node}`);
                assert.equal(work.files[node][KEEPALIVED_RESTART_DROPIN_PATH], renderRestartDropIn(), `${c.name} ${node}`);
                assert.deepEqual(work.hosts[node].services.map((s) => s.watch), [["/etc/keepalived/keepalived.conf"]], `${c.name} ${node}`);
            }
        }
        assert.match(renderRestartDropIn(), /^\[Service\]\nRestart=on-failure\nRestartSec=2s\n$/m);
    });

    /** lb1 of the master/backup seed as the engine plans it: keepalived running its config (or `edited` differing), the drop-in as given. */
    function upgrade(dropIn: string | undefined, edited?: string) {
        const work = keepalivedWork(parsed(masterBackup), planKeepalived(parsed(masterBackup)), { verifyVips: true }).hosts.lb1;
        const desired: DesiredState = { ...work, states: [], secrets: keepalivedSecrets(masterBackup), ensurePackages: true, rollbackTimeoutSeconds: 120 };
        const snapshot: HostSnapshot = { present: true, recovered: false, missingDirs: [], texts: {}, files: {}, services: { keepalived: { active: true, enabled: true } } };
        for (const f of work.files) {
            const text = f.path === KEEPALIVED_RESTART_DROPIN_PATH ? dropIn : f.path === edited ? "# an older config\n" : fillSecrets(f.content, desired.secrets);
            snapshot.files[f.path] = text === undefined ? { exists: false } : { exists: true, sha256: sha256(text), mode: normalMode(f.mode), owner: "root", group: "root" };
        }
        if (dropIn === undefined) snapshot.missingDirs.push("/etc/systemd/system/keepalived.service.d");
        return { plan: planChanges(desired, snapshot), snapshot };
    }

    for (const [what, dropIn] of [["an existing cluster's first `up` after the upgrade (no drop-in yet)", undefined], ["a hand-edited drop-in", "[Service]\nRestart=no\n"]] as const) {
        test(`${what}: only the drop-in is written, systemd reloads its units, keepalived is neither reloaded nor restarted`, () => {
            const { plan, snapshot } = upgrade(dropIn);
            assert.deepEqual(plan.files.map((c) => c.action === "write" && c.file.path), [KEEPALIVED_RESTART_DROPIN_PATH]);
            assert.deepEqual(plan.services, [], "no service work");
            assert.deepEqual(activationPhases(plan.services), [], "nothing to activate");
            const staged = plan.files.map((c) => ({ ...c, staged: "/etc/systemd/system/keepalived.service.d/.pulumi-onprem-restart.conf.onprem-new" }));
            const swap = renderSwapScript("/var/lib/pulumi-onprem/k", staged, snapshot, plan.services, 120);
            const reload = "systemctl daemon-reload";
            const moved = swap.indexOf(`mv -f ${staged[0].staged} ${KEEPALIVED_RESTART_DROPIN_PATH}`);
            assert.ok(moved >= 0 && swap.indexOf(reload) > moved, `the swap reloads systemd after the drop-in is in place:\n${swap}`);
            const rollback = renderRollbackScript("/var/lib/pulumi-onprem/k", staged, snapshot, plan.services);
            assert.ok(rollback.includes(reload), "a rollback reloads systemd after taking the drop-in back");
            for (const script of [swap, rollback]) assert.doesNotMatch(script, /systemctl (reload|restart|start|stop)\b[^\n]*keepalived/, script);
        });
    }

    test("a config changed with it: keepalived reloads once, as before", () => {
        const { plan } = upgrade(undefined, "/etc/keepalived/keepalived.conf");
        assert.deepEqual(plan.files.map((c) => c.action === "write" && c.file.path), ["/etc/keepalived/keepalived.conf", KEEPALIVED_RESTART_DROPIN_PATH]);
        assert.deepEqual(plan.services.map((w) => [w.service.name, w.trigger, w.start]), [["keepalived", true, false]]);
    });
});

test("quotes and backslashes in commands are escaped for keepalived", () => {
    const spec: KeepalivedClusterSpec = {
        ...dualMaster,
        scripts: { chk_mt_down: { script: '/bin/sh -c \'test "$(cat /x)" = a\\b\'', weight: -15 } },
    };
    const text = renderKeepalivedConf(parsed(spec), planKeepalived(parsed(spec)), "node180");
    assert.ok(text.includes('  script "/bin/sh -c \'test \\"$(cat /x)\\" = a\\\\b\'"\n'), text);
});

// ---------------------------------------------------------------------------------------------
// Validation

const base = (): KeepalivedClusterSpec => ({
    nodes: [
        { name: "lb1", address: "10.77.0.11", interface: "eth0", interfaceCidr: "10.77.0.11/24" },
        { name: "lb2", address: "10.77.0.12/24", interface: "eth0" },
    ],
    instances: [
        { name: "VI_1", virtualRouterId: 51, master: "lb1", vips: ["10.77.0.100/24"], auth: { type: "PASS", password: "s3cret" } },
    ],
});

test("the base spec of the bad-input table is valid", () => {
    assert.deepEqual(issuesOf(base()), []);
    for (const c of goldenCases) assert.deepEqual(issuesOf(c.spec), [], c.name);
});

const badInputs: { name: string; change: (s: KeepalivedClusterSpec) => void; field: string; message: string }[] = [
    {
        name: "maintenance names an unknown node",
        change: (s) => (s.maintenance = ["lb9"]),
        field: "maintenance[0]",
        message: '`maintenance[0]`: "lb9" is not a node of this cluster (nodes: lb1, lb2)',
    },
    {
        name: "maintenance on every node",
        change: (s) => (s.maintenance = ["lb2", "lb1"]),
        field: "maintenance",
        message: "`maintenance`: puts every node (lb1, lb2) in maintenance, which would leave the VIPs of VI_1 with no holder; keep at least one node out",
    },
    {
        name: "maintenance lists a node twice",
        change: (s) => (s.maintenance = ["lb1", "lb1"]),
        field: "maintenance[1]",
        message: '`maintenance[1]`: "lb1" is already listed as maintenance[0]',
    },
    {
        name: "a script file in place of the maintenance flag",
        change: (s) => (s.scriptFiles = [{ path: MAINTENANCE_FLAG_PATH, content: "1\n" }]),
        field: "scriptFiles[0].path",
        message: "`scriptFiles[0].path`: /etc/keepalived/pulumi-onprem-maintenance is the maintenance flag (set it through `maintenance`)",
    },
    {
        name: "VRID out of range",
        change: (s) => (s.instances[0].virtualRouterId = 300),
        field: "instances[0].virtualRouterId",
        message: "`instances[0].virtualRouterId`: 300 is outside 1-255",
    },
    {
        name: "VRID used twice on one interface",
        change: (s) => s.instances.push({ name: "VI_2", virtualRouterId: 51, master: "lb2", vips: ["10.77.0.101"] }),
        field: "instances[1].virtualRouterId",
        message: "`instances[1].virtualRouterId`: 51 is also used by instances[0] (VI_1) on eth0 of lb1",
    },
    {
        name: "priority above 254",
        change: (s) => Object.assign(s.instances[0], { master: undefined, priorities: { lb1: 255, lb2: 100 } }),
        field: "instances[0].priorities.lb1",
        message: "`instances[0].priorities.lb1`: 255 is outside 1-254",
    },
    {
        name: "equal priorities",
        change: (s) => Object.assign(s.instances[0], { master: undefined, priorities: { lb1: 100, lb2: 100 } }),
        field: "instances[0].priorities.lb2",
        message: "`instances[0].priorities.lb2`: 100 equals lb1's; priorities within an instance must differ",
    },
    {
        name: "master not a node",
        change: (s) => (s.instances[0].master = "lb9"),
        field: "instances[0].master",
        message: '`instances[0].master`: "lb9" is not in `nodes` (lb1, lb2)',
    },
    {
        name: "priorities miss a node",
        change: (s) => Object.assign(s.instances[0], { master: undefined, priorities: { lb1: 100 } }),
        field: "instances[0].priorities",
        message: "`instances[0].priorities`: has no priority for lb2",
    },
    {
        name: "priorities name an unknown node",
        change: (s) => Object.assign(s.instances[0], { master: undefined, priorities: { lb1: 100, lb2: 90, lb9: 80 } }),
        field: "instances[0].priorities.lb9",
        message: '`instances[0].priorities.lb9`: no node is named "lb9"',
    },
    {
        name: "VIP does not parse",
        change: (s) => (s.instances[0].vips = ["10.77.0.300"]),
        field: "instances[0].vips[0]",
        message: '`instances[0].vips[0]`: "10.77.0.300" is not an IP address (bare or CIDR)',
    },
    {
        name: "VIP outside the interface subnet",
        change: (s) => (s.instances[0].vips = [{ address: "10.78.0.100/24", label: "eth0:1" }]),
        field: "instances[0].vips[0].address",
        message: "`instances[0].vips[0].address`: 10.78.0.100 is outside lb1's eth0 subnet 10.77.0.0/24 (set `allowVipOutsideSubnet` if that is intended)",
    },
    {
        name: "VIP is a node's own address",
        change: (s) => (s.instances[0].vips = ["10.77.0.12"]),
        field: "instances[0].vips[0]",
        message: "`instances[0].vips[0]`: 10.77.0.12 is node lb2's own address",
    },
    {
        name: "password longer than 8",
        change: (s) => (s.instances[0].auth = { type: "PASS", password: "123456789" }),
        field: "instances[0].auth.password",
        message: "`instances[0].auth.password`: 9 characters is more than 8 (keepalived uses only the first 8)",
    },
    {
        name: "empty password",
        change: (s) => (s.instances[0].auth = { type: "AH", password: "" }),
        field: "instances[0].auth.password",
        message: "`instances[0].auth.password`: must not be empty",
    },
    {
        name: "unicast with vrrp_strict",
        change: (s) => {
            s.instances[0].unicast = true;
            s.instances[0].auth = undefined;
            s.globalDefs = { vrrpStrict: true };
        },
        field: "instances[0].unicast",
        message: "`instances[0].unicast`: is not allowed with `globalDefs.vrrpStrict` (strict VRRP forbids unicast peers)",
    },
    {
        name: "track script without script security",
        change: (s) => {
            s.scripts = { chk: { script: "/usr/bin/true" } };
            s.instances[0].trackScripts = ["chk"];
        },
        field: "globalDefs.enableScriptSecurity",
        message:
            "`globalDefs.enableScriptSecurity`: must be true when scripts are configured (track scripts, notify or MISC_CHECK): keepalived reports a SECURITY VIOLATION and its config test fails without it",
    },
    {
        name: "script path not absolute",
        change: (s) => {
            s.globalDefs = { enableScriptSecurity: true };
            s.scripts = { chk: { script: "check.sh --fast" } };
            s.instances[0].trackScripts = ["chk"];
        },
        field: "scripts.chk.script",
        message: "`scripts.chk.script`: \"check.sh --fast\" must start with an absolute path (and hold no control characters); for shell syntax use /bin/sh -c '...'",
    },
    {
        name: "track script not defined",
        change: (s) => {
            s.globalDefs = { enableScriptSecurity: true };
            s.instances[0].trackScripts = [{ name: "chk_nope", weight: -20 }];
        },
        field: "instances[0].trackScripts[0].name",
        message: '`instances[0].trackScripts[0].name`: no script named "chk_nope" in `scripts`',
    },
    {
        name: "node names not unique",
        change: (s) => (s.nodes[1].name = "lb1"),
        field: "nodes[1].name",
        message: '`nodes[1].name`: "lb1" is already the name of nodes[0]',
    },
    {
        name: "node address does not parse",
        change: (s) => (s.nodes[1].address = "10.77.0.x"),
        field: "nodes[1].address",
        message: '`nodes[1].address`: "10.77.0.x" is not an IP address (bare or CIDR)',
    },
    {
        name: "instance name not a keepalived identifier",
        change: (s) => (s.instances[0].name = "VI 1"),
        field: "instances[0].name",
        message: '`instances[0].name`: "VI 1" is not a valid keepalived name (letters, digits, _ . -; at most 64)',
    },
    {
        name: "instance names not unique",
        change: (s) => s.instances.push({ name: "VI_1", virtualRouterId: 52, vips: ["10.77.0.101"] }),
        field: "instances[1].name",
        message: '`instances[1].name`: "VI_1" is already the name of instances[0]',
    },
    {
        name: "advert_int not a whole positive number",
        change: (s) => (s.instances[0].advertInt = 0.5),
        field: "instances[0].advertInt",
        message: "`instances[0].advertInt`: 0.5 is not a whole number of seconds from 1 to 255 (VRRPv2 adverts are whole seconds)",
    },
    {
        name: "preempt_delay with nopreempt",
        change: (s) => Object.assign(s.instances[0], { preempt: false, preemptDelay: 30 }),
        field: "instances[0].preemptDelay",
        message: "`instances[0].preemptDelay`: has no effect with `preempt: false` (nopreempt); set one or the other",
    },
    {
        name: "tracking the instance's own interface",
        change: (s) => (s.instances[0].trackInterfaces = [{ name: "eth0", weight: -20 }]),
        field: "instances[0].trackInterfaces[0].name",
        message: "`instances[0].trackInterfaces[0].name`: eth0 is the instance's own interface on lb1 (keepalived ignores it and its config test fails)",
    },
    {
        name: "notify command not absolute",
        change: (s) => {
            s.globalDefs = { enableScriptSecurity: true };
            s.instances[0].notify = { master: "notify.sh master" };
        },
        field: "instances[0].notify.master",
        message: '`instances[0].notify.master`: "notify.sh master" must start with an absolute path (and hold no control characters)',
    },
    {
        name: "garp interval 0",
        change: (s) => (s.globalDefs = { vrrpGarpInterval: 0 }),
        field: "globalDefs.vrrpGarpInterval",
        message: "`globalDefs.vrrpGarpInterval`: 0 is outside 0.000001-4294.967295 seconds (keepalived rejects 0; leave it unset for no delay)",
    },
    {
        name: "VIPs of two families",
        change: (s) => (s.instances[0].vips = ["10.77.0.100", "fd00::100"]),
        field: "instances[0].vips",
        message: "`instances[0].vips`: mixes IPv4 and IPv6 addresses (keepalived needs one family per instance)",
    },
    {
        name: "HTTP_GET without urls",
        change: (s) =>
            (s.virtualServers = [{ address: "10.77.0.100", port: 80, realServers: [{ address: "10.77.0.21", port: 80, check: { type: "HTTP_GET", urls: [] } }] }]),
        field: "virtualServers[0].realServers[0].check.urls",
        message: "`virtualServers[0].realServers[0].check.urls`: at least one url is needed for HTTP_GET",
    },
    {
        name: "real server port out of range",
        change: (s) => (s.virtualServers = [{ address: "10.77.0.100", port: 80, realServers: [{ address: "10.77.0.21", port: 70000 }] }]),
        field: "virtualServers[0].realServers[0].port",
        message: "`virtualServers[0].realServers[0].port`: 70000 is outside 1-65535",
    },
    {
        name: "script file writable by others",
        change: (s) => (s.scriptFiles = [{ path: "/etc/keepalived/notify.sh", content: "#!/bin/sh\n", mode: "0777" }]),
        field: "scriptFiles[0].mode",
        message: "`scriptFiles[0].mode`: 0777 lets group or others write the file; keepalived's script security refuses such scripts",
    },
    {
        name: "authentication with vrrp_strict",
        change: (s) => (s.globalDefs = { vrrpStrict: true }),
        field: "instances[0].auth",
        message: "`instances[0].auth`: is not allowed with `globalDefs.vrrpStrict` (strict mode ignores authentication)",
    },
];

describe("bad input fails validation naming the field and the rule", () => {
    for (const bad of badInputs) {
        test(bad.name, () => {
            const spec = base();
            bad.change(spec);
            assert.deepEqual(issuesOf(spec), [{ field: bad.field, message: bad.message }]);
        });
    }
});

test("vridConflicts: one VRID on one segment in two clusters", () => {
    const other = (address1: string, address2: string, unicast = false): KeepalivedClusterSpec => ({
        nodes: [
            { name: "db1", address: address1, interface: "eth0" },
            { name: "db2", address: address2, interface: "eth0" },
        ],
        instances: [
            { name: "DB_1", virtualRouterId: 60, vips: ["10.77.0.200"], allowVipOutsideSubnet: true, unicast },
            { name: "DB_2", virtualRouterId: 51, vips: ["10.77.0.201"], allowVipOutsideSubnet: true, unicast },
        ],
    });
    assert.deepEqual(vridConflicts([{ name: "web", spec: base() }, { name: "db", spec: other("10.77.0.21/24", "10.77.0.22/24") }]), [
        {
            cluster: "db",
            otherCluster: "web",
            field: "instances[1].virtualRouterId",
            message: '`instances[1].virtualRouterId`: 51 on segment 10.77.0.0/24 is also used by cluster "web" (instances[0], VI_1)',
        },
    ]);
    assert.deepEqual(vridConflicts([{ name: "web", spec: base() }, { name: "db", spec: other("10.88.0.21/24", "10.88.0.22/24") }]), []);
    const unicastWeb = base();
    unicastWeb.instances[0].unicast = true;
    assert.deepEqual(vridConflicts([{ name: "web", spec: unicastWeb }, { name: "db", spec: other("10.77.0.21/24", "10.77.0.22/24", true) }]), []);
});
