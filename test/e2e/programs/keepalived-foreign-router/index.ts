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
const foreignRouterCheck = (config.get("foreignRouterCheck") ?? "firstUp") as "firstUp" | "always" | "never";

const cluster = new KeepalivedCluster("lb", {
    nodes: hosts.map((h) => ({
        name: h.name,
        connection: { host: h.address, port: h.port, user: h.user, privateKey: fs.readFileSync(h.privateKeyPath, "utf8"), hostKey: h.hostPublicKey },
        address: h.address,
        interface: "eth0",
        interfaceCidr: `${h.address}/24`,
    })),
    instances: [{ name: "VI_1", virtualRouterId: 51, master: hosts[0].name, advertInt: 1, vips: [config.require("vip")] }],
    foreignRouterCheck,
});

export const expectedHolders = cluster.expectedHolders;
