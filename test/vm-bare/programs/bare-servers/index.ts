// Every resource on bare servers: what each needs comes from the hosts' own package manager during `up`.
// Each part is switched on by the stack's config, so a test can run them one at a time.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { ConnectionArgs, DockerRegistry, HostConfig, KeepalivedCluster, OvsMesh } from "pulumi-onprem";

interface HostEntry {
    name: string;
    address: string;
    privateKeyPath: string;
    hostPublicKey: string;
    underlayAddress: string;
    secondInterface: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const connection = (h: HostEntry): ConnectionArgs => ({
    host: h.address,
    privateKey: fs.readFileSync(h.privateKeyPath, "utf8"),
    hostKey: h.hostPublicKey,
    commandTimeoutSeconds: config.getNumber("commandTimeoutSeconds"),
});

// A plain host resource with a file and the packages the config names: the install path's faults.
const probePackages = config.getObject<string[]>("probePackages");
if (probePackages) {
    new HostConfig("probe", {
        connection: connection(hosts[0]),
        kind: "install-probe",
        files: [{ path: "/etc/onprem-test/probe.conf", content: `packages ${probePackages.join(" ")}\n` }],
        packages: probePackages.map((name) => ({ name })),
        commandTimeoutSeconds: config.getNumber("commandTimeoutSeconds"),
    });
}

if (config.getBoolean("keepalived")) {
    const vip = config.require("vip");
    new KeepalivedCluster("lvs", {
        nodes: hosts.map((h) => ({ name: h.name, connection: connection(h), address: h.address, interface: "eth0", interfaceCidr: `${h.address}/24` })),
        instances: [{ name: "VI_1", virtualRouterId: 71, master: hosts[0].name, vips: [vip], auth: { type: "PASS", password: config.requireSecret("vrrpPassword") } }],
        virtualServers: [{ address: vip, port: 80, protocol: "TCP", lbAlgo: "rr", lbKind: "NAT", realServers: hosts.map((h) => ({ address: h.address, port: 8080, check: { type: "TCP_CHECK" } })) }],
    });
}

if (config.getBoolean("mesh")) {
    const mesh = new OvsMesh("mesh", {
        hosts: hosts.map((h) => ({ name: h.name, connection: connection(h), underlayAddress: h.underlayAddress, underlayPort: h.secondInterface })),
        bridge: "br0",
        tunnel: { type: "gre" },
        containerNetwork: "172.18.0.0/16",
        dockerBridge: "docker0",
    });
    exports.meshMtu = mesh.mtu;
}

if (config.getBoolean("registry")) {
    const registry = new DockerRegistry("registry", {
        connection: connection(hosts[hosts.length - 1]),
        runtime: "native",
        address: hosts[hosts.length - 1].address,
        tls: { mode: "off", insecure: true },
    });
    exports.registryUrl = registry.url;
}
