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
const iface = config.get("interface") ?? "eth0";
const prefixLength = config.getNumber("prefixLength") ?? 24;

// Seed 001: `state MASTER` / `priority 100` on the first node, BACKUP with lower priorities on the
// others, PASS authentication, advert_int 1. The component derives states and priorities from `master`.
const cluster = new KeepalivedCluster("vrrp", {
    nodes: hosts.map((h) => ({
        name: h.name,
        connection: { host: h.address, port: h.port, user: h.user, privateKey: fs.readFileSync(h.privateKeyPath, "utf8"), hostKey: h.hostPublicKey },
        address: h.address,
        interface: iface,
        interfaceCidr: `${h.address}/${prefixLength}`,
    })),
    instances: [
        {
            name: "VI_1",
            virtualRouterId: 51,
            master: hosts[0].name,
            advertInt: 1,
            vips: [vip],
            auth: { type: "PASS", password: config.requireSecret("vrrpPassword") },
            // Touch /etc/keepalived/maintenance on the master to hand the VIP over without stopping keepalived.
            trackScripts: ["chk_maintenance"],
            notify: { notify: "/etc/keepalived/notify.sh" },
        },
    ],
    globalDefs: { enableScriptSecurity: true },
    scripts: { chk_maintenance: { script: "/usr/bin/test ! -f /etc/keepalived/maintenance", interval: 1, weight: -60 } },
    // keepalived calls it with TYPE NAME STATE PRIORITY on every transition.
    scriptFiles: [{ path: "/etc/keepalived/notify.sh", content: '#!/bin/sh\necho "$3" > "/run/keepalived-$2.state"\n', mode: "0755" }],
});

export const files = cluster.files;
export const expectedHolders = cluster.expectedHolders;
export const failoverBoundSeconds = cluster.failoverBoundSeconds;
