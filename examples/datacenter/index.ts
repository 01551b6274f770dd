import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { Datacenter } from "./datacenter";

interface HostEntry {
    name: string;
    address: string;
    port?: number;
    user?: string;
    privateKeyPath: string;
    hostPublicKey: string;
    managementInterface?: string;
    secondInterface?: string;
    underlayAddress: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const serviceAddresses = config.requireObject<string[]>("serviceAddresses");
const prefixLength = config.getNumber("prefixLength") ?? 24;
/** The bound of each command on a host, package installs included; unset: the package's default (600 s). */
const commandTimeoutSeconds = config.getNumber("commandTimeoutSeconds");

const site = new Datacenter("site", {
    hosts: hosts.map((h, i) => ({
        name: h.name,
        connection: { host: h.address, port: h.port, user: h.user, privateKey: fs.readFileSync(h.privateKeyPath, "utf8"), hostKey: h.hostPublicKey, commandTimeoutSeconds },
        managementInterface: h.managementInterface ?? "eth0",
        managementCidr: `${h.address}/${prefixLength}`,
        serviceCidr: serviceAddresses[i],
        underlayInterface: h.secondInterface ?? "eth1",
        underlayCidr: h.underlayAddress,
    })),
    vip: config.require("vip"),
    vrrpPassword: config.requireSecret("vrrpPassword"),
    registryPassword: config.requireSecret("registryPassword"),
    tunnel: (config.get("tunnel") ?? "gre") as "gre" | "vxlan",
    datapathType: (config.get("datapathType") ?? "system") as "system" | "netdev",
    networkFormat: (config.get("networkFormat") ?? "auto") as "auto",
    containerNetwork: config.get("containerNetwork") ?? "172.17.0.0/16",
});

export const registryUrl = site.registryUrl;
export const registryCa = site.registryCa;
export const mesh = site.mesh;
export const vipHolder = site.vipHolder;
export const addresses = site.addresses;
