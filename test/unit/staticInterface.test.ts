/**
 * StaticInterface's pure core. Goldens, one case per file under test/golden/static-interface/
 * (UPDATE_GOLDEN=1 rewrites them; review the diff like code), each fed to the program that reads the
 * format where it is installed: `sh` (ifcfg is sourced) and `ip` in a throw-away network namespace
 * (route lines, run as network-scripts runs them), `ifup --no-act` and `ifquery` (interfaces.d),
 * `netplan generate --root-dir` (netplan), libnm's keyfile reader (NetworkManager). Each check is also
 * shown a broken file and must fail. Then the bad-input table and the `auto` format choice.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FormatFacts, chooseFormat } from "../../provider/plan/staticInterface/format";
import type { Issue } from "../../provider/contract/issue";
import type { StaticInterfaceFormat, StaticInterfaceInput } from "../../provider/plan/staticInterface/args";
import type { ResolvedStaticInterface } from "../../provider/plan/staticInterface/model";
import { parseStaticInterface } from "../../provider/plan/staticInterface/validate";
import { MANAGED_HEADER } from "../../provider/render/managedHeader";
import { nmConnectionUuid } from "../../provider/render/staticInterface/nmKeyfile";
import { staticInterfaceFiles } from "../../provider/work/staticInterface";
import { expectGolden, joinFiles } from "../support/golden";
import { has } from "../support/tools";

/** The issues the parser finds (none when it parses). */
const validateStaticInterface = (input: StaticInterfaceInput): Issue[] => {
    const parsed = parseStaticInterface(input);
    return parsed.ok ? [] : parsed.issues;
};

/** The parsed interface of a valid input. */
const resolveStaticInterface = (input: StaticInterfaceInput & { format: StaticInterfaceFormat }): ResolvedStaticInterface => {
    const parsed = parseStaticInterface(input);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.value;
};

