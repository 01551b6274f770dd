/**
 * The part of an imported program that declares a keepalived cluster (keepalivedCluster.ts), the report of
 * its config lines not carried over and the config lines it needs. Pure and deterministic. VRRP passwords
 * are secret config, read from the hosts by the printed commands, never printed. The rest of the program
 * is programText.ts's.
 */
import { shellQuote } from "../contract/shell";
import type { ImportedCluster } from "./keepalivedCluster";
import { code, connectionCode, ordered, privateKeyConfigCommand, type ProgramConnection, type ProgramSection, type ProgramVersions, reportLine, writeProject } from "./programText";

export interface KeepalivedProgramInput {
    cluster: ImportedCluster;
    /** By node name. */
    connections: Record<string, ProgramConnection>;
    /** Where each node's config was read, for the header: "root@10.0.0.11:/etc/keepalived/keepalived.conf". */
    sources: string[];
    /** The Pulumi project's name. */
    project: string;
    /** Versions the program's package.json asks for. */
    versions: ProgramVersions;
}

/** index.ts, Pulumi.yaml, package.json and tsconfig.json of a program declaring only the cluster, by file name. */
export function writeKeepalivedProject(input: KeepalivedProgramInput): Record<string, string> {
    return writeProject({ project: input.project, versions: input.versions, sections: [keepalivedSection(input)] });
}

/** The cluster's part of index.ts: one KeepalivedCluster, its VRRP passwords from secret config. */
export function keepalivedSection(input: Pick<KeepalivedProgramInput, "cluster" | "connections" | "sources">): ProgramSection {
    const { cluster } = input;
    const nodes = cluster.nodes.map((n) => n.name).join(", ");
    const args = {
        nodes: cluster.nodes.map((node) => ({
            name: node.name,
            connection: connectionCode(input.connections[node.name]),
            address: node.address,
            interface: node.interface,
            ...(node.interfaceCidr === undefined ? {} : { interfaceCidr: node.interfaceCidr }),
            ...(node.routerId === undefined ? {} : { routerId: node.routerId }),
        })),
        ...(cluster.globalDefs ? { globalDefs: cluster.globalDefs } : {}),
        ...(cluster.scripts ? { scripts: cluster.scripts } : {}),
        instances: cluster.instances.map((i) => ordered(i, INSTANCE_ORDER)),
        ...(cluster.virtualServers ? { virtualServers: cluster.virtualServers } : {}),
    };
    return {
        header: [`keepalived on ${nodes} as one KeepalivedCluster, imported by pulumi-onprem-import from:`, ...input.sources.map((s) => `  ${s}`)],
        config: cluster.instances.flatMap((i) => (i.auth ? [[i.auth.password.configSecret, `secret: ${i.name}'s auth_pass`] as const] : [])),
        classes: ["KeepalivedCluster"],
        statements: [`const cluster = new KeepalivedCluster("keepalived", ${code(args, 0)});`],
        exports: ["export const files = cluster.files;", "export const expectedHolders = cluster.expectedHolders;", "export const notes = cluster.notes;"],
        description: `keepalived on ${nodes}, imported from their keepalived.conf`,
    };
}

const INSTANCE_ORDER = [
    "name", "virtualRouterId", "interface", "priorities", "advertInt", "preempt", "preemptDelay", "unicast", "mcastGroup", "auth", "vips",
    "allowVipOutsideSubnet", "trackInterfaces", "trackScripts", "notify",
];

/**
 * The report of what the import did not carry over, one line each:
 * `SOURCE:LINE: text — why`, where `sources` maps a node name to where its config was read.
 */
export function writeImportReport(unexpressed: readonly { node: string; line: number; text: string; why: string }[], sources: Record<string, string>): string {
    return unexpressed.map((u) => reportLine(sources[u.node] ?? u.node, u.line, u.text, u.why)).join("");
}

/** How the import reached a node, for the commands it prints. */
interface ReachedNode {
    host: string;
    port?: number;
    user?: string;
}

/**
 * The `pulumi config set` lines the program needs. A password is never printed: its line reads it from
 * the host over ssh (the line of keepalived.conf the import found it on) and pipes it into the CLI.
 */
export function configCommands(input: {
    privateKeyPath: string;
    knownHostsPath?: string;
    secrets: readonly { configSecret: string; node: string; line: number }[];
    reached: Record<string, ReachedNode>;
    confPath: string;
}): string[] {
    const lines = [privateKeyConfigCommand(input.privateKeyPath)];
    for (const s of input.secrets) {
        const r = input.reached[s.node];
        const ssh = [
            "ssh",
            "-i", shellQuote(input.privateKeyPath),
            ...(r.port !== undefined && r.port !== 22 ? ["-p", String(r.port)] : []),
            ...(input.knownHostsPath ? ["-o", shellQuote(`UserKnownHostsFile=${input.knownHostsPath}`)] : []),
            "-o", "StrictHostKeyChecking=yes",
            shellQuote(`${r.user ?? "root"}@${r.host}`),
            shellQuote(`${r.user !== undefined && r.user !== "root" ? "sudo -n " : ""}sed -n ${s.line}p ${input.confPath}`),
        ];
        // keepalived reads at most 8 characters of auth_pass.
        lines.push(`${ssh.join(" ")} | awk '{print substr($2, 1, 8)}' | pulumi config set --secret ${s.configSecret}`);
    }
    return lines;
}
