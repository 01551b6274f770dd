import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { StaticInterface, StaticInterfaceFormat, StaticRouteSpec } from "pulumi-onprem";

interface HostEntry {
    name: string;
    address: string;
    port?: number;
    user?: string;
    privateKeyPath: string;
    hostPublicKey: string;
}

interface InterfaceEntry {
    host: string;
    device: string;
    addresses: string[];
    gateway?: string;
    dns?: string[];
    searchDomains?: string[];
    routes?: StaticRouteSpec[];
    mtu?: number;
    format?: StaticInterfaceFormat | "auto";
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const interfaces = config.requireObject<InterfaceEntry[]>("interfaces");
const connectAt = config.getObject<Record<string, string>>("connectAt") ?? {};
const confirmTimeoutSeconds = config.getNumber("confirmTimeoutSeconds");

const results = interfaces.map((i) => {
    const h = hosts.find((x) => x.name === i.host);
    if (!h) throw new Error(`interfaces: host ${JSON.stringify(i.host)} is not in \`hosts\``);
    // Seed 000: BOOTPROTO=static with the address, netmask, gateway and DNS; ONBOOT=yes; NM_CONTROLLED=no.
    const iface = new StaticInterface(`${i.host}-${i.device}`, {
        connection: {
            host: connectAt[h.name] ?? h.address,
            port: h.port,
            user: h.user,
            privateKey: fs.readFileSync(h.privateKeyPath, "utf8"),
            hostKey: h.hostPublicKey,
        },
        device: i.device,
        addresses: i.addresses,
        gateway: i.gateway,
        dns: i.dns,
        searchDomains: i.searchDomains,
        routes: i.routes,
        mtu: i.mtu,
        format: i.format ?? "auto",
        onBoot: true,
        nmControlled: false,
        confirmTimeoutSeconds,
    });
    return { name: `${i.host}-${i.device}`, iface };
});

export const files = Object.fromEntries(results.map((r) => [r.name, r.iface.files]));
export const formats = Object.fromEntries(results.map((r) => [r.name, r.iface.format]));
export const liveAddresses = Object.fromEntries(results.map((r) => [r.name, r.iface.liveAddresses]));