const GOLDEN_DIR = join(__dirname, "..", "golden", "static-interface");
const scratch = mkdtempSync(join(tmpdir(), "static-interface-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Cases

/**
 * Seed 000, "CentOS7配置静态IP地址": ifcfg-enp0s3 with BOOTPROTO=static, ONBOOT=yes, NM_CONTROLLED=no,
 * IPADDR, NETMASK, GATEWAY and DNS. The post shows its values only in a screenshot, so the address is
 * the seed's own `ip addr add 192.168.0.193/24` example and the gateway and DNS servers are filled in.
 */
const seed000: Omit<StaticInterfaceInput, "format"> = {
    device: "enp0s3",
    addresses: ["192.168.0.193/24"],
    gateway: "192.168.0.1",
    dns: ["8.8.8.8", "8.8.4.4"],
};

/** Two IPv4 subnets, one IPv6 address, both gateways, two routes (one IPv4 with a metric, one IPv6 in table 100), jumbo MTU, bound to a MAC. */
const dualStack: Omit<StaticInterfaceInput, "format"> = {
    device: "eth1",
    addresses: ["10.77.0.21/24", "10.78.0.21/24", "2001:db8:77::21/64"],
    gateway: "10.77.0.1",
    gateway6: "2001:db8:77::1",
    dns: ["10.77.0.1", "2001:db8:77::53"],
    searchDomains: ["lab.example", "example"],
    routes: [
        { destination: "10.90.0.0/16", via: "10.78.0.254", metric: 100 },
        { destination: "2001:db8:90::/48", via: "2001:db8:77::fe", table: 100 },
    ],
    mtu: 9000,
    macAddress: "52:54:00:0A:4D:15",
};

const SUFFIX: Record<StaticInterfaceFormat, string> = { ifcfg: "ifcfg", interfaces: "interfaces", netplan: "netplan.yaml", networkmanager: "nmconnection" };
const FORMATS: StaticInterfaceFormat[] = ["ifcfg", "interfaces", "netplan", "networkmanager"];
const CASES: [string, Omit<StaticInterfaceInput, "format">][] = [["seed000", seed000], ["dual-stack", dualStack]];

const goldenName = (caseName: string, format: StaticInterfaceFormat) => `${caseName}.${SUFFIX[format]}`;

/** The files of a (valid) spec, as the component renders them. */
const renderStaticInterface = (spec: StaticInterfaceInput & { format: StaticInterfaceFormat }) => staticInterfaceFiles(resolveStaticInterface(spec));



/** The golden's text of one file, as written on the host (read from the golden, so the tools check what was reviewed). */
function goldenFile(caseName: string, format: StaticInterfaceFormat, path: string): string {
    const text = readFileSync(join(GOLDEN_DIR, goldenName(caseName, format)), "utf8");
    const parts = text.split(/^### /m).filter(Boolean);
    const part = parts.find((p) => p.startsWith(`${path} (`));
    assert.ok(part, `${path} is not in ${goldenName(caseName, format)}`);
    return part.slice(part.indexOf("\n") + 1).replace(/\n\n$/, "\n");
}

function scratchFile(name: string, content: string, mode = 0o644): string {
    const path = join(scratch, name);
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
}

// ---------------------------------------------------------------------------------------------
// Goldens

describe("static interface goldens", () => {
    for (const [caseName, base] of CASES) {
        for (const format of FORMATS) {
            test(goldenName(caseName, format), () => {
                const files = renderStaticInterface({ ...base, format });
                for (const f of files) assert.ok(f.content.startsWith(`${MANAGED_HEADER}\n`) && f.content.endsWith("\n") && !f.content.endsWith("\n\n"), f.path);
                expectGolden(GOLDEN_DIR, goldenName(caseName, format), joinFiles(files));
                // Rendering is deterministic.
                assert.deepEqual(renderStaticInterface({ ...base, format }), files);
            });
        }
    }

    test("every golden file is a case above (no stale goldens)", () => {
        const expected = CASES.flatMap(([c]) => FORMATS.map((f) => goldenName(c, f))).sort();
        assert.deepEqual(readdirSync(GOLDEN_DIR).sort(), expected);
    });

    test("paths and modes: netplan and keyfiles 0600, route files only when routes exist", () => {
        const seedIfcfg = renderStaticInterface({ ...seed000, format: "ifcfg" });
        assert.deepEqual(seedIfcfg.map((f) => [f.path, f.mode]), [["/etc/sysconfig/network-scripts/ifcfg-enp0s3", "0644"]]);
        const dual = renderStaticInterface({ ...dualStack, format: "ifcfg" }).map((f) => f.path);
        assert.deepEqual(dual, ["/etc/sysconfig/network-scripts/ifcfg-eth1", "/etc/sysconfig/network-scripts/route-eth1", "/etc/sysconfig/network-scripts/route6-eth1"]);
        for (const format of ["netplan", "networkmanager"] as const) {
            const files = renderStaticInterface({ ...seed000, format });
            assert.deepEqual(files.map((f) => f.mode), ["0600"]);
        }
        assert.equal(renderStaticInterface({ ...seed000, format: "netplan" })[0].path, "/etc/netplan/60-pulumi-onprem-enp0s3.yaml");
        assert.equal(renderStaticInterface({ ...seed000, format: "networkmanager" })[0].path, "/etc/NetworkManager/system-connections/pulumi-onprem-enp0s3.nmconnection");
        // ifupdown's source-directory reads only names of letters, digits, _ and -.
        assert.equal(renderStaticInterface({ ...seed000, device: "eth0.100", format: "interfaces" })[0].path, "/etc/network/interfaces.d/eth0_100");
    });

    test("the NetworkManager UUID is a version 5 UUID of the device name, stable across renders", () => {
        const uuid = nmConnectionUuid("enp0s3");
        assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(nmConnectionUuid("enp0s3"), uuid);
        assert.notEqual(nmConnectionUuid("enp0s4"), uuid);
    });

    test("onBoot false: no `auto` line, ONBOOT=no, autoconnect=false, netplan activation-mode manual", () => {
        const off = { ...seed000, onBoot: false };
        assert.doesNotMatch(renderStaticInterface({ ...off, format: "interfaces" })[0].content, /^auto /m);
        assert.match(renderStaticInterface({ ...off, format: "ifcfg" })[0].content, /^ONBOOT=no$/m);
        assert.match(renderStaticInterface({ ...off, format: "networkmanager" })[0].content, /^autoconnect=false$/m);
        assert.match(renderStaticInterface({ ...off, format: "netplan" })[0].content, /^ {6}activation-mode: manual$/m);
    });

    test("ifcfg with two IPv6 addresses: IPV6ADDR and IPV6ADDR_SECONDARIES; nmControlled renders NM_CONTROLLED=yes", () => {
        const [f] = renderStaticInterface({ device: "eth2", addresses: ["2001:db8::10/64", "2001:DB8:1::10/64", "2001:db8:2::10/64"], format: "ifcfg", nmControlled: true });
        assert.match(f.content, /^BOOTPROTO=none$/m);
        assert.match(f.content, /^IPV6ADDR=2001:db8::10\/64$/m);
        assert.match(f.content, /^IPV6ADDR_SECONDARIES='2001:db8:1::10\/64 2001:db8:2::10\/64'$/m);
        assert.match(f.content, /^NM_CONTROLLED=yes$/m);
        assert.doesNotMatch(f.content, /^IPADDR/m);
    });
});

// ---------------------------------------------------------------------------------------------
// ifcfg: sourced by sh; route lines run by ip as network-scripts' ifup-routes runs them

function sourceIfcfg(content: string, names: string[]): Record<string, string> {
    const file = scratchFile(`ifcfg-${randomBytes(3).toString("hex")}`, content);
    const script = `set -eu; . "$1"; shift; for n in "$@"; do eval "printf '%s=%s\\n' \\"\\$n\\" \\"\\\${$n:-}\\""; done`;
    const run = spawnSync("sh", ["-c", script, "sh", file, ...names], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    return Object.fromEntries(run.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

describe("ifcfg files read back", () => {
    test("seed000.ifcfg: sh reads the seed's variables", () => {
        const vars = sourceIfcfg(goldenFile("seed000", "ifcfg", "/etc/sysconfig/network-scripts/ifcfg-enp0s3"),
            ["DEVICE", "BOOTPROTO", "ONBOOT", "IPADDR", "PREFIX", "NETMASK", "GATEWAY", "DNS1", "DNS2", "NM_CONTROLLED", "IPV6INIT"]);
        assert.deepEqual(vars, {
            DEVICE: "enp0s3", BOOTPROTO: "static", ONBOOT: "yes", IPADDR: "192.168.0.193", PREFIX: "24", NETMASK: "255.255.255.0",
            GATEWAY: "192.168.0.1", DNS1: "8.8.8.8", DNS2: "8.8.4.4", NM_CONTROLLED: "no", IPV6INIT: "",
        });
    });

    test("dual-stack.ifcfg: sh reads every address, gateway and resolver setting", () => {
        const vars = sourceIfcfg(goldenFile("dual-stack", "ifcfg", "/etc/sysconfig/network-scripts/ifcfg-eth1"),
            ["IPADDR", "PREFIX", "IPADDR1", "PREFIX1", "NETMASK1", "GATEWAY", "IPV6INIT", "IPV6ADDR", "IPV6_DEFAULTGW", "DNS1", "DNS2", "DOMAIN", "MTU", "HWADDR"]);
        assert.deepEqual(vars, {
            IPADDR: "10.77.0.21", PREFIX: "24", IPADDR1: "10.78.0.21", PREFIX1: "24", NETMASK1: "255.255.255.0", GATEWAY: "10.77.0.1",
            IPV6INIT: "yes", IPV6ADDR: "2001:db8:77::21/64", IPV6_DEFAULTGW: "2001:db8:77::1", DNS1: "10.77.0.1", DNS2: "2001:db8:77::53",
            DOMAIN: "lab.example example", MTU: "9000", HWADDR: "52:54:00:0a:4d:15",
        });
    });
});

function ipUnavailable(): string | false {
    if (process.getuid?.() !== 0) return "needs root (network namespaces)";
    if (spawnSync("ip", ["-V"]).error) return "iproute2 (ip) is not installed";
    return false;
}

/** A network namespace of the test's own with veth interfaces; removed after. */
function namespace(prefix: string, devices: string[]) {
    const name = `${prefix}-${process.pid}-${randomBytes(3).toString("hex")}`;
    const ip = (...args: string[]) => spawnSync("ip", ["-n", name, ...args], { encoding: "utf8" });
    const must = (...args: string[]) => {
        const r = ip(...args);
        assert.equal(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    const exec = (argv: string[]) => spawnSync("ip", ["netns", "exec", name, ...argv], { encoding: "utf8" });
    return {
        name,
        ip,
        must,
        exec,
        create() {
            const r = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            for (const dev of devices) {
                must("link", "add", dev, "type", "veth", "peer", "name", `${dev}p`);
                must("link", "set", `${dev}p`, "up");
            }
        },
        remove() {
            spawnSync("ip", ["netns", "del", name]);
        },
    };
}

describe("ifcfg route lines: ip accepts them as ifup-routes passes them", { skip: ipUnavailable() }, () => {
    const ns = namespace("si-route", ["eth1"]);
    before(() => ns.create());
    after(() => ns.remove());

    /** What ifup-routes does with a route-/route6- file without ADDRESSn keys: `ip -4|-6 route add <line>` per line that is not a comment. */
    const addRouteLines = (content: string, family: "-4" | "-6") =>
        content.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#")).map((line) => ns.ip(family, "route", "add", ...line.split(/\s+/)));

    test("dual-stack route-eth1 and route6-eth1", () => {
        const vars = sourceIfcfg(goldenFile("dual-stack", "ifcfg", "/etc/sysconfig/network-scripts/ifcfg-eth1"), ["IPADDR", "PREFIX", "IPADDR1", "PREFIX1", "IPV6ADDR"]);
        ns.must("link", "set", "eth1", "up");
        ns.must("addr", "add", `${vars.IPADDR}/${vars.PREFIX}`, "dev", "eth1");
        ns.must("addr", "add", `${vars.IPADDR1}/${vars.PREFIX1}`, "dev", "eth1");
        ns.must("addr", "add", vars.IPV6ADDR, "dev", "eth1");
        for (const r of addRouteLines(goldenFile("dual-stack", "ifcfg", "/etc/sysconfig/network-scripts/route-eth1"), "-4")) assert.equal(r.status, 0, r.stderr);
        for (const r of addRouteLines(goldenFile("dual-stack", "ifcfg", "/etc/sysconfig/network-scripts/route6-eth1"), "-6")) assert.equal(r.status, 0, r.stderr);
        assert.match(ns.must("-4", "route", "show", "dev", "eth1"), /^10\.90\.0\.0\/16 via 10\.78\.0\.254 metric 100 $/m);
        assert.match(ns.must("-6", "route", "show", "table", "100"), /^2001:db8:90::\/48 via 2001:db8:77::fe dev eth1 metric 1024/m);
    });

    test("the check is real: a line whose next hop is off-link fails", () => {
        const [r] = addRouteLines("10.91.0.0/16 via 10.99.0.1 dev eth1\n", "-4");
        assert.notEqual(r.status, 0);
    });
});

// ---------------------------------------------------------------------------------------------
// interfaces.d: ifup --no-act

describe("interfaces.d stanzas: ifup --no-act", { skip: has("ifup") ? false : "ifupdown is not installed" }, () => {
    const state = join(scratch, "ifstate");
    before(() => mkdirSync(state, { recursive: true }));
    const ifupdown = (tool: "ifup" | "ifdown", file: string, device: string) =>
        spawnSync(tool, ["--no-act", "--no-loopback", "--force", "-i", file, `--state-dir=${state}`, device], { encoding: "utf8" });

    test("seed000.interfaces: the address, gateway and link come up", () => {
        const file = scratchFile("seed000.interfaces", goldenFile("seed000", "interfaces", "/etc/network/interfaces.d/enp0s3"));
        const run = ifupdown("ifup", file, "enp0s3");
        assert.equal(run.status, 0, run.stderr);
        const out = run.stdout + run.stderr;
        assert.match(out, /ip addr add 192\.168\.0\.193\/255\.255\.255\.0 broadcast 192\.168\.0\.255\s+dev enp0s3/);
        assert.match(out, /ip route add default via 192\.168\.0\.1\s+dev enp0s3 onlink/);
        const list = spawnSync("ifquery", ["-i", file, "--list", "--allow=auto"], { encoding: "utf8" });
        assert.deepEqual(list.stdout.trim().split("\n").filter((l) => l !== "lo"), ["enp0s3"]);
        const query = spawnSync("ifquery", ["-i", file, "enp0s3"], { encoding: "utf8" });
        assert.match(query.stdout, /^dns-nameservers: 8\.8\.8\.8 8\.8\.4\.4$/m);
    });

    test("dual-stack.interfaces: every address; routes after all addresses on up, before any on down", () => {
        const file = scratchFile("dual-stack.interfaces", goldenFile("dual-stack", "interfaces", "/etc/network/interfaces.d/eth1"));
        const up = ifupdown("ifup", file, "eth1");
        assert.equal(up.status, 0, up.stderr);
        const upText = up.stdout + up.stderr;
        const at = (text: string, pattern: RegExp) => {
            const m = pattern.exec(text);
            assert.ok(m, `${pattern} not in:\n${text}`);
            return m.index;
        };
        const second = at(upText, /ip addr add 10\.78\.0\.21\/255\.255\.255\.0/);
        assert.ok(at(upText, /ip addr add 10\.77\.0\.21\/255\.255\.255\.0/) < second);
        assert.ok(second < at(upText, /ip -4 route replace 10\.90\.0\.0\/16 via 10\.78\.0\.254 dev eth1 metric 100/));
        assert.ok(at(upText, /ip -6 addr add 2001:db8:77::21\/64\s+dev eth1/) < at(upText, /ip -6 route replace 2001:db8:90::\/48 via 2001:db8:77::fe dev eth1 table 100/));
        at(upText, /ip link set dev eth1 mtu 9000/);
        at(upText, /ip -6 route replace default via 2001:db8:77::1\s+dev eth1 onlink/);
        at(upText, /test "\$\(cat \/sys\/class\/net\/eth1\/address\)" = 52:54:00:0a:4d:15/);

        const down = ifupdown("ifdown", file, "eth1");
        assert.equal(down.status, 0, down.stderr);
        const downText = down.stdout + down.stderr;
        assert.ok(at(downText, /ip -4 route del 10\.90\.0\.0\/16 via 10\.78\.0\.254 dev eth1 metric 100/) < at(downText, /ip addr del 10\.77\.0\.21/));
    });

    test("the check is real: a stanza without its address, and an unknown method, are refused", () => {
        const text = goldenFile("seed000", "interfaces", "/etc/network/interfaces.d/enp0s3");
        const noAddress = ifupdown("ifup", scratchFile("no-address.interfaces", text.replace(/^ {4}address .*\n/m, "")), "enp0s3");
        assert.notEqual(noAddress.status, 0);
        assert.match(noAddress.stderr, /missing required variable: address/);
        const badMethod = ifupdown("ifup", scratchFile("bad-method.interfaces", text.replace("inet static", "inet statik")), "enp0s3");
        assert.notEqual(badMethod.status, 0);
    });
});

// ---------------------------------------------------------------------------------------------
// netplan generate

function netplanUnavailable(): string | false {
    if (!has("netplan")) return "netplan is not installed";
    // With systemd as init, `netplan generate` also reloads udev rules and asks systemd to start units: not only temp files.
    if (existsSync("/run/systemd/system")) return "systemd is running here: netplan generate would reach beyond its --root-dir";
    return false;
}

describe("netplan YAML: netplan generate --root-dir", { skip: netplanUnavailable() }, () => {
    const generate = (caseName: string, yaml: string) => {
        const root = join(scratch, `netplan-${caseName}`);
        mkdirSync(join(root, "etc", "netplan"), { recursive: true });
        const file = join(root, "etc", "netplan", "60-test.yaml");
        writeFileSync(file, yaml);
        chmodSync(file, 0o600);
        const run = spawnSync("netplan", ["generate", "--root-dir", root], { encoding: "utf8" });
        const networkDir = join(root, "run", "systemd", "network");
        const network = existsSync(networkDir) ? readdirSync(networkDir).filter((f) => f.endsWith(".network")).map((f) => readFileSync(join(networkDir, f), "utf8")).join("\n") : "";
        return { status: run.status, output: `${run.stdout}${run.stderr}`.trim(), network };
    };

    test("seed000.netplan.yaml", () => {
        const r = generate("seed000", goldenFile("seed000", "netplan", "/etc/netplan/60-pulumi-onprem-enp0s3.yaml"));
        assert.equal(r.status, 0, r.output);
        assert.equal(r.output, "", "netplan printed warnings");
        assert.match(r.network, /^Name=enp0s3$/m);
        assert.match(r.network, /^Address=192\.168\.0\.193\/24$/m);
        assert.match(r.network, /^\[Route\]\nDestination=0\.0\.0\.0\/0\nGateway=192\.168\.0\.1$/m);
        assert.match(r.network, /^DNS=8\.8\.8\.8\nDNS=8\.8\.4\.4$/m);
    });

    test("dual-stack.netplan.yaml", () => {
        const r = generate("dual-stack", goldenFile("dual-stack", "netplan", "/etc/netplan/60-pulumi-onprem-eth1.yaml"));
        assert.equal(r.status, 0, r.output);
        assert.equal(r.output, "", "netplan printed warnings");
        for (const line of ["PermanentMACAddress=52:54:00:0a:4d:15", "Address=10.78.0.21/24", "Address=2001:db8:77::21/64", "IPv6AcceptRA=no", "Domains=lab.example example", "MTUBytes=9000"]) {
            assert.ok(r.network.split("\n").includes(line), `${line} not in:\n${r.network}`);
        }
        assert.match(r.network, /^Destination=::\/0\nGateway=2001:db8:77::1$/m);
        assert.match(r.network, /^Destination=10\.90\.0\.0\/16\nGateway=10\.78\.0\.254\nMetric=100$/m);
        assert.match(r.network, /^Destination=2001:db8:90::\/48\nGateway=2001:db8:77::fe\nTable=100$/m);
    });

    test("the check is real: an invalid address is refused", () => {
        const yaml = goldenFile("seed000", "netplan", "/etc/netplan/60-pulumi-onprem-enp0s3.yaml").replace("192.168.0.193/24", "192.168.0.300/24");
        const r = generate("broken", yaml);
        assert.notEqual(r.status, 0);
        assert.match(r.output, /192\.168\.0\.300/);
    });
});

// ---------------------------------------------------------------------------------------------
// NetworkManager keyfile: libnm's own reader

const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
/** Reads a keyfile with libnm (as NetworkManager does), verifies the connection and prints what it holds. */
const NM_READ = `
import json, sys, gi
gi.require_version("NM", "1.0")
from gi.repository import NM, GLib
kf = GLib.KeyFile()
kf.load_from_file(sys.argv[1], GLib.KeyFileFlags.NONE)
warnings = []
def handler(keyfile, connection, kind, data, user):
    if kind == NM.KeyfileHandlerType.WARN:
        warnings.append(data.warn_get().out_message)
    return True
conn = NM.keyfile_read(kf, "/nonexistent", NM.KeyfileHandlerFlags.NONE, handler, None)
conn.verify()
def ip(s):
    if s is None:
        return None
    return {
        "method": s.get_method(),
        "addresses": ["%s/%d" % (a.get_address(), a.get_prefix()) for a in (s.get_address(i) for i in range(s.get_num_addresses()))],
        "gateway": s.get_gateway(),
        "dns": [s.get_dns(i) for i in range(s.get_num_dns())],
        "search": [s.get_dns_search(i) for i in range(s.get_num_dns_searches())],
        "routes": ["%s/%d %s %d %s" % (r.get_dest(), r.get_prefix(), r.get_next_hop(), r.get_metric(), r.get_attribute("table")) for r in (s.get_route(i) for i in range(s.get_num_routes()))],
    }
wired = conn.get_setting_wired()
print(json.dumps({
    "warnings": warnings, "id": conn.get_id(), "uuid": conn.get_uuid(), "interface": conn.get_interface_name(),
    "autoconnect": conn.get_setting_connection().get_autoconnect(),
    "mtu": wired.get_mtu() if wired else None, "mac": wired.get_mac_address() if wired else None,
    "ipv4": ip(conn.get_setting_ip4_config()), "ipv6": ip(conn.get_setting_ip6_config()),
}))
`;

function libnmUnavailable(): string | false {
    const probe = spawnSync(PYTHON, ["-c", 'import gi; gi.require_version("NM", "1.0"); from gi.repository import NM'], { encoding: "utf8" });
    return probe.status === 0 ? false : "libnm's Python bindings (python3-gi, gir1.2-nm-1.0) are not installed";
}

describe("NetworkManager keyfiles: libnm reads and verifies them", { skip: libnmUnavailable() }, () => {
    const read = (name: string, content: string) => {
        const run = spawnSync(PYTHON, ["-c", NM_READ, scratchFile(name, content, 0o600)], { encoding: "utf8" });
        return { status: run.status, stderr: run.stderr, value: run.status === 0 ? JSON.parse(run.stdout) : undefined };
    };

    test("seed000.nmconnection", () => {
        const r = read("seed000.nmconnection", goldenFile("seed000", "networkmanager", "/etc/NetworkManager/system-connections/pulumi-onprem-enp0s3.nmconnection"));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.value, {
            warnings: [], id: "pulumi-onprem-enp0s3", uuid: nmConnectionUuid("enp0s3"), interface: "enp0s3", autoconnect: true, mtu: 0, mac: null,
            ipv4: { method: "manual", addresses: ["192.168.0.193/24"], gateway: "192.168.0.1", dns: ["8.8.8.8", "8.8.4.4"], search: [], routes: [] },
            ipv6: { method: "ignore", addresses: [], gateway: null, dns: [], search: [], routes: [] },
        });
    });

    test("dual-stack.nmconnection", () => {
        const r = read("dual-stack.nmconnection", goldenFile("dual-stack", "networkmanager", "/etc/NetworkManager/system-connections/pulumi-onprem-eth1.nmconnection"));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.value, {
            warnings: [], id: "pulumi-onprem-eth1", uuid: nmConnectionUuid("eth1"), interface: "eth1", autoconnect: true, mtu: 9000, mac: "52:54:00:0A:4D:15",
            ipv4: { method: "manual", addresses: ["10.77.0.21/24", "10.78.0.21/24"], gateway: "10.77.0.1", dns: ["10.77.0.1"], search: ["lab.example", "example"], routes: ["10.90.0.0/16 10.78.0.254 100 None"] },
            ipv6: { method: "manual", addresses: ["2001:db8:77::21/64"], gateway: "2001:db8:77::1", dns: ["2001:db8:77::53"], search: [], routes: ["2001:db8:90::/48 2001:db8:77::fe -1 uint32 100"] },
        });
    });

    test("the check is real: an invalid method fails verification, an invalid address warns", () => {
        const text = goldenFile("seed000", "networkmanager", "/etc/NetworkManager/system-connections/pulumi-onprem-enp0s3.nmconnection");
        assert.notEqual(read("bad-method.nmconnection", text.replace("method=manual", "method=bogus")).status, 0);
        const badAddress = read("bad-address.nmconnection", text.replace("address1=192.168.0.193/24\n", "address1=192.168.0.193/24\naddress2=192.168.0.300/24\n"));
        assert.equal(badAddress.status, 0, badAddress.stderr);
        assert.match(badAddress.value.warnings.join("\n"), /192\.168\.0\.300/);
    });

    test("why `dns` needs an address of its family with NetworkManager: libnm refuses IPv4 DNS with IPv4 disabled", () => {
        const spec = { device: "eth1", addresses: ["2001:db8::10/64"], dns: ["8.8.8.8"], format: "networkmanager" as const };
        assert.deepEqual(validateStaticInterface(spec).map((i) => i.field), ["dns[0]"]);
        const text = renderStaticInterface({ ...spec, dns: undefined })[0].content.replace("method=disabled", "method=disabled\ndns=8.8.8.8;");
        const r = read("dns-disabled.nmconnection", text);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /ipv4\.dns: this property is not allowed for 'method=disabled'/);
    });
});

// ---------------------------------------------------------------------------------------------
// Bad input: every rule, with the exact field it names

describe("validateStaticInterface", () => {
    const ok: StaticInterfaceInput = { ...dualStack, format: "interfaces" };
    const cases: [string, Partial<StaticInterfaceInput>, [string, RegExp][]][] = [
        ["prefix 33", { addresses: ["10.77.0.21/33", "10.78.0.21/24", "2001:db8:77::21/64"] }, [["addresses[0]", /prefix length "33" is outside 1-32/], ["gateway", /10\.77\.0\.1 is outside the interface's IPv4 subnets \(10\.78\.0\.0\/24\)/]]],
        ["IPv6 prefix 129", { addresses: ["10.77.0.21/24", "10.78.0.21/24", "2001:db8:77::21/129"], gateway6: undefined, routes: [] }, [["addresses[2]", /prefix length "129" is outside 1-128/]]],
        ["an address without a prefix", { addresses: ["10.77.0.21", "10.78.0.21/24", "2001:db8:77::21/64"] }, [["addresses[0]", /has no prefix length/], ["gateway", /is outside the interface's IPv4 subnets \(10\.78\.0\.0\/24\)/]]],
        ["not an address", { addresses: ["10.77.0.21/24", "10.78.0.256/24", "2001:db8:77::21/64"] }, [["addresses[1]", /is not an IPv4 or IPv6 address/], ["routes[0].via", /outside the interface's IPv4 subnets/]]],
        ["no addresses", { addresses: [], gateway: undefined, gateway6: undefined, routes: undefined }, [["addresses", /needs at least one address/]]],
        ["duplicate address (another prefix)", { addresses: ["10.77.0.21/24", "10.78.0.21/24", "10.77.0.21/16", "2001:db8:77::21/64"] }, [["addresses[2]", /10\.77\.0\.21 is already addresses\[0\]/]]],
        ["IPv4 network address", { addresses: ["10.77.0.0/24", "10.78.0.21/24", "2001:db8:77::21/64"] }, [["addresses[0]", /is the network address of 10\.77\.0\.0\/24/], ["gateway", /outside/]]],
        ["IPv4 broadcast address", { addresses: ["10.77.0.21/24", "10.78.0.255/24", "2001:db8:77::21/64"] }, [["addresses[1]", /is the broadcast address of 10\.78\.0\.0\/24/], ["routes[0].via", /outside/]]],
        ["/31 and /32 may use every address", { addresses: ["10.77.0.20/31", "10.78.0.21/24", "10.79.0.0/32", "2001:db8:77::21/64"], gateway: "10.77.0.21" }, []],
        ["IPv6 subnet-router anycast", { addresses: ["10.77.0.21/24", "10.78.0.21/24", "2001:db8:77::/64"] }, [["addresses[2]", /is the subnet-router anycast address of 2001:db8:77::\/64/], ["gateway6", /the interface has no IPv6 address/], ["routes[1].via", /the interface has no IPv6 address/]]],
        ["multicast and loopback addresses", { addresses: ["10.77.0.21/24", "10.78.0.21/24", "2001:db8:77::21/64", "224.0.0.5/4", "127.0.0.2/8"] }, [["addresses[3]", /is a multicast address/], ["addresses[4]", /is a loopback address/]]],
        ["gateway outside the subnets", { gateway: "10.99.0.1" }, [["gateway", /10\.99\.0\.1 is outside the interface's IPv4 subnets \(10\.77\.0\.0\/24, 10\.78\.0\.0\/24\)/]]],
        ["gateway of the wrong family", { gateway: "2001:db8:77::1" }, [["gateway", /is IPv6; use `gateway6`/]]],
        ["gateway is our own address", { gateway: "10.77.0.21" }, [["gateway", /is an address of this interface \(10\.77\.0\.21\/24\)/]]],
        ["gateway is the broadcast address", { gateway: "10.77.0.255" }, [["gateway", /is the broadcast address of 10\.77\.0\.0\/24/]]],
        ["gateway6 outside the subnets", { gateway6: "2001:db8:99::1" }, [["gateway6", /outside the interface's IPv6 subnets \(2001:db8:77::\/64\)/]]],
        ["gateway6 link-local is on-link", { gateway6: "fe80::1" }, []],
        ["gateway6 with a zone id", { gateway6: "fe80::1%eth1" }, [["gateway6", /is not an IPv6 address/]]],
        ["dns: too many, not an address, a duplicate", { dns: ["10.77.0.1", "dns.example", "10.77.0.1", "1.1.1.1"] }, [["dns", /has 4 servers; the resolver uses at most 3/], ["dns[1]", /is not an IP address/], ["dns[2]", /is already dns\[0\]/]]],
        ["search domains", { searchDomains: ["lab.example", "-bad.example", "a..b", "LAB.example"] }, [["searchDomains[1]", /is not a domain name/], ["searchDomains[2]", /is not a domain name/], ["searchDomains[3]", /is already searchDomains\[0\]/]]],
        ["too many search domains", { searchDomains: ["a", "b", "c", "d", "e", "f", "g"] }, [["searchDomains", /has 7 domains/]]],
        ["route with host bits", { routes: [{ destination: "10.90.1.0/16", via: "10.78.0.254" }] }, [["routes[0].destination", /has host bits set; the network is 10\.90\.0\.0\/16/]]],
        ["route to the default destination", { routes: [{ destination: "0.0.0.0/0", via: "10.78.0.254" }] }, [["routes[0].destination", /is the default route; set `gateway` or `gateway6` instead/]]],
        ["route via unreachable, wrong family, not an address", {
            routes: [
                { destination: "10.90.0.0/16", via: "10.99.0.1" },
                { destination: "10.91.0.0/16", via: "2001:db8:77::fe" },
                { destination: "10.92.0.0/16", via: "router" },
            ],
        }, [["routes[0].via", /outside the interface's IPv4 subnets/], ["routes[1].via", /is IPv6; the destination 10\.91\.0\.0\/16 is IPv4/], ["routes[2].via", /is not an IPv4 address/]]],
        ["route metric and table out of range, duplicate route", {
            routes: [
                { destination: "10.90.0.0/16", via: "10.78.0.254", metric: 4294967296 },
                { destination: "10.90.0.0/16", via: "10.77.0.254", table: 0 },
                { destination: "10.90.0.0/16", via: "10.77.0.253", metric: -1 },
                { destination: "10.91.0.0/16", metric: 5 },
                { destination: "10.91.0.0/16", metric: 5 },
            ],
        }, [["routes[0].metric", /4294967296 is outside 0-4294967295/], ["routes[1].table", /0 is outside 1-4294967295/], ["routes[2].metric", /-1 is outside 0-4294967295/], ["routes[4].destination", /10\.91\.0\.0\/16 with this metric and table is already routes\[3\]/]]],
        ["MTU below 68", { mtu: 67 }, [["mtu", /67 is outside 68-65535/]]],
        ["MTU below 1280 with an IPv6 address", { mtu: 1279 }, [["mtu", /1279 is below 1280, the IPv6 minimum/]]],
        ["MTU 576 without IPv6 is fine", { addresses: ["10.77.0.21/24", "10.78.0.21/24"], gateway6: undefined, dns: ["10.77.0.1"], routes: [], mtu: 576 }, []],
        ["invalid device names", { device: "eth0:1" }, [["device", /"eth0:1" is not a valid interface name/]]],
        ["a device name of 16 characters", { device: "abcdefghijklmnop" }, [["device", /is not a valid interface name \(1-15 characters/]]],
        ["unknown format", { format: "wicked" as StaticInterfaceFormat }, [["format", /"wicked" is not one of ifcfg, interfaces, netplan, networkmanager/]]],
        ["nmControlled with another format", { nmControlled: true }, [["nmControlled", /applies to format "ifcfg" only \(format is "interfaces"\)/]]],
        ["nmControlled with ifcfg", { nmControlled: true, format: "ifcfg" }, []],
        ["MAC address", { macAddress: "52-54-00-0a-4d-15" }, [["macAddress", /is not a MAC address like 52:54:00:12:34:56/]]],
        ["multicast MAC address", { macAddress: "01:00:5e:00:00:01" }, [["macAddress", /is a multicast address/]]],
        ["IPv4 DNS for NetworkManager without an IPv4 address", { format: "networkmanager", addresses: ["2001:db8:77::21/64"], gateway: undefined, routes: [] }, [["dns[0]", /is IPv4, but the interface has no IPv4 address/]]],
    ];

    test("the good spec has no issues", () => assert.deepEqual(validateStaticInterface(ok), []));

    for (const [name, change, expected] of cases) {
        test(name, () => {
            const spec = { ...ok, ...change };
            const issues = validateStaticInterface(spec);
            assert.deepEqual(issues.map((i) => i.field), expected.map(([field]) => field), JSON.stringify(issues, null, 2));
            issues.forEach((issue, i) => {
                assert.ok(issue.message.startsWith(`\`${issue.field}\`: `), issue.message);
                assert.match(issue.message, expected[i][1]);
            });
        });
    }
});

// ---------------------------------------------------------------------------------------------
// `auto`

describe("chooseFormat", () => {
    const facts = (osFamily: FormatFacts["osFamily"], osId: string, osVersion: string, tools: string[]): FormatFacts => ({
        osFamily, osId, osVersion, tools: Object.fromEntries(tools.map((t) => [t, true])),
    });
    const table: [FormatFacts, StaticInterfaceFormat][] = [
        [facts("rhel", "centos", "7", ["ifup", "nmcli"]), "ifcfg"],
        [facts("rhel", "rhel", "8.9", ["ifup", "nmcli"]), "ifcfg"],
        [facts("rhel", "rocky", "9.3", ["nmcli"]), "networkmanager"],
        [facts("rhel", "almalinux", "10.0", ["nmcli"]), "networkmanager"],
        [facts("rhel", "fedora", "40", ["nmcli"]), "networkmanager"],
        [facts("rhel", "amzn", "2", ["ifup"]), "ifcfg"],
        [facts("debian", "debian", "12", ["ifup"]), "interfaces"],
        [facts("debian", "ubuntu", "16.04", ["ifup"]), "interfaces"],
        [facts("debian", "ubuntu", "18.04", ["netplan"]), "netplan"],
        [facts("debian", "ubuntu", "24.04", ["netplan", "nmcli"]), "netplan"],
    ];
    for (const [f, expected] of table) {
        test(`${f.osId} ${f.osVersion} → ${expected}`, () => assert.deepEqual({ ...chooseFormat(f), why: "" }, { ok: true, format: expected, why: "" }));
    }

    test("a device a running service has gets that service's format; other devices and old facts the OS's", () => {
        const debian = { ...facts("debian", "debian", "12", ["ifup", "netplan", "nmcli"]), managers: { eth1: "networkmanager", eth2: "netplan" } } as FormatFacts;
        assert.deepEqual(chooseFormat(debian, "eth1"), { ok: true, format: "networkmanager", why: "eth1 is run by NetworkManager" });
        assert.deepEqual(chooseFormat(debian, "eth2"), { ok: true, format: "netplan", why: "eth2 is run by netplan" });
        assert.equal((chooseFormat(debian, "eth0") as { format: string }).format, "interfaces", "a device no service has");
        assert.equal((chooseFormat(debian, "constructor") as { format: string }).format, "interfaces", "no prototype key");
        assert.equal((chooseFormat(debian) as { format: string }).format, "interfaces", "no device");
        const noTool = { ...debian, tools: { ifup: true } };
        assert.equal((chooseFormat(noTool, "eth1") as { format: string }).format, "interfaces", "the service's tool is missing: the OS decides");
    });

    test("the natural format's tool is missing: the error names it and the tools that are there", () => {
        const choice = chooseFormat(facts("debian", "ubuntu", "22.04", ["nmcli"]));
        assert.deepEqual(choice, {
            ok: false,
            natural: "netplan",
            message: '`format`: auto picks "netplan" for ubuntu 22.04, but `netplan` is not installed; the host has nmcli (format "networkmanager"); install it or set `format`',
        });
        const none = chooseFormat(facts("debian", "debian", "12", []));
        assert.ok(!none.ok && /`ifup` is not installed; install it/.test(none.message), JSON.stringify(none));
    });

    test("an unknown OS or version is refused, not guessed", () => {
        const refused = (f: FormatFacts) => {
            const choice = chooseFormat(f);
            return choice.ok ? `picked ${choice.format}` : choice.message;
        };
        assert.match(refused(facts("other", "arch", "", ["ip"])), /auto knows no format for "arch"/);
        assert.match(refused(facts("rhel", "centos", "", ["ifup"])), /cannot read the version of centos/);
        assert.match(refused(facts("rhel", "amzn", "2023", ["ip"])), /amzn 2023 \(it uses systemd-networkd\)/);
    });
});
