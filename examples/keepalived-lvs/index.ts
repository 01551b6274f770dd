import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { KeepalivedCluster } from "pulumi-onprem";

interface HostEntry {
    name: string;
    address: string;
    port?: number;
    user?: string;
    privateKeyPath: string;
    hostPublicKey: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const vip = config.require("vip");
const realServers = config.requireObject<string[]>("realServers").map((s) => {
    const [address, port] = s.split(":");
    return { address, port: Number(port) };
});
const iface = config.get("interface") ?? "eth0";
const prefixLength = config.getNumber("prefixLength") ?? 24;
const servicePort = config.getNumber("servicePort") ?? 80;
const checkPath = config.get("checkPath") ?? "/";
const weight = config.getNumber("weight") ?? 1;

const cluster = new KeepalivedCluster("lvs", {
    nodes: hosts.map((h) => ({
        name: h.name,
        connection: { host: h.address, port: h.port, user: h.user, privateKey: fs.readFileSync(h.privateKeyPath, "utf8"), hostKey: h.hostPublicKey },
        address: h.address,
        interface: iface,
        interfaceCidr: `${h.address}/${prefixLength}`,
    })),
    instances: [{ name: "VI_1", virtualRouterId: 61, master: hosts[0].name, vips: [vip], auth: { type: "PASS", password: config.requireSecret("vrrpPassword") } }],
    // Seed 001's virtual_server: round robin, NAT, persistence 50 s, every real server checked with HTTP_GET.
    virtualServers: [
        {
            address: vip,
            port: servicePort,
            protocol: "TCP",
            lbAlgo: "rr",
            lbKind: "NAT",
            persistenceTimeout: 50,
            delayLoop: 6,
            realServers: realServers.map((rs) => ({
                address: rs.address,
                port: rs.port,
                weight,
                check: { type: "HTTP_GET", urls: [{ path: checkPath, statusCode: 200 }], connectTimeout: 3, retry: 3, delayBeforeRetry: 3 },
            })),
        },
    ],
});

export const files = cluster.files;
export const expectedHolders = cluster.expectedHolders;
export const failoverBoundSeconds = cluster.failoverBoundSeconds;
