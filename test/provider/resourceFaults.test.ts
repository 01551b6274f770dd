/**
 * The fault matrix per resource: each resource's real host work (provider/work/*, from a small valid
 * plan) goes back and forth between two versions on a lab host, and each change meets a fault: its own
 * checker refusing a corrupted staged file, an injected checker refusing, a service of the transaction
 * failing to start, the connection cut before the swap, and cut after it. After each, once the host's
 * own timeout has passed: every file, service and live state as before the change (checksums, states),
 * nothing beside the targets, an error naming the host and the step; then the rerun converges and a
 * second rerun changes nothing.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, test } from "node:test";
import { hostConfigProvider as p } from "../../provider";
import { shellQuote as q } from "../../provider/contract/shell";
import { desiredState, HostConfigInputs, HostConfigOutputs } from "../../provider/dynamic/hostConfigInputs";
import { stateDir } from "../../provider/host/layout";
import { applyHostState } from "../../provider/host/transaction";
import { planKeepalived } from "../../provider/plan/keepalived/plan";
import { parseKeepalived } from "../../provider/plan/keepalived/validate";
import { planOvsMesh } from "../../provider/plan/ovs/plan";
import { parseOvsMesh } from "../../provider/plan/ovs/validate";
import { DAEMON_JSON_PATH } from "../../provider/render/docker/daemonJson";
import { parseStaticInterface } from "../../provider/plan/staticInterface/validate";
import { interfacesPath } from "../../provider/render/staticInterface/interfaces";
import { closeAll } from "../../provider/ssh/pool";
import { keepalivedWork } from "../../provider/work/keepalived";
import { ovsMeshHostWork } from "../../provider/work/ovsMesh";
import { DEFAULT_REGISTRY_STORAGE_PATH } from "../../provider/plan/registry/model";
import { parseRegistry } from "../../provider/plan/registry/validate";
import { registryHostWork } from "../../provider/work/dockerRegistry";
import { staticInterfaceWork } from "../../provider/work/staticInterface";
import { eventually, LabHost, labHost, onHost } from "../support/lab";
import { CUT_SSH, hostInputs, leftovers, rejection } from "./support";

const TIMEOUT = 10; // the host's own clean-up and rollback deadline, in seconds: the least a resource may set (a loaded host needs it)
/** A service that never starts, installed on each host: "a service of the transaction fails to start". */
const BROKEN = "onprem-broken";
const BROKEN_INIT = `#!/bin/sh\ncase "$1" in start|restart|reload|force-reload) echo "${BROKEN}: refusing to start" >&2; exit 1 ;; stop) exit 0 ;; *) exit 3 ;; esac\n`;
after(() => closeAll());

/** One resource's host work in two versions, and how to corrupt its main file so its own checker refuses it. */
interface Case {
    resource: string;
    host: LabHost;
    versions: [Omit<HostConfigInputs, "key" | "connection">, Omit<HostConfigInputs, "key" | "connection">];
    corrupt?: { path: string; text: string; refusedBy: string };
    /** Services started before the test and stopped after it. */
    running?: string[];
    /** Run on the host before the test: what earlier tests may have left that the case must not find. */
    clean?: string;
}

const work = (w: Partial<HostConfigInputs>): Omit<HostConfigInputs, "key" | "connection"> => ({
    kind: "test",
    files: [],
    ...w,
    ensurePackages: false,
    rollbackTimeoutSeconds: TIMEOUT,
});

function keepalivedCase(): Case {
    const h = labHost(1);
    const version = (last: number) => {
        const vip = h.address.replace(/\.\d+$/, `.${last}`);
        const spec = {
            nodes: [{ name: "n1", address: `${h.address}/24`, interface: h.managementInterface }],
            instances: [{ name: "VI_FM", virtualRouterId: 93, master: "n1", advertInt: 1, vips: [vip] }],
        };
        const parsed = parseKeepalived(spec);
        if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join("\n"));
        const w = keepalivedWork(parsed.value, planKeepalived(parsed.value), { verifyVips: true }).hosts.n1;
        return work({ ...w, kind: "keepalived" });
    };
    return {
        resource: "KeepalivedCluster",
        host: h,
        versions: [version(231), version(232)],
        corrupt: { path: "/etc/keepalived/keepalived.conf", text: "vrrp_instance BROKEN {\n  bogus_keyword {{\n", refusedBy: "keepalived config test (keepalived -t)" },
    };
}

function ovsCase(): Case {
    const [a, b] = [labHost(2), labHost(3)];
    const version = (mtu: number) => {
        const spec = {
            name: "fm",
            hosts: [a, b].map((h, i) => ({ name: `h${i}`, underlayAddress: h.underlayAddress, underlayPort: h.secondInterface })),
            tunnel: { type: "gre" as const },
            containerNetwork: "172.29.0.0/16",
            hostPrefixLength: 18,
            bridgeAddressBlock: "172.29.42.0/24",
            datapathType: "netdev" as const,
            underlayBridge: { name: "br-phy" },
            mtu,
            osConfig: { ovs: true },
        };
        const parsed = parseOvsMesh(spec);
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
        return work({ ...ovsMeshHostWork(planOvsMesh(parsed.value).hosts.h0), kind: "ovs-mesh" });
    };
    return {
        resource: "OvsMesh",
        host: a,
        // Open vSwitch already runs, as on a host that has other bridges: its start (seconds here) is not what is tested.
        running: ["openvswitch-switch"],
        versions: [version(1400), version(1380)],
        corrupt: { path: DAEMON_JSON_PATH, text: "{", refusedBy: "Docker accepts daemon.json" },
    };
}

