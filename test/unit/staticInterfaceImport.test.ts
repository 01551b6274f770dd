/**
 * The StaticInterface importer (provider/import/staticInterface*.ts): every valid spec the renderers write
 * reads back to the same interface with nothing reported, in all four formats; hand-written files in the
 * ways operators write them (seed 000 and the like) map to the expected args with the expected report lines.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type HostFile, type StaticInterfaceImport, importStaticInterface } from "../../provider/import/staticInterfaceImport";
import type { StaticInterfaceFormat, StaticInterfaceInput } from "../../provider/plan/staticInterface/args";
import type { ResolvedStaticInterface } from "../../provider/plan/staticInterface/model";
import { parseStaticInterface } from "../../provider/plan/staticInterface/validate";
import { staticInterfaceFiles } from "../../provider/work/staticInterface";
import { seededRandom } from "../support/seededRandom";

const FIXTURES = join(__dirname, "..", "golden", "import", "static-interface");
const FORMATS: StaticInterfaceFormat[] = ["ifcfg", "interfaces", "netplan", "networkmanager"];

const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

function resolve(input: StaticInterfaceInput & { format: StaticInterfaceFormat }): ResolvedStaticInterface {
    const parsed = parseStaticInterface(input);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.value;
}

/** Renders the spec and imports what was rendered: ifcfg-<dev> with its route files, or the one file. */
function roundTrip(r: ResolvedStaticInterface): { files: ReturnType<typeof staticInterfaceFiles>; imported: StaticInterfaceImport } {
    const files = staticInterfaceFiles(r);
    const main = files.find((f) => r.format !== "ifcfg" || /\/ifcfg-/.test(f.path))!;
    const routeFiles: HostFile[] = files.filter((f) => f !== main).map((f) => ({ path: f.path, text: f.content }));
    return { files, imported: importStaticInterface(r.format, main.path, main.content, routeFiles) };
}

/**
 * What a format keeps of an interface: ifcfg, ifupdown and NetworkManager write routes per family (so only the
 * order within a family survives), and NetworkManager keeps DNS servers per family too.
 */
function asKept(r: ResolvedStaticInterface): ResolvedStaticInterface {
    const byFamily = <T>(list: T[], family: (x: T) => number) => [...list].sort((a, b) => family(a) - family(b));
    const gateways = r.routes.filter((x) => x.destination === "default");
    const routes = r.routes.filter((x) => x.destination !== "default");
    return {
        ...r,
        routes: [...gateways, ...(r.format === "netplan" ? routes : byFamily(routes, (x) => x.family))],
        dns: r.format === "networkmanager" ? byFamily(r.dns, (d) => (d.includes(":") ? 6 : 4)) : r.dns,
    };
}

// ---------------------------------------------------------------------------------------------
// Generated specs: a seeded generator, so a failure names the seed that reproduces it.

