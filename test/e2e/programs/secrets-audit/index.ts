import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { HostFile, KeepalivedCluster } from "pulumi-onprem";

interface HostEntry { name: string; address: string; port?: number; user?: string; privateKeyPath: string; hostPublicKey: string }
const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const connection = (h: HostEntry) => ({ host: h.address, port: h.port, user: h.user, privateKey: fs.readFileSync(h.privateKeyPath, "utf8"), hostKey: h.hostPublicKey });

const cluster = new KeepalivedCluster("vrrp", {
    nodes: hosts.map((h) => ({ name: h.name, connection: connection(h), address: h.address, interface: "eth0", interfaceCidr: `${h.address}/24` })),
    instances: [{ name: "VI_1", virtualRouterId: 61, master: hosts[0].name, vips: [config.require("vip")], auth: { type: "PASS", password: config.requireSecret("vrrpPassword") } }],
});
// No mode given: a file that holds a secret must still not be world-readable.
const file = new HostFile("token", {
    connection: connection(hosts[0]),
    path: "/etc/onprem-audit/token.conf",
    content: "token = {{secret:token}}\n",
    secrets: { token: config.requireSecret("token") },
});
export const holders = cluster.expectedHolders;
export const files = cluster.files;
export const content = file.content;