function staticInterfaceCase(): Case {
    const h = labHost(3);
    const version = (last: number) => {
        // Files only: the live change (commit-confirm) has faults of its own in the e2e tier.
        const parsed = parseStaticInterface({ device: h.secondInterface, format: "interfaces", addresses: [`10.81.9.${last}/24`], mtu: 1400, apply: false });
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
        return work({ ...staticInterfaceWork({ resolved: parsed.value, host: h.address, stateKey: "unused" }), rollbackTimeoutSeconds: TIMEOUT, kind: "static-interface" });
    };
    return {
        resource: "StaticInterface",
        host: h,
        versions: [version(41), version(42)],
        corrupt: { path: interfacesPath(h.secondInterface), text: `iface ${h.secondInterface} inet bogus\n`, refusedBy: "ifupdown reads the stanzas" },
    };
}

function registryCase(): Case {
    const h = labHost(0);
    const version = (port: number) => {
        const parsed = parseRegistry({ runtime: "native", address: h.address, port, tls: { mode: "off", insecure: true }, retainDataOnDelete: false });
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
        return work({ ...registryHostWork(parsed.value, undefined, ""), kind: "docker-registry" });
    };
    // The native registry has no offline checker of its config (its faults at start are in faults.test.ts).
    // Its storage starts absent: a registry destroyed earlier on this host keeps its images by design.
    return { resource: "DockerRegistry", host: h, versions: [version(5000), version(5001)], clean: `rm -rf ${DEFAULT_REGISTRY_STORAGE_PATH}` };
}

interface Fault {
    name: string;
    applies: (c: Case) => boolean;
    inject: (c: Case, v: Omit<HostConfigInputs, "key" | "connection">) => Partial<HostConfigInputs>;
    kind: string;
    message: (c: Case) => RegExp;
}

const FAULTS: Fault[] = [
    {
        name: "its own checker refuses a corrupted staged file",
        applies: (c) => c.corrupt !== undefined,
        inject: (c, v) => ({ validators: [{ description: "a hand corrupts the staged file", command: `printf '%s' ${q(c.corrupt!.text)} >> {{staged:${c.corrupt!.path}}}` }, ...(v.validators ?? [])] }),
        kind: "Validation",
        message: (c) => new RegExp(`: ${esc(c.corrupt!.refusedBy)}.* failed`),
    },
    {
        name: "an injected checker refuses",
        applies: () => true,
        inject: (_c, v) => ({ validators: [...(v.validators ?? []), { description: "injected config test", command: "echo 'refused by the injected check' >&2; exit 1" }] }),
        kind: "Validation",
        message: () => /: injected config test failed \(exit 1\)\n\s+refused by the injected check/,
    },
    {
        name: "a service of the transaction fails to start",
        applies: () => true,
        inject: (_c, v) => ({ services: [...(v.services ?? []), { name: BROKEN, onChange: "restart", state: "running" }] }),
        kind: "Apply",
        message: () => new RegExp(`: activate .*${BROKEN} failed \\(exit 1\\)\nthe change was rolled back[^]*Job for ${BROKEN}.service failed`),
    },
    {
        name: "the connection is cut before the swap",
        applies: () => true,
        inject: (_c, v) => ({ validators: [...(v.validators ?? []), { description: "config test (the connection drops here)", command: CUT_SSH }] }),
        kind: "Connection",
        message: () => new RegExp(`: (stage [^\\n]*, then )?config test \\(the connection drops here\\)[^]*removes the staged copies by itself within ${TIMEOUT} s`),
    },
    {
        name: "the connection is cut after the swap",
        applies: () => true,
        inject: (_c, v) => ({ verifiers: [...(v.verifiers ?? []), { description: "check (the connection drops here)", command: CUT_SSH, attempts: 1 }] }),
        kind: "Connection",
        // Activation and the checks are one command: named as a whole if the cut beats the step's announcement.
        message: () => new RegExp(`: ([^\\n]*, then )?verify: check \\(the connection drops here\\)[^]*the host rolls the change back by itself within ${TIMEOUT} s`),
    },
];

