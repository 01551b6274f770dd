/**
 * StaticInterface's live side and the component's pure decisions: where to reconnect after a change,
 * and the read/apply/remove scripts of the device's live state, run against a veth in a network
 * namespace of the test's own (an original address and route, a first apply that takes them over, a
 * change, the undo by the previous apply, the removal that puts the original back).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { StateSpec } from "../../provider/contract/desired";
import type { StaticInterfaceFormat, StaticInterfaceInput } from "../../provider/plan/staticInterface/args";
import type { ResolvedStaticInterface } from "../../provider/plan/staticInterface/model";
import { parseStaticInterface } from "../../provider/plan/staticInterface/validate";
import { parseCidr } from "../../provider/model/address";
import { addressesOfLiveState, liveScripts } from "../../provider/render/staticInterface/live";
import { renderDetachedStates } from "../../provider/host/steps/confirm";
import { stateDir } from "../../provider/host/layout";
import { confirmHosts, staticInterfaceWork } from "../../provider/work/staticInterface";

type Spec = StaticInterfaceInput & { format: StaticInterfaceFormat };

/** The parsed interface of a valid input. */
function resolveStaticInterface(input: Spec): ResolvedStaticInterface {
    const parsed = parseStaticInterface(input);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.value;
}

/** The live state of a spec whose state key is `key`, as the component hands it to the engine. */
function liveState(spec: Spec, key: string): StateSpec {
    const [state] = staticInterfaceWork({ resolved: resolveStaticInterface(spec), host: "10.0.0.11", stateKey: key }).states;
    return state;
}

const cidrs = (texts: string[]) => texts.map((t) => parseCidr(t)!);

describe("confirmHosts: where the controller reconnects after a change", () => {
    test("a second interface: the connection's own address only (its new addresses may be unreachable)", () => {
        assert.deepEqual(confirmHosts("10.0.0.11", cidrs(["10.0.1.21/24", "10.0.1.22/24"])), ["10.0.0.11"]);
    });
    test("the management interface moving within its subnet: the old address, then the new one", () => {
        assert.deepEqual(confirmHosts("10.0.0.11", cidrs(["10.0.0.52/24"])), ["10.0.0.11", "10.0.0.52"]);
    });
    test("a move to another subnet is tried only at `confirmAddress`", () => {
        assert.deepEqual(confirmHosts("10.0.0.11", cidrs(["10.5.0.5/24"])), ["10.0.0.11"]);
        assert.deepEqual(confirmHosts("10.0.0.11", cidrs(["10.5.0.5/24"]), "10.5.0.5"), ["10.0.0.11", "10.5.0.5"]);
    });
    test("a host name: no subnet to compare, the name only", () => {
        assert.deepEqual(confirmHosts("db1.example", cidrs(["10.0.0.52/24"])), ["db1.example"]);
    });
});

describe("live state text", () => {
    const spec: Spec = { device: "eth1", format: "interfaces", addresses: ["10.0.1.21/24", "2001:DB8::21/64"], gateway: "10.0.1.1", mtu: 1400 };
    const state = liveState(spec, "static-interface-x");
    test("the owned lines live in the resource's state directory, where the engine puts it", () => {
        assert.ok(state.apply.split("\n").includes(`S=${stateDir("static-interface-x")}`), state.apply);
    });
    test("files only (`apply: false`): no live state, no commit-confirm", () => {
        const work = staticInterfaceWork({ resolved: resolveStaticInterface({ ...spec, apply: false, confirmTimeoutSeconds: 30 }), host: "10.0.0.11", stateKey: "k" });
        assert.deepEqual([work.states, work.confirm, work.rollbackTimeoutSeconds], [[], undefined, 30]);
    });
    test("expected lists the MTU, the canonical addresses and the routes, one per line", () => {
        assert.equal(state.expected, "mtu 1400\naddr -4 10.0.1.21/24\naddr -6 2001:db8::21/64\nroute -4 default via 10.0.1.1 dev eth1");
        assert.deepEqual(addressesOfLiveState(state.expected), ["10.0.1.21/24", "2001:db8::21/64"]);
    });
    test("the detached apply records its exit code and names each state in its log", () => {
        const script = renderDetachedStates([state]);
        assert.match(script, /^trap '' HUP INT TERM PIPE\nsleep 1\n/);
        assert.match(script, /echo '== addresses, routes and MTU of eth1'/);
        assert.match(script, /\|\| \{ echo \$\? > "\$1\/txn\/states\.rc"; exit 1; \}\necho 0 > "\$1\/txn\/states\.rc"\n$/);
    });
});

