import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { KeepalivedCluster, VrrpInstanceArgs } from "pulumi-onprem";

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
const [vip1, vip2, ...moreVips] = config.requireObject<string[]>("vips");
const password = config.requireSecret("vrrpPassword");
const iface = config.get("interface") ?? "eth0";
const prefixLength = config.getNumber("prefixLength") ?? 24;
// Optional: explicit priorities for VI_2 instead of "hosts[1] is master".
const vi2Priorities = config.getObject<Record<string, number>>("vi2Priorities");
// Optional: nodes in maintenance (`pulumi config set --path 'maintenance[0]' lb1`): each hands its VIPs to
// the next node and stays out until removed from the list.
const maintenance = config.getObject<string[]>("maintenance") ?? [];
// Optional: an extra track script every node must have (keepalived refuses a config whose script is missing).
const extraCheck = config.get("extraCheckScript");

// Touching /etc/keepalived/down on a node hands its VIPs over (weight -20 drops it below the next node).
const trackScripts = ["chk_down", ...(extraCheck ? ["chk_extra"] : [])];
// keepalived runs this on every state change with TYPE NAME STATE PRIORITY; it is shipped with the config.
const notify = { notify: "/etc/keepalived/notify.sh" };
const instances: VrrpInstanceArgs[] = [
    { name: "VI_1", virtualRouterId: 51, master: hosts[0].name, vips: [vip1, ...moreVips], auth: { type: "PASS", password }, trackScripts, notify },
    {
        name: "VI_2",
        virtualRouterId: 52,
        ...(vi2Priorities ? { priorities: vi2Priorities } : { master: hosts[1].name }),
        vips: [vip2],
        auth: { type: "PASS", password },
        trackScripts,
        notify,
    },
];

const cluster = new KeepalivedCluster("lb", {
    nodes: hosts.map((h) => ({
        name: h.name,
        connection: { host: h.address, port: h.port, user: h.user, privateKey: fs.readFileSync(h.privateKeyPath, "utf8"), hostKey: h.hostPublicKey },
        address: h.address,
        interface: iface,
        interfaceCidr: `${h.address}/${prefixLength}`,
    })),
    instances,
    maintenance,
    globalDefs: { enableScriptSecurity: true },
    scripts: {
        chk_down: { script: "/usr/bin/test ! -f /etc/keepalived/down", interval: 1, weight: -20 },
        ...(extraCheck ? { chk_extra: { script: extraCheck, interval: 2, weight: -20 } } : {}),
    },
    scriptFiles: [{ path: notify.notify, content: '#!/bin/sh\necho "$3" > "/run/keepalived-$2.state"\n', mode: "0755" }],
});

export const expectedHolders = cluster.expectedHolders;
export const failoverBoundSeconds = cluster.failoverBoundSeconds;
export const notes = cluster.notes;