function esc(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Checksums of the resource's files, its services' states and its live states' readings, as the host has them. */
function snapshot(c: Case, v: Omit<HostConfigInputs, "key" | "connection">): string {
    const paths = v.files.map((f) => f.path).join(" ");
    const services = (v.services ?? []).filter((s) => !s.onlyIfRunning).map((s) => q(s.name)).join(" ");
    const files = onHost(c.host, `for f in ${paths}; do if [ -e $f ]; then sha256sum $f; else echo "absent $f"; fi; done; for s in ${services}; do echo "$s $(systemctl is-active $s)"; done`);
    const states = (v.states ?? []).map((s) => `${s.name}:\n${onHost(c.host, s.read, { allowFail: true })}`).join("");
    return files + states;
}

/** The host has settled: no staged or backup copies, no pending transaction (the watchdog ran if it had to). */
function settled(c: Case, key: string): boolean {
    return leftovers(c.host).length === 0 && onHost(c.host, `ls ${stateDir(key)}/txn 2>/dev/null | grep -c pending || true`).trim() === "0";
}

const CASES: [string, () => Case][] = [
    ["KeepalivedCluster", keepalivedCase],
    ["OvsMesh", ovsCase],
    ["StaticInterface", staticInterfaceCase],
    ["DockerRegistry", registryCase],
];

// Each resource on hosts of its own (the mesh's peer host is only named, never touched), so they run side by side.
describe("fault matrix per resource", { concurrency: true }, () => {
    before(() => {
        for (const h of [0, 1, 2, 3].map(labHost)) onHost(h, `printf '%s' ${q(BROKEN_INIT)} > /etc/init.d/${BROKEN} && chmod 755 /etc/init.d/${BROKEN}`);
    });
    after(() => {
        for (const h of [0, 1, 2, 3].map(labHost)) onHost(h, `rm -f /etc/init.d/${BROKEN}`);
    });

    for (const [resource, make] of CASES) {
        test(`${resource}: every fault leaves the host in its old state with nothing beside the targets, and the rerun converges`, async (t) => {
            const c = make();
            const key = hostInputs(c.host, []).key;
            const inputs = (v: Omit<HostConfigInputs, "key" | "connection">, extra: Partial<HostConfigInputs> = {}): HostConfigInputs => ({ ...hostInputs(c.host, []), ...v, key, ...extra });
            if (c.clean) onHost(c.host, c.clean);
            for (const svc of c.running ?? []) onHost(c.host, `systemctl start ${svc}`);
            const pristine = snapshot(c, c.versions[0]);
            const created = await p.create(inputs(c.versions[0]));
            let outs: HostConfigOutputs = created.outs;
            let at = 0;
            const counts = { injected: 0, leftoversAfterTimeout: 0, transient: 0 };
            try {
                for (const fault of FAULTS.filter((f) => f.applies(c))) {
                    const [from, to] = [c.versions[at], c.versions[1 - at]];
                    const old = snapshot(c, from);
                    const started = Date.now();
                    const err = await rejection(p.update(key, outs, inputs(to, fault.inject(c, to))));
                    counts.injected++;
                    counts.transient += leftovers(c.host).length;
                    assert.equal(err.kind, fault.kind, `${fault.name}: ${err.message}`);
                    assert.ok(err.message.startsWith(`root@${c.host.address}: `), `${fault.name}: the host is named: ${err.message}`);
                    assert.match(err.message, fault.message(c), `${fault.name}: the step is named`);
                    await eventually(`${fault.name}: the host settles`, () => settled(c, key), (TIMEOUT + 6) * 1000, 250);
                    counts.leftoversAfterTimeout += leftovers(c.host).length;
                    await eventually(`${fault.name}: files, services and live state as before`, () => snapshot(c, from) === old, 10_000, 250).catch(() => {
                        assert.equal(snapshot(c, from), old, `${fault.name}: the host is in its old state`);
                    });
                    const settledAt = Date.now();

                    outs = (await p.update(key, outs, inputs(to))).outs;
                    const rerunAt = Date.now();
                    assert.notEqual(snapshot(c, to), old, `${fault.name}: the rerun applied the change`);
                    const again = await applyHostState(outs.connection, key, desiredState(inputs(to)));
                    assert.deepEqual([again.changedFiles, again.changedServices, again.changedStates], [[], [], []], `${fault.name}: a second rerun changes nothing`);
                    assert.deepEqual(leftovers(c.host), []);
                    const s = (a: number, b: number) => ((b - a) / 1000).toFixed(1);
                    t.diagnostic(`${c.resource}: ${fault.name}: fault and settling ${s(started, settledAt)} s, rerun ${s(settledAt, rerunAt)} s, checks ${s(rerunAt, Date.now())} s`);
                    at = 1 - at;
                }
            } finally {
                await p.delete(key, outs);
            }
            await eventually("delete gives the host back as it was", () => snapshot(c, c.versions[0]) === pristine, 10_000, 250).catch(() => {
                assert.equal(snapshot(c, c.versions[0]), pristine, "delete gives the host back as it was");
            });
            assert.deepEqual(leftovers(c.host), []);
            for (const svc of c.running ?? []) onHost(c.host, `systemctl stop ${svc}`);
            t.diagnostic(`${c.resource}: ${counts.injected} faults injected; staged or backup copies seen just after the faults: ${counts.transient}; left after the host's timeout: ${counts.leftoversAfterTimeout}`);
        });
    }
});