/** A valid spec: 0-3 IPv4 subnets and 0-2 IPv6 ones (at least one address), optional gateways, DNS, search domains, routes, MTU, MAC. */
function generateSpec(seed: number, format: StaticInterfaceFormat): StaticInterfaceInput & { format: StaticInterfaceFormat } {
    const next = seededRandom(seed);
    const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
    const pick = <T>(list: readonly T[]) => list[int(0, list.length - 1)];
    const maybe = <T>(make: () => T): T | undefined => (next() < 0.5 ? make() : undefined);
    const some = <T>(pool: readonly T[], max: number) => [...pool].sort(() => next() - 0.5).slice(0, int(0, max));

    let v4 = int(0, 3);
    const v6 = int(0, 2);
    if (v4 + v6 === 0) v4 = 1;
    const octet = int(0, 255);
    // Host parts 2-253 keep .1 (gateway) and .254 (next hop) free and never hit a network or broadcast address.
    const ipv4 = Array.from({ length: v4 }, (_, k) => `10.${k + 1}.${octet}.${int(2, 253)}/${pick([16, 24])}`);
    // Host parts from 0x100 keep ::1 (gateway) and ::fe (next hop) free.
    const ipv6 = Array.from({ length: v6 }, (_, k) => `2001:db8:${k + 1}::${int(0x100, 0xffff).toString(16)}/64`);
    const families = [...(v4 > 0 ? [4] : []), ...(v6 > 0 ? [6] : [])];
    const routes = Array.from({ length: int(0, 3) }, (_, n) => {
        const family = pick(families);
        return {
            destination: family === 4 ? `172.${16 + n}.0.0/16` : `2001:db8:${(0x90 + n).toString(16)}::/48`,
            ...(next() < 0.7 ? { via: family === 4 ? `10.1.${octet}.254` : pick(["2001:db8:1::fe", "fe80::1"]) } : {}),
            ...(next() < 0.4 ? { metric: int(0, 2000) } : {}),
            ...(next() < 0.3 ? { table: int(1, 300) } : {}),
        };
    });
    const dnsPool = [...(v4 > 0 ? ["8.8.8.8", "1.1.1.1", "9.9.9.9"] : []), ...(v6 > 0 ? ["2001:4860:4860::8888", "2606:4700:4700::1111"] : [])];
    const spec = {
        device: pick(["eth0", "eth1", "enp0s3", "ens192", "eth0.100", "lan_2-a"]),
        addresses: [...ipv4, ...ipv6].sort(() => next() - 0.5),
        gateway: v4 > 0 ? maybe(() => `10.1.${octet}.1`) : undefined,
        gateway6: v6 > 0 ? maybe(() => pick(["2001:db8:1::1", "fe80::1"])) : undefined,
        dns: some(dnsPool, 3),
        searchDomains: some(["example.com", "lab.example", "corp.internal", "a-b.example"], 3),
        routes,
        mtu: maybe(() => int(1280, 9000)),
        onBoot: maybe(() => next() < 0.5),
        macAddress: maybe(() => pick(["52:54:00:0a:4d:15", "52:54:00:AB:CD:EF"])),
        format,
        nmControlled: format === "ifcfg" ? maybe(() => next() < 0.5) : undefined,
    };
    // Absent, not undefined: the args as a program would write them.
    return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as typeof spec;
}

const RUNS = 100;

describe("rendered files import back to the same interface", () => {
    for (const format of FORMATS) {
        test(`${format}: ${RUNS} generated specs`, () => {
            for (let seed = 1; seed <= RUNS; seed++) {
                const spec = generateSpec(seed * 7919, format);
                const original = resolve(spec);
                const { files, imported } = roundTrip(original);
                const context = `seed ${seed * 7919}: ${JSON.stringify(spec)}\n${files.map((f) => f.content).join("\n")}`;
                assert.deepEqual(imported.unexpressed, [], context);
                const back = resolve({ ...imported.args, format });
                assert.deepEqual(back, asKept(original), context);
                assert.deepEqual(staticInterfaceFiles(back), files, context);
            }
        });
    }

    test("the generator covers what it should: routes with and without next hops, metrics, tables, both families, MACs", () => {
        const specs = Array.from({ length: RUNS }, (_, i) => generateSpec((i + 1) * 7919, "netplan"));
        const routes = specs.flatMap((s) => s.routes ?? []) as { via?: string; metric?: number; table?: number; destination: string }[];
        assert.ok(routes.some((r) => r.via === undefined) && routes.some((r) => r.via !== undefined));
        assert.ok(routes.some((r) => r.metric !== undefined) && routes.some((r) => r.table !== undefined));
        assert.ok(routes.some((r) => r.destination.includes(":")) && routes.some((r) => !r.destination.includes(":")));
        assert.ok(specs.some((s) => s.macAddress !== undefined) && specs.some((s) => s.onBoot === false) && specs.some((s) => s.gateway6 !== undefined));
    });
});

// ---------------------------------------------------------------------------------------------
// Hand-written files

/** The report as [line, text] with a pattern its reason must match. */
function assertReport(imported: StaticInterfaceImport, expected: [string, number, string, RegExp][]): void {
    assert.deepEqual(imported.unexpressed.map((u) => [u.path, u.line, u.text]), expected.map(([path, line, text]) => [path, line, text]));
    imported.unexpressed.forEach((u, i) => assert.match(u.why, expected[i][3], `${u.path}:${u.line}`));
}

const IFCFG_DIR = "/etc/sysconfig/network-scripts";

