import * as fs from "fs";
import { HostConfig, KeepalivedCluster } from "pulumi-onprem";

// The benchmark configuration (see bench/README.md): hosts from the lab's inventory file, one VRRP
// instance over unicast with the first host as master, and three daemon.json keys per host.
// Priorities are explicit (the first host 200, then 149, 148, ...); BENCH_CHANGE=1 is the one-line
// change: the last node's priority becomes 20.
interface HostEntry { name: string; address: string; port: number; user: string; hostPublicKey: string }
const inventory = JSON.parse(fs.readFileSync(process.env.BENCH_INVENTORY!, "utf8")) as { privateKeyPath: string; hosts: HostEntry[] };
const hosts = inventory.hosts;
const privateKey = fs.readFileSync(inventory.privateKeyPath, "utf8");
const connection = (h: HostEntry) => ({ host: h.address, port: h.port, user: h.user, privateKey, hostKey: h.hostPublicKey });
const last = hosts[hosts.length - 1].name;

const cluster = new KeepalivedCluster("vrrp", {
    nodes: hosts.map((h) => ({ name: h.name, connection: connection(h), address: h.address, interface: "eth0", interfaceCidr: `${h.address}/24` })),
    instances: [{
        name: "VI_1",
        virtualRouterId: 51,
        unicast: true,
        advertInt: 1,
        vips: [process.env.BENCH_VIP!],
        auth: { type: "PASS", password: "bench123" },
        // more than 89 hosts span two lab networks: the VIP is then outside the second one's subnet
        allowVipOutsideSubnet: new Set(hosts.map((h) => h.address.split(".").slice(0, 3).join("."))).size > 1,
        priorities: Object.fromEntries(hosts.map((h, i) => [h.name, i === 0 ? 200 : process.env.BENCH_CHANGE === "1" && h.name === last ? 20 : 150 - i])),
    }],
});

for (const h of hosts) {
    new HostConfig(`docker-${h.name}`, {
        connection: connection(h),
        kind: "docker",
        files: [{
            path: "/etc/docker/daemon.json",
            merge: "json-keys",
            content: JSON.stringify({ "log-level": "warn", "max-concurrent-downloads": 6, "insecure-registries": [`${inventory.hosts[0].address}:5000`] }),
        }],
    });
}

export const files = cluster.files;
