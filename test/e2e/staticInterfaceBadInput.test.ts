import { strict as assert } from "node:assert";
import { test } from "node:test";
import { BadInputCase, expectPreviewRefusals, previewProject } from "../support/badInput";
import { KEY } from "../support/badCorpus";
import { setObjectConfig } from "../support/pulumi";

type Args = Record<string, unknown> & { routes?: Record<string, unknown>[] };
// An explicit format: preview renders without connecting anywhere.
const good = (): Args => ({
    connection: { host: "10.0.0.11", privateKey: KEY /* parses, reaches nothing */ },
    device: "eth1",
    format: "interfaces",
    addresses: ["10.0.0.21/24", "10.0.1.21/24"],
    gateway: "10.0.0.1",
    dns: ["10.0.0.53"],
    routes: [{ destination: "10.90.0.0/16", via: "10.0.1.1", metric: 100 }],
    confirmTimeoutSeconds: 15,
});

const cases: BadInputCase<Args>[] = [
    ["prefix 33", (a) => (a.addresses = ["10.0.0.21/33"]), /`addresses\[0\]`: "10\.0\.0\.21\/33": prefix length "33" is outside 1-32/],
    ["no prefix", (a) => (a.addresses = ["10.0.0.21"]), /`addresses\[0\]`: "10\.0\.0\.21" has no prefix length/],
    ["gateway outside the subnets", (a) => (a.gateway = "192.0.2.1"), /`gateway`: 192\.0\.2\.1 is outside the interface's IPv4 subnets/],
    ["duplicate address", (a) => (a.addresses = ["10.0.0.21/24", "10.0.0.21/24"]), /`addresses\[1\]`: 10\.0\.0\.21 is already addresses\[0\]/],
    ["invalid device name", (a) => (a.device = "eth1/evil"), /`device`: "eth1\/evil" is not a valid interface name/],
    ["device name too long", (a) => (a.device = "averyveryverylongname"), /`device`: .* is not a valid interface name/],
    ["MTU below 68", (a) => (a.mtu = 60), /`mtu`: 60 is outside 68-65535/],
    ["MTU below 1280 with IPv6", (a) => { a.addresses = ["10.0.0.21/24", "10.0.1.21/24", "2001:db8::21/64"]; a.mtu = 1200; }, /`mtu`: 1200 is below 1280, the IPv6 minimum/],
    ["network address as host address", (a) => (a.addresses = ["10.0.0.0/24"]), /`addresses\[0\]`: 10\.0\.0\.0\/24 /],
    ["route via outside the subnets", (a) => (a.routes = [{ destination: "10.90.0.0/16", via: "172.16.0.1" }]), /`routes\[0\]\.via`: 172\.16\.0\.1 is outside/],
    ["route destination with host bits", (a) => (a.routes = [{ destination: "10.90.0.1/16", via: "10.0.1.1" }]), /`routes\[0\]\.destination`: 10\.90\.0\.1\/16 has host bits set/],
    ["four DNS servers", (a) => (a.dns = ["10.0.0.53", "10.0.0.54", "10.0.0.55", "10.0.0.56"]), /`dns`: has 4 servers/],
    ["unknown format", (a) => (a.format = "yaml"), /`format`: "yaml" is not one of ifcfg, interfaces, netplan, networkmanager/],
    ["nmControlled on netplan", (a) => { a.format = "netplan"; a.nmControlled = true; }, /`nmControlled`: applies to format "ifcfg" only/],
    ["confirm timeout too short", (a) => (a.confirmTimeoutSeconds = 3), /`confirmTimeoutSeconds`: 3 is not a whole number of seconds of at least 10/],
];

test("StaticInterface bad input fails at `pulumi preview`, naming the field, with no SSH connection", async (t) => {
    const { project, dials } = previewProject(t, "test/e2e/programs/static-interface-args");

    setObjectConfig(project, { interfaces: { si: good() } });
    const clean = project.pulumi(["preview", "--diff"]);
    assert.match(clean.out, /\/etc\/network\/interfaces\.d\/eth1/, "the unbroken input previews its rendered file");

    expectPreviewRefusals(t, project, { label: "StaticInterface si", good, config: (si) => ({ interfaces: { si } }), cases });
    assert.deepEqual(dials(), [], "no process dialled anything");
});
