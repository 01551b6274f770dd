/**
 * The components resolve their Args in one generic step (sdk/inputs.ts): Outputs anywhere in the Args,
 * a secret connection, and fields left out reach the parser as the planner's own tests give them.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { DockerRegistry } from "../../sdk/dockerRegistry";
import { OvsMesh } from "../../sdk/ovsMesh";
import { ovsMeshHostWork } from "../../provider/work/ovsMesh";
import { StaticInterface } from "../../sdk/staticInterface";
import { planMesh, seed003 } from "../fixtures/ovsSeeds";
import { mocks, registered, settleRegistrations as settle, value } from "../support/pulumiMocks";


async function inputErrors(name: string): Promise<string[]> {
    for (let k = 0; k < 100 && !registered.has(`${name}-inputs`); k++) await new Promise((r) => setTimeout(r, 10));
    return (registered.get(`${name}-inputs`)?.errors as string[]) ?? [];
}

test("OvsMesh: Outputs in nested fields resolve; osConfig.ovs left out is the documented false", async () => {
    await pulumi.runtime.setMocks(mocks, "components", "ovs");
    const connection = { host: "10.0.0.1", privateKey: pulumi.secret("key") };
    const mesh = new OvsMesh("seed003", {
        hosts: seed003().hosts.map((h) => ({ ...h, underlayAddress: pulumi.output(h.underlayAddress), connection })),
        tunnel: { type: pulumi.output("gre" as const) },
        stp: true,
        containerNetwork: "172.17.0.0/16",
        hostPrefixLength: pulumi.output(18),
        bridgeAddressBlock: "172.17.42.0/24",
        osConfig: { format: pulumi.output("interfaces" as const) },
    });
    const files = await value(mesh.files);
    // What the planner makes of the same declaration, given plainly and without osConfig.
    const declared = seed003();
    delete declared.osConfig;
    const plain = ovsMeshHostWork(planMesh(declared).hosts.host1).files;
    assert.deepEqual(files.host1, Object.fromEntries(plain.map((f) => [f.path, f.content])));
    assert.doesNotMatch(files.host1["/etc/network/interfaces.d/br0"], /ovs_type/);
    assert.equal(await value(mesh.mtu), 1462);
    assert.equal(await mesh.files.isSecret, false, "the connection's key does not make the files secret");
    assert.deepEqual(await inputErrors("seed003"), []);
    await settle();
});

test("OvsMesh: a host's tunnelPortNames given as an Output reach the planner and name its ports", async () => {
    await pulumi.runtime.setMocks(mocks, "components", "ovs-named");
    const connection = { host: "10.0.0.1" };
    const mesh = new OvsMesh("named", {
        ...seed003(),
        hosts: seed003().hosts.map((h) => ({ ...h, connection, ...(h.name === "host1" ? { tunnelPortNames: pulumi.output({ host2: "gre0" }) } : {}) })),
    });
    const hosts = await value(mesh.hosts);
    assert.deepEqual(hosts.host1.tunnelPorts, { host2: "gre0", host3: "gre-host3" });
    assert.deepEqual(hosts.host3.tunnelPorts, { host1: "gre-host1", host2: "gre-host2" });
    assert.match((await value(mesh.files)).host1["/etc/network/interfaces.d/br0"], /ovs_ports gre-host3 gre0\n/);
    assert.deepEqual(await inputErrors("named"), []);
    await settle();
});

test("StaticInterface: Outputs resolve, defaults apply once, and bad input names its field", async () => {
    await pulumi.runtime.setMocks(mocks, "components", "si");
    const ok = new StaticInterface("eth1", {
        connection: { host: "10.0.0.11", password: pulumi.secret("pw") },
        device: "eth1",
        addresses: [pulumi.output("10.0.1.21/24")],
        gateway: pulumi.output("10.0.1.1"),
        format: "interfaces",
    });
    const files = await value(ok.files);
    assert.match(files["10.0.0.11"]["/etc/network/interfaces.d/eth1"], /auto eth1\n/);
    assert.equal(await value(ok.format), "interfaces");
    const bad = new StaticInterface("bad", { connection: { host: "10.0.0.12" }, device: "eth1", addresses: ["10.0.1.21/24"], gateway: "10.9.9.9", format: "netplan" });
    await value(bad.files);
    assert.deepEqual(await inputErrors("bad"), ["StaticInterface bad: `gateway`: 10.9.9.9 is outside the interface's IPv4 subnets (10.0.1.0/24)"]);
    await Promise.all([value(ok.liveAddresses), value(bad.liveAddresses), value(bad.format)]);
    await settle();
});

test("DockerRegistry: a secret proxy password is masked once, and only it: the files stay readable", async () => {
    await pulumi.runtime.setMocks(mocks, "components", "registry");
    const registry = new DockerRegistry("cache", {
        connection: { host: "10.0.0.13", privateKey: pulumi.secret("key") },
        hostnames: [pulumi.output("mirror.lab")],
        tls: { mode: "off", insecure: true },
        proxy: pulumi.output({ remoteUrl: "https://registry-1.docker.io", username: "bot", password: pulumi.secret("t0ken") }),
    });
    const files = await value(registry.files);
    const config = files.registry["/etc/docker/registry/config.yml"];
    assert.match(config, /remoteurl: https:\/\/registry-1\.docker\.io/);
    assert.match(config, /\{\{secret:registry_proxy_password\}\}/);
    assert.ok(!config.includes("t0ken"));
    assert.equal(await registry.files.isSecret, false);
    assert.equal(await value(registry.url), "http://mirror.lab:5000");
    assert.deepEqual(await inputErrors("cache"), []);
    await settle();
});
