import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { FlowSpec, OvsMesh } from "pulumi-onprem";

interface HostEntry {
    name: string;
    address: string;
    port?: number;
    user?: string;
    privateKeyPath: string;
    hostPublicKey: string;
    underlayAddress: string;
    secondInterface?: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const datapathType = (config.get("datapathType") ?? "system") as "system" | "netdev";
const stpText = config.get("stp") ?? "rstp";
const stp = stpText === "rstp" ? "rstp" : stpText === "true";
const quarantine = config.getObject<string[]>("quarantine") ?? [];

// Seed 004 joins hosts with VXLAN, tags ports with VLANs and steers traffic with OpenFlow rules. Here every
// host's containers sit on VLAN 100 (the tag on the bridge's own port, which the Docker bridge uses), the
// first host has an extra VLAN 200 port, and addresses in `quarantine` are cut off by drop rules.
const flows: FlowSpec[] = [
    ...quarantine.map((address) => ({ priority: 100, match: `ip,nw_dst=${address}`, actions: "drop" })),
    // ARP is switched normally whatever other rules say (seed 004's "dl_type=0x0806" rule).
    { priority: 10, match: "dl_type=0x0806", actions: "NORMAL" },
];

const mesh = new OvsMesh("vx", {
    hosts: hosts.map((h) => ({
        name: h.name,
        connection: { host: h.address, port: h.port, user: h.user, privateKey: fs.readFileSync(h.privateKeyPath, "utf8"), hostKey: h.hostPublicKey },
        underlayAddress: h.underlayAddress,
        underlayPort: h.secondInterface,
    })),
    bridge: "ovs0",
    tunnel: { type: "vxlan", key: config.getNumber("vni") ?? 5001 },
    stp,
    containerNetwork: config.get("containerNetwork") ?? "192.168.0.0/16",
    hostPrefixLength: 24,
    vlans: [
        { port: "ovs0", tag: 100 },
        { port: "vlan200", tag: 200, hosts: [hosts[0].name] },
    ],
    flows,
    docker: { mode: (config.get("dockerMode") ?? "daemon-json") as "daemon-json" | "default-file" | "none" },
    datapathType,
    ...(datapathType === "netdev" ? { underlayBridge: { name: "br-phy" } } : {}),
});

export const meshHosts = mesh.hosts;
export const mtu = mesh.mtu;
export const flowCookie = mesh.flowCookie;
export const notes = mesh.notes;
