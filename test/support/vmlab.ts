import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inventory, inventoryPath, LAB_SCRIPT, type LabHost } from "./lab";

/** A host of either lab; the VM lab adds the network flavor of its eth1 and its qemu's PID. */
export interface AnyLabHost extends LabHost {
    /** VM lab only: what manages eth1 ("ifupdown", "networkmanager" or "netplan"). */
    netFlavor?: string;
    qemuPid?: number;
}

export type LabKind = "netns" | "vm";

export const VMLAB_SCRIPT = path.resolve(__dirname, "../vmlab/vmlab.sh");

/** Which lab the inventory describes: the VM lab writes `"kind": "vm"`, the netns lab no kind. */
export function labKind(): LabKind {
    return (inventory() as { kind?: string }).kind === "vm" ? "vm" : "netns";
}

export interface RunResult {
    status: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    /** Log in as this user instead of root (SSH in both labs). */
    user?: string;
    /** Do not throw on a non-zero exit. */
    allowFail?: boolean;
    /** Default 300 s: under TCG, with other VMs on the machine, a `docker run` can take minutes. */
    timeoutMs?: number;
    /** SSH only: pin this host key instead of the inventory's (to test that a wrong pin is refused). */
    hostPublicKey?: string;
}

let knownHostsDir: string | undefined;

/** A known_hosts file that holds only `key` for the host's address. */
function knownHostsFile(host: LabHost, key: string): string {
    knownHostsDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "onprem-known-hosts-"));
    const file = path.join(knownHostsDir, `${host.address}-${Buffer.from(key).toString("hex").slice(-16)}`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, `${host.address} ${key}\n`);
    return file;
}

/**
 * `ssh` arguments for a lab host, its host key pinned (strict checking, no other known_hosts). Calls
 * share one connection per host and user for a few seconds (a handshake costs seconds under TCG),
 * except with a `hostPublicKey` of the caller's, which must be checked on a connection of its own.
 */
export function sshArgs(host: LabHost, opts: { user?: string; hostPublicKey?: string } = {}): string[] {
    knownHostsDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "onprem-known-hosts-"));
    const mux = opts.hostPublicKey === undefined
        ? ["-o", "ControlMaster=auto", "-o", `ControlPath=${knownHostsDir}/%C`, "-o", "ControlPersist=10"]
        : ["-o", "ControlMaster=no", "-o", "ControlPath=none"];
    return [
        ...mux,
        "-i", host.privateKeyPath,
        "-p", String(host.port),
        "-o", `UserKnownHostsFile=${knownHostsFile(host, opts.hostPublicKey ?? host.hostPublicKey)}`,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes",
        "-o", "ConnectTimeout=10",
        "-o", "LogLevel=ERROR",
        `${opts.user ?? host.user}@${host.address}`,
    ];
}

function shellQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a shell script on a lab host, in either lab: as root through `lab.sh exec` in the netns lab
 * (no SSH), over SSH with the pinned host key in the VM lab or whenever `user` or `hostPublicKey` is given.
 */
export function runOnHost(host: LabHost, script: string, opts: RunOptions = {}): RunResult {
    const viaSsh = labKind() === "vm" || opts.user !== undefined || opts.hostPublicKey !== undefined;
    const r = viaSsh
        ? spawnSync("ssh", [...sshArgs(host, opts), "--", `sh -c ${shellQuote(script)}`], {
            stdio: ["ignore", "pipe", "pipe"], timeout: opts.timeoutMs ?? 300_000,
        })
        : spawnSync("bash", [LAB_SCRIPT, "exec", host.name, "--", "sh", "-c", script], {
            env: { ...process.env, LAB_DIR: path.dirname(inventoryPath()) },
            stdio: ["ignore", "pipe", "pipe"], timeout: opts.timeoutMs ?? 300_000,
        });
    const result = { status: r.status ?? -1, stdout: r.stdout?.toString() ?? "", stderr: r.stderr?.toString() ?? "" };
    if (r.error) result.stderr += `\n${r.error.message}`;
    if (result.status !== 0 && !opts.allowFail) {
        throw new Error(`on ${host.name} (exit ${result.status}): ${script}\n${result.stderr.trim()}`);
    }
    return result;
}

/** `runOnHost`'s standard output, trimmed; throws on failure. */
export function onAnyHost(host: LabHost, script: string, opts: Omit<RunOptions, "allowFail"> = {}): string {
    return runOnHost(host, script, opts).stdout.trim();
}
