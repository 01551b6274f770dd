import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { ConnectionArgs, DockerRegistry, DockerRegistryGcArgs } from "pulumi-onprem";

interface HostEntry {
    name: string;
    address: string;
    port?: number;
    user?: string;
    privateKeyPath: string;
    hostPublicKey: string;
}

const config = new pulumi.Config();
const registryHost = config.requireObject<HostEntry>("registry");
const clientHosts = config.getObject<HostEntry[]>("clients") ?? [];
const userNames = config.getObject<string[]>("userNames") ?? [];
const passwords = userNames.length > 0 ? config.requireSecretObject<Record<string, string>>("passwords") : undefined;
const insecure = config.getBoolean("insecure") ?? false;

const connection = (h: HostEntry): ConnectionArgs => ({
    host: h.address,
    port: h.port,
    user: h.user,
    privateKey: fs.readFileSync(h.privateKeyPath, "utf8"),
    hostKey: h.hostPublicKey,
});

// Seed 000: images on /opt/data/registry, port 5000; here also TLS and accounts, and the clients' daemons set up.
const registry = new DockerRegistry("registry", {
    connection: connection(registryHost),
    runtime: config.get<"native" | "container">("runtime"),
    address: registryHost.address,
    port: config.getNumber("port"),
    hostnames: config.getObject<string[]>("hostnames"),
    storagePath: config.get("storagePath"),
    tls: insecure ? { mode: "off", insecure: true } : { mode: "generated" },
    users: userNames.map((name) => ({ name, password: passwords!.apply((p) => p[name] ?? "") })),
    clients: clientHosts.map((h) => ({ name: h.name, connection: connection(h) })),
    deleteEnabled: config.getBoolean("deleteEnabled"),
    // e.g. `{ "schedule": "Sun *-*-* 03:00:00", "deleteUntagged": true }`; change `trigger` to collect now.
    garbageCollection: config.getObject<DockerRegistryGcArgs>("garbageCollection"),
});

export const url = registry.url;
export const caCertificate = registry.caCertificate;
export const files = registry.files;
