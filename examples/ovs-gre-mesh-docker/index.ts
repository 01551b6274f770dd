import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { OvsMesh } from "pulumi-onprem";

interface HostEntry {
    name: string;
    address: string;
    port?: number;
    user?: string;
    privateKeyPath: string;
    hostPublicKey: string;
    underlayAddress: string;
    secondInterface?: string;
    /** Tunnel ports made by hand before, by peer host name: kept under their names (seed 003's gre1, gre2). */
    tunnelPortNames?: Record<string, string>;
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const datapathType = (config.get("datapathType") ?? "system") as "system" | "netdev";
const stpText = config.get("stp") ?? "true";
const stp = stpText === "rstp" ? "rstp" : stpText === "true";
const tunnelType = (config.get("tunnel") ?? "gre") as "gre" | "vxlan" | "geneve";

// Seed 003: br0 with GRE tunnels between every pair of hosts and spanning tree against the loops they make,
// MTU 1500 - 38 = 1462, a docker0 bridge per host at 172.17.42.N/16 on top of br0, and each Docker daemon
// handing out addresses from its own /18 (host1 172.17.64.0/18, host2 .128.0/18, host3 .192.0/18).
const mesh = new OvsMesh("mesh", {
    hosts: hosts.map((h) => ({
        name: h.name,
        connection: { host: h.address, port: h.port, user: h.user, privateKey: fs.readFileSync(h.privateKeyPath, "utf8"), hostKey: h.hostPublicKey },
        underlayAddress: h.underlayAddress,
        underlayPort: h.secondInterface,
        tunnelPortNames: h.tunnelPortNames,
    })),
    bridge: "br0",
    tunnel: { type: tunnelType },
    stp,
    underlayMtu: config.getNumber("underlayMtu"),
    containerNetwork: config.get("containerNetwork") ?? "172.17.0.0/16",
    hostPrefixLength: config.getNumber("hostPrefixLength") ?? 18,
    bridgeAddressBlock: config.get("bridgeAddressBlock") ?? "172.17.42.0/24",
    dockerBridge: "docker0",
    // The seed also bound the API to tcp://0.0.0.0:2375: OvsMesh refuses a TCP listener without TLS.
    docker: { mode: (config.get("dockerMode") ?? "daemon-json") as "daemon-json" | "default-file" | "none" },
    datapathType,
    ...(datapathType === "netdev" ? { underlayBridge: { name: "br-phy" } } : {}),
});

export const meshHosts = mesh.hosts;
export const mtu = mesh.mtu;
export const notes = mesh.notes;