function ipUnavailable(): string | false {
    if (process.getuid?.() !== 0) return "needs root (network namespaces)";
    if (spawnSync("ip", ["-V"]).error) return "iproute2 (ip) is not installed";
    return false;
}

describe("live state scripts against a real interface (network namespace)", { skip: ipUnavailable() }, () => {
    const ns = `si-live-${process.pid}-${randomBytes(3).toString("hex")}`;
    const dir = mkdtempSync(join(tmpdir(), "si-live-"));
    const sh = (script: string) => spawnSync("ip", ["netns", "exec", ns, "sh", "-c", script], { encoding: "utf8" });
    const must = (script: string) => {
        const r = sh(script);
        assert.equal(r.status, 0, `${script.split("\n")[0]}...: ${r.stderr}`);
        return r.stdout;
    };
    const addrs = () => must("ip -o addr show dev eth1 scope global | awk '{print $4}' | sort").trim().split("\n").filter(Boolean);
    const routes = () => must("ip route show dev eth1 | grep -v 'proto kernel' || true").trim();
    const spec = (addresses: string[], extra: Partial<Spec> = {}): StateSpec => ({
        name: "eth1",
        ...liveScripts(resolveStaticInterface({ device: "eth1", format: "interfaces", addresses, ...extra }), dir),
    });
    before(() => {
        assert.equal(spawnSync("ip", ["netns", "add", ns]).status, 0);
        must("ip link add eth1 type veth peer name eth1p && ip link set eth1p up && ip link set eth1 up && ip addr add 10.0.1.99/24 dev eth1 && ip route add 10.95.0.0/16 via 10.0.1.1 dev eth1");
    });
    after(() => {
        spawnSync("ip", ["netns", "del", ns]);
        rmSync(dir, { recursive: true, force: true });
    });

    test("first apply takes the device over; a change keeps the other address; undo and remove put things back", () => {
        const a = spec(["10.0.1.21/24", "10.0.1.22/24"], { routes: [{ destination: "10.90.0.0/16", via: "10.0.1.1", metric: 100 }], mtu: 1400 });
        const b = spec(["10.0.1.21/24", "10.0.1.23/24"], { routes: [{ destination: "10.91.0.0/16", via: "10.0.1.1" }] });
        assert.notEqual(must(a.read).trim(), a.expected, "before: drift");

        must(a.apply);
        assert.equal(must(a.read).trim(), a.expected);
        assert.deepEqual(addrs(), ["10.0.1.21/24", "10.0.1.22/24"], "the original address was taken over");
        assert.equal(routes(), "10.90.0.0/16 via 10.0.1.1 metric 100");
        assert.equal(must("cat /sys/class/net/eth1/mtu").trim(), "1400");
        must(a.apply); // idempotent
        assert.equal(must(a.read).trim(), a.expected);

        must(b.apply);
        assert.equal(must(b.read).trim(), b.expected);
        assert.deepEqual(addrs(), ["10.0.1.21/24", "10.0.1.23/24"]);
        assert.equal(routes(), "10.91.0.0/16 via 10.0.1.1");

        // A hand-removed address is missing from read: drift.
        must("ip addr del 10.0.1.23/24 dev eth1");
        assert.equal(must(b.read).trim(), "addr -4 10.0.1.21/24\nroute -4 10.91.0.0/16 via 10.0.1.1 dev eth1");

        must(a.apply); // the undo of b
        assert.equal(must(a.read).trim(), a.expected);
        assert.deepEqual(addrs(), ["10.0.1.21/24", "10.0.1.22/24"]);

        must(a.remove);
        assert.deepEqual(addrs(), ["10.0.1.99/24"], "the original address is back");
        assert.equal(routes(), "10.95.0.0/16 via 10.0.1.1", "and its route");
        assert.equal(must("cat /sys/class/net/eth1/mtu").trim(), "1500", "and the MTU");
        must(a.remove); // idempotent
    });
});
