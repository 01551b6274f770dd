/**
 * The TypeScript source of a Pulumi program declaring an imported cluster (keepalivedCluster.ts), and
 * its Pulumi.yaml and package.json. Pure and deterministic: same input, same bytes. The program holds no
 * secret: the SSH key is read from the file stack config names, VRRP passwords are secret config.
 */
import { stringify } from "yaml";
import { shellQuote } from "../contract/shell";
import type { ImportedCluster, SecretFromConfig } from "./keepalivedCluster";

/** How the program reaches one node. */
interface ProgramConnection {
    host: string;
    /** Left out when 22. */
    port?: number;
    /** Left out when root. */
    user?: string;
    /** The host key as the import verified it (`SHA256:...`), pinned in the program. */
    hostKey?: string;
}

export interface KeepalivedProgramInput {
    cluster: ImportedCluster;
    /** By node name. */
    connections: Record<string, ProgramConnection>;
    /** Where each node's config was read, for the header: "root@10.0.0.11:/etc/keepalived/keepalived.conf". */
    sources: string[];
    /** The Pulumi project's name. */
    project: string;
    /** Versions the program's package.json asks for. */
    versions: { pulumiOnprem: string; pulumi: string; typescript: string };
}

/** The config key naming the SSH private key's file. */
const PRIVATE_KEY_PATH_KEY = "privateKeyPath";

/** index.ts, Pulumi.yaml, package.json and tsconfig.json of the program, by file name. */
export function writeKeepalivedProject(input: KeepalivedProgramInput): Record<string, string> {
    const nodes = input.cluster.nodes.map((n) => n.name).join(", ");
    return {
        "index.ts": writeKeepalivedProgram(input),
        "Pulumi.yaml": stringify({
            name: input.project,
            description: `keepalived on ${nodes}, imported from their keepalived.conf by pulumi-onprem-import`,
            runtime: { name: "nodejs", options: { typescript: true } },
        }),
        "package.json": `${JSON.stringify(
            {
                name: input.project,
                private: true,
                main: "index.ts",
                dependencies: { "@pulumi/pulumi": input.versions.pulumi, "pulumi-onprem": input.versions.pulumiOnprem },
                devDependencies: { typescript: input.versions.typescript },
            },
            null,
            2,
        )}\n`,
        "tsconfig.json": `${JSON.stringify(
            { compilerOptions: { strict: true, target: "ES2022", module: "commonjs", moduleResolution: "node", esModuleInterop: true, skipLibCheck: true }, files: ["index.ts"] },
            null,
            2,
        )}\n`,
    };
}

/** The program's index.ts. */
function writeKeepalivedProgram(input: KeepalivedProgramInput): string {
    const { cluster } = input;
    const secrets = cluster.instances.flatMap((i) => (i.auth ? [[i.auth.password.configSecret, `secret: ${i.name}'s auth_pass`]] : []));
    const configKeys = [[PRIVATE_KEY_PATH_KEY, "the SSH private key's file (its content never enters the program or its state)"], ...secrets];
    const width = Math.max(...configKeys.map(([k]) => k.length)) + 1;
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
    return [
        `// keepalived on ${cluster.nodes.map((n) => n.name).join(", ")} as one KeepalivedCluster, imported by pulumi-onprem-import from:`,
        ...input.sources.map((s) => `//   ${s}`),
        "// The import's report lists what it did not carry over. Stack config this program reads:",
        ...configKeys.map(([key, what]) => `//   ${`${key}:`.padEnd(width)} ${what}`),
        "",
        'import * as pulumi from "@pulumi/pulumi";',
        'import * as fs from "fs";',
        'import { KeepalivedCluster } from "pulumi-onprem";',
        "",
        "const config = new pulumi.Config();",
        `const privateKey = pulumi.secret(fs.readFileSync(config.require(${JSON.stringify(PRIVATE_KEY_PATH_KEY)}), "utf8"));`,
        "",
        `const cluster = new KeepalivedCluster("keepalived", ${code(args, 0)});`,
        "",
        "export const files = cluster.files;",
        "export const expectedHolders = cluster.expectedHolders;",
        "export const notes = cluster.notes;",
        "",
    ].join("\n");
}

const INSTANCE_ORDER = [
    "name", "virtualRouterId", "interface", "priorities", "advertInt", "preempt", "preemptDelay", "unicast", "mcastGroup", "auth", "vips",
    "allowVipOutsideSubnet", "trackInterfaces", "trackScripts", "notify",
];

function ordered<T extends object>(value: T, order: string[]): T {
    const entries = Object.entries(value).sort(([a], [b]) => rank(order, a) - rank(order, b));
    return Object.fromEntries(entries) as T;
}
const rank = (order: string[], key: string) => (order.includes(key) ? order.indexOf(key) : order.length);

/** Source text standing for itself in the program. */
class Code {
    constructor(readonly text: string) {}
}

function connectionCode(c: ProgramConnection | undefined): Record<string, unknown> {
    if (!c) throw new Error("a node without a connection");
    return {
        host: c.host,
        ...(c.port === undefined || c.port === 22 ? {} : { port: c.port }),
        ...(c.user === undefined || c.user === "root" ? {} : { user: c.user }),
        privateKey: new Code("privateKey"),
        ...(c.hostKey === undefined ? {} : { hostKey: c.hostKey }),
    };
}

const isSecret = (v: unknown): v is SecretFromConfig => typeof v === "object" && v !== null && Object.keys(v).length === 1 && "configSecret" in v;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Lines longer than this are broken up, one element per line. */
const MAX_LINE = 120;
const INDENT = "    ";

/** A value as TypeScript source: on one line when it fits, else one entry per line. */
function code(value: unknown, depth: number): string {
    if (value instanceof Code) return value.text;
    if (isSecret(value)) return `config.requireSecret(${JSON.stringify(value.configSecret)})`;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
    const pad = INDENT.repeat(depth + 1);
    if (Array.isArray(value)) {
        const items = value.map((v) => code(v, depth + 1));
        const flat = `[${items.join(", ")}]`;
        return fits(flat, depth) ? flat : `[\n${items.map((i) => `${pad}${i},`).join("\n")}\n${INDENT.repeat(depth)}]`;
    }
    const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => {
            const key = IDENTIFIER.test(k) ? k : JSON.stringify(k);
            return v instanceof Code && v.text === key ? key : `${key}: ${code(v, depth + 1)}`;
        });
    if (entries.length === 0) return "{}";
    const flat = `{ ${entries.join(", ")} }`;
    return fits(flat, depth) ? flat : `{\n${entries.map((e) => `${pad}${e},`).join("\n")}\n${INDENT.repeat(depth)}}`;
}

const fits = (flat: string, depth: number) => !flat.includes("\n") && INDENT.length * (depth + 1) + flat.length <= MAX_LINE;

/**
 * The report of what the import did not carry over, one line each:
 * `SOURCE:LINE: text — why`, where `sources` maps a node name to where its config was read.
 */
export function writeImportReport(unexpressed: readonly { node: string; line: number; text: string; why: string }[], sources: Record<string, string>): string {
    return unexpressed.map((u) => `${sources[u.node] ?? u.node}:${u.line}: ${u.text} — ${u.why}\n`).join("");
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
    const lines = [`pulumi config set ${PRIVATE_KEY_PATH_KEY} ${shellQuote(input.privateKeyPath)}`];
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