describe("hand-written files", () => {
    test("seed 000: ifcfg-enp0s3 with IPADDR, NETMASK, GATEWAY, DNS1/DNS2, quoted and unquoted, a trailing comment", () => {
        const path = `${IFCFG_DIR}/ifcfg-enp0s3`;
        const imported = importStaticInterface("ifcfg", path, fixture("ifcfg-enp0s3"));
        assert.deepEqual(imported.args, {
            device: "enp0s3",
            addresses: ["192.168.0.193/24"],
            gateway: "192.168.0.1",
            dns: ["8.8.8.8", "8.8.4.4"],
            onBoot: true,
            macAddress: "08:00:27:ab:cd:ef",
            format: "ifcfg",
            nmControlled: false,
        });
        assertReport(imported, [
            [path, 7, 'NAME="enp0s3"', /names the connection itself/],
            [path, 8, 'UUID="0c7b6bc5-2a44-4c35-9a3d-3b0a0b6e3c1a"', /UUID of its own/],
        ]);
    });

    test("ifcfg with DHCP, bonding, a shell expansion, an address without a prefix, a repeated key, and a route file", () => {
        const path = `${IFCFG_DIR}/ifcfg-eth1`;
        const routes = `${IFCFG_DIR}/route-eth1`;
        const imported = importStaticInterface("ifcfg", path, fixture("ifcfg-eth1"), [{ path: routes, text: fixture("route-eth1") }]);
        assert.deepEqual(imported.args, {
            device: "eth1",
            addresses: ["10.0.1.5/24", "10.0.2.5/24"],
            gateway: "10.0.1.254",
            searchDomains: ["example.com", "lab.example"],
            routes: [{ destination: "10.20.0.0/16", via: "10.0.1.1" }],
            mtu: 1462,
            onBoot: true,
            format: "ifcfg",
        });
        assertReport(imported, [
            [path, 3, "BOOTPROTO=dhcp", /DHCP/],
            [path, 4, "ONBOOT=no", /set again on line 14/],
            [path, 9, "IPADDR2=10.0.3.5", /no PREFIX2 or NETMASK2/],
            [path, 11, "DNS1=$RESOLVER", /shell to expand/],
            [path, 13, "MASTER=bond0", /bonding/],
            [routes, 4, "10.30.0.0/16 via 10.0.2.1 src 10.0.2.5", /`src 10\.0\.2\.5`/],
            [routes, 5, "10.40.0.0/16 via 10.0.2.1 dev eth0", /on eth0, not eth1/],
        ]);
    });

    test("ifcfg: the ADDRESSn/NETMASKn/GATEWAYn route form; METRICn is reported (ifup-routes ignores it)", () => {
        const text = "DEVICE=eth2\nIPADDR=10.5.0.2\nPREFIX=24\n";
        const routes = { path: `${IFCFG_DIR}/route-eth2`, text: "ADDRESS0=10.60.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.5.0.1\nADDRESS1=10.61.0.0\nNETMASK1=255.255.0.0\nMETRIC1=5\n" };
        const imported = importStaticInterface("ifcfg", `${IFCFG_DIR}/ifcfg-eth2`, text, [routes]);
        assert.deepEqual(imported.args.routes, [{ destination: "10.60.0.0/16", via: "10.5.0.1" }, { destination: "10.61.0.0/16" }]);
        assertReport(imported, [[routes.path, 6, "METRIC1=5", /ignores METRICn/]]);
    });

    test("a value the args reject is kept and reported with the validator's message at its line", () => {
        const path = `${IFCFG_DIR}/ifcfg-eth3`;
        const imported = importStaticInterface("ifcfg", path, "DEVICE=eth3\nIPADDR=10.5.0.2\nNETMASK=255.255.255.0\nGATEWAY=10.6.0.1\n");
        assert.equal(imported.args.gateway, "10.6.0.1");
        assertReport(imported, [[path, 4, "GATEWAY=10.6.0.1", /^the args reject this: `gateway`: 10\.6\.0\.1 is outside the interface's IPv4 subnets \(10\.5\.0\.0\/24\)$/]]);
    });

    test("interfaces: lo and a DHCP interface beside it, netmask form, dns-*, `up ip route add` mapped, other hooks reported", () => {
        const path = "/etc/network/interfaces";
        const imported = importStaticInterface("interfaces", path, fixture("interfaces"));
        assert.deepEqual(imported.args, {
            device: "eth0",
            addresses: ["192.168.0.193/24", "2001:db8::193/64"],
            gateway: "192.168.0.1",
            gateway6: "2001:db8::1",
            dns: ["8.8.8.8", "8.8.4.4"],
            searchDomains: ["example.com"],
            routes: [{ destination: "10.20.0.0/16", via: "192.168.0.254" }],
            onBoot: true,
            format: "interfaces",
        });
        assertReport(imported, [
            [path, 2, "auto lo", /only eth0 is imported/],
            [path, 3, "iface lo inet loopback", /second interface \(lo\)/],
            [path, 15, "up route add -net 10.30.0.0 netmask 255.255.0.0 gw 192.168.0.254", /hooks are not expressed/],
            [path, 16, "post-up ip route add 10.40.0.0/16 via 192.168.0.254 || true", /hooks are not expressed/],
            [path, 22, "allow-hotplug eth1", /only eth0 is imported/],
            [path, 23, "iface eth1 inet dhcp", /second interface \(eth1\)/],
        ]);
    });

    test("interfaces: `address a/prefix`, a second address in one stanza, a route delete that adds nothing, allow-hotplug", () => {
        const path = "/etc/network/interfaces.d/ens3";
        const text = [
            "allow-hotplug ens3",
            "iface ens3 inet static",
            "  address 10.9.0.5/24",
            "  address 10.9.1.5/24",
            "  mtu 1500",
            "  pre-down ip route del 10.99.0.0/16 via 10.9.0.1",
            "  hwaddress ether 52:54:00:12:34:56",
        ].join("\n");
        const imported = importStaticInterface("interfaces", path, text);
        assert.deepEqual(imported.args, { device: "ens3", addresses: ["10.9.0.5/24"], mtu: 1500, onBoot: true, format: "interfaces" });
        assertReport(imported, [
            [path, 1, "allow-hotplug ens3", /writes `auto`/],
            [path, 4, "address 10.9.1.5/24", /only the first `address`/],
            [path, 6, "pre-down ip route del 10.99.0.0/16 via 10.9.0.1", /deletes a route this file does not add/],
            [path, 7, "hwaddress ether 52:54:00:12:34:56", /setting the NIC's address/],
        ]);
    });

    test("netplan: dhcp4 no, flow lists, gateway4, nameservers; on-link, optional and a second ethernet reported", () => {
        const path = "/etc/netplan/01-netcfg.yaml";
        const imported = importStaticInterface("netplan", path, fixture("01-netcfg.yaml"));
        assert.deepEqual(imported.args, {
            device: "enp0s3",
            addresses: ["192.168.0.193/24"],
            gateway: "192.168.0.1",
            dns: ["8.8.8.8", "8.8.4.4"],
            searchDomains: ["example.com"],
            onBoot: true,
            format: "netplan",
        });
        assertReport(imported, [
            [path, 16, "on-link: true", /the route is left out/],
            [path, 17, "optional: true", /`optional` is not expressed/],
            [path, 18, "enp0s8:", /second interface \(enp0s8\)/],
        ]);
    });

    test("netplan that is not YAML is reported, not guessed", () => {
        const imported = importStaticInterface("netplan", "/etc/netplan/x.yaml", "network:\n  ethernets:\n    eth0: [\n");
        assert.equal(imported.args.device, "");
        assert.ok(imported.unexpressed.some((u) => /not valid YAML/.test(u.why)));
    });

    test("NetworkManager keyfile as nmcli writes it: address with its gateway, route with table, IPv6 auto reported", () => {
        const path = "/etc/NetworkManager/system-connections/enp0s3.nmconnection";
        const imported = importStaticInterface("networkmanager", path, fixture("enp0s3.nmconnection"));
        assert.deepEqual(imported.args, {
            device: "enp0s3",
            addresses: ["192.168.0.193/24"],
            gateway: "192.168.0.1",
            dns: ["8.8.8.8", "8.8.4.4"],
            routes: [{ destination: "10.20.0.0/16", via: "192.168.0.254", metric: 100, table: 100 }],
            onBoot: true,
            macAddress: "08:00:27:ab:cd:ef",
            format: "networkmanager",
        });
        assertReport(imported, [
            [path, 3, "id=enp0s3", /names the connection itself/],
            [path, 4, "uuid=0c7b6bc5-2a44-4c35-9a3d-3b0a0b6e3c1a", /UUID of its own/],
            [path, 22, "addr-gen-mode=stable-privacy", /`ipv6\.addr-gen-mode` is not expressed/],
            [path, 23, "method=auto", /DHCP and autoconfiguration/],
        ]);
    });
});
