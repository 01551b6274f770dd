import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConnectionSpec } from "../../provider/ssh/connection";

/** One lab host as `lab.sh up` writes it into the inventory. */
export interface LabHost {
    name: string;
    address: string;
    port: number;
    user: string;
    users: { sudo: string; unprivileged: string };
    privateKeyPath: string;
    hostPublicKey: string;
    managementInterface: string;
    secondInterface: string;
    underlayAddress: string;
}

export interface Inventory {
    name: string;
    privateKeyPath: string;
    hosts: LabHost[];
}

export const LAB_SCRIPT = path.resolve(__dirname, "../lab/lab.sh");

export function inventoryPath(): string {
    return process.env.PULUMI_ONPREM_LAB_INVENTORY ?? path.join(process.env.LAB_DIR ?? "/tmp/pulumi-onprem-lab", "inventory.json");
}

/** The running lab; a clear failure when there is none (tests never pass without their hosts). */
export function inventory(): Inventory {
    const file = inventoryPath();
    if (!fs.existsSync(file)) throw new Error(`no lab inventory at ${file}: start the lab with 'npm run lab -- up 4' (as root)`);
    return JSON.parse(fs.readFileSync(file, "utf8")) as Inventory;
}

export function labHost(index: number): LabHost {
    const inv = inventory();
    const host = inv.hosts[index];
    if (!host) throw new Error(`the lab has ${inv.hosts.length} hosts; tests need at least ${index + 1}`);
    return host;
}

/** A connection to a lab host with its host key pinned, as a careful user would write it. */
export function connectionFor(host: LabHost, over: Partial<ConnectionSpec> = {}): ConnectionSpec {
    return {
        host: host.address,
        port: host.port,
        user: host.user,
        privateKey: fs.readFileSync(host.privateKeyPath, "utf8"),
        hostKey: host.hostPublicKey,
        dialErrorLimit: 3,
        perDialTimeout: 5,
        ...over,
    };
}

/**
 * Runs a shell command on a lab host as root: the test's own eyes and hands. In the netns lab it enters
 * the host's namespaces without SSH; in the VM lab it goes over SSH with the pinned host key.
 */
export function onHost(host: LabHost, script: string, opts: { allowFail?: boolean } = {}): string {
    if (isVmLab()) {
        // Loaded here: vmlab.ts builds on this module.
        const { runOnHost } = require("./vmlab") as typeof import("./vmlab");
        const r = runOnHost(host, script, { allowFail: opts.allowFail });
        return r.stdout;
    }
    try {
        return execFileSync("bash", [LAB_SCRIPT, "exec", host.name, "--", "sh", "-c", script], {
            env: { ...process.env, LAB_DIR: path.dirname(inventoryPath()) },
            stdio: ["ignore", "pipe", "pipe"],
        }).toString();
    } catch (e) {
        if (opts.allowFail) return (e as { stdout?: Buffer }).stdout?.toString() ?? "";
        throw e;
    }
}

/** Polls until `probe` returns true, or fails after `timeoutMs`. */
export async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 100): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
        if (await probe()) return;
        await new Promise((r) => setTimeout(r, stepMs));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

/** Whether a lab host holds an address: read from the root namespace in the netns lab (fast enough to time failovers), over SSH on a VM. */
export function holdsAddress(host: LabHost, address: string): boolean {
    if (isVmLab()) return onHost(host, `ip -o addr show to ${address}`, { allowFail: true }).trim() !== "";
    return execFileSync("ip", ["-n", host.name, "-o", "addr", "show", "to", address]).toString().trim() !== "";
}

/** The inventory is the VM lab's (`"kind": "vm"`). */
export function isVmLab(): boolean {
    return (inventory() as { kind?: string }).kind === "vm";
}
