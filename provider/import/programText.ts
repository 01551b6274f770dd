/**
 * What every imported program shares: the project files (Pulumi.yaml, package.json, tsconfig.json), the
 * private key read from stack config, index.ts assembled from the sections each importer writes
 * (keepalivedProgram.ts, ovsMeshProgram.ts, staticInterfaceProgram.ts), a small TypeScript value printer,
 * and the report line. Pure and deterministic: same input, same bytes. The program holds no secret: the
 * SSH key is read from the file stack config names.
 */
import { stringify } from "yaml";
import { shellQuote } from "../contract/shell";
import type { SecretFromConfig } from "./keepalivedCluster";

/** How the program reaches one host. */
export interface ProgramConnection {
    host: string;
    /** Left out when 22. */
    port?: number;
    /** Left out when root. */
    user?: string;
    /** The host key as the import verified it (`SHA256:...`), pinned in the program. */
    hostKey?: string;
}

/** One importer's part of index.ts. */
export interface ProgramSection {
    /** Header comment lines (without `// `): what the section declares and where it was read. */
    header: string[];
    /** Stack config keys the section reads besides the private key's path, with what each holds. */
    config: (readonly [string, string])[];
    /** Classes imported from pulumi-onprem. */
    classes: string[];
    /** Statements, each one or more lines; a blank line goes between two. */
    statements: string[];
    /** `export const ...` lines. */
    exports: string[];
    /** For Pulumi.yaml's description: "keepalived on lb1, lb2, imported from their keepalived.conf". */
    description: string;
}

/** Versions the program's package.json asks for. */
export interface ProgramVersions {
    pulumiOnprem: string;
    pulumi: string;
    typescript: string;
}

/** The config key naming the SSH private key's file. */
const PRIVATE_KEY_PATH_KEY = "privateKeyPath";

/** index.ts, Pulumi.yaml, package.json and tsconfig.json of the program declaring `sections`, by file name. */
export function writeProject(input: { project: string; versions: ProgramVersions; sections: readonly ProgramSection[] }): Record<string, string> {
    return {
        "index.ts": writeProgram(input.sections),
        "Pulumi.yaml": stringify({
            name: input.project,
            description: `${input.sections.map((s) => s.description).join("; ")} by pulumi-onprem-import`,
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

/** The program's index.ts: the sections' headers, one preamble, their statements, then their exports. */
export function writeProgram(sections: readonly ProgramSection[]): string {
    const configKeys = [[PRIVATE_KEY_PATH_KEY, "the SSH private key's file (its content never enters the program or its state)"], ...sections.flatMap((s) => s.config)];
    const width = Math.max(...configKeys.map(([k]) => k.length)) + 1;
    const exports = sections.filter((s) => s.exports.length > 0).map((s) => s.exports.join("\n"));
    return [
        ...sections.flatMap((s) => s.header).map((l) => `// ${l}`),
        "// The import's report lists what it did not carry over. Stack config this program reads:",
        ...configKeys.map(([key, what]) => `//   ${`${key}:`.padEnd(width)} ${what}`),
        "",
        'import * as pulumi from "@pulumi/pulumi";',
        'import * as fs from "fs";',
        `import { ${[...new Set(sections.flatMap((s) => s.classes))].sort().join(", ")} } from "pulumi-onprem";`,
        "",
        "const config = new pulumi.Config();",
        `const privateKey = pulumi.secret(fs.readFileSync(config.require(${JSON.stringify(PRIVATE_KEY_PATH_KEY)}), "utf8"));`,
        "",
        sections.flatMap((s) => s.statements).join("\n\n"),
        "",
        ...(exports.length > 0 ? [exports.join("\n\n"), ""] : []),
    ].join("\n");
}

/** The `pulumi config set` line naming the private key's file. */
export function privateKeyConfigCommand(privateKeyPath: string): string {
    return `pulumi config set ${PRIVATE_KEY_PATH_KEY} ${shellQuote(privateKeyPath)}`;
}

/**
 * One line of the report of what the import did not carry over: `SOURCE:LINE: text — why`, where SOURCE
 * says the host and the file (`root@10.0.0.11:/etc/keepalived/keepalived.conf`). Line 0 (the file as a
 * whole) and an empty text are left out.
 */
export function reportLine(source: string, line: number, text: string, why: string): string {
    return `${source}${line > 0 ? `:${line}` : ""}: ${text === "" ? "" : `${text} — `}${why}\n`;
}

/** `value`'s keys in `order` (the args' documented order reads best), others after them as they were. */
export function ordered<T extends object>(value: T, order: readonly string[]): T {
    const entries = Object.entries(value).sort(([a], [b]) => rank(order, a) - rank(order, b));
    return Object.fromEntries(entries) as T;
}
const rank = (order: readonly string[], key: string) => (order.includes(key) ? order.indexOf(key) : order.length);

/** Source text standing for itself in the program. */
class Code {
    constructor(readonly text: string) {}
}

/** A connection as program values: defaults left out, the key from `privateKey`. */
export function connectionCode(c: ProgramConnection | undefined): Record<string, unknown> {
    if (!c) throw new Error("a host without a connection");
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

/**
 * A value as TypeScript source: on one line when it fits, else one entry per line. `Code` stands for
 * itself, `{ configSecret }` is read from secret config, undefined entries are left out.
 */
export function code(value: unknown, depth: number): string {
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
