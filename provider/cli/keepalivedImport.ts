#!/usr/bin/env node
/**
 * pulumi-onprem-import: reads each host's keepalived.conf over SSH (host keys checked as everywhere in
 * the package), and writes a Pulumi program declaring one equivalent KeepalivedCluster, the config lines
 * it needs and a report of what it did not carry over. The reading knows hosts, not keepalived: the
 * format is the pure modules' (provider/import).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OnpremError } from "../contract/errors";
import { KEEPALIVED_CONF_PATH } from "../plan/keepalived/model";
import { importedClusterIssues, mapKeepalivedCluster, NodeConf } from "../import/keepalivedCluster";
import { vrrpInterfaces } from "../import/keepalivedNodeRead";
import { parseKeepalivedConf } from "../import/keepalivedConf";
import { configCommands, writeImportReport, writeKeepalivedProject } from "../import/keepalivedProgram";
import { runChecked } from "../ssh/exec";
import { dialUnpooled, PooledConnection } from "../ssh/pool";

const USAGE = `usage: pulumi-onprem-import --host [USER@]HOST[:PORT] --host ... --key PRIVATE_KEY [--known-hosts FILE] [--trust-on-first-use] [--out DIR] [--project NAME]

Reads ${KEEPALIVED_CONF_PATH} of every host over SSH and writes DIR/index.ts (one KeepalivedCluster),
DIR/Pulumi.yaml, DIR/package.json and DIR/tsconfig.json. Prints the \`pulumi config set\` lines the program
needs and every config line it did not carry over. Host keys are checked against --known-hosts
(default ~/.ssh/known_hosts); an unknown host is refused unless --trust-on-first-use.`;

interface Options {
    hosts: { user: string; host: string; port: number; given: string }[];
    key: string;
    knownHosts?: string;
    trustOnFirstUse: boolean;
    out: string;
    project: string;
}

function parseArgs(argv: string[]): Options {
    const hosts: Options["hosts"] = [];
    let key: string | undefined;
    let knownHosts: string | undefined;
    let trustOnFirstUse = false;
    let out = ".";
    let project = "keepalived";
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined) throw usage(`${a} needs a value`);
            return v;
        };
        if (a === "--host") {
            const given = value();
            const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::([0-9]+))?$/.exec(given);
            if (!m) throw usage(`--host ${given}: not [USER@]HOST[:PORT]`);
            hosts.push({ user: m[1] ?? "root", host: m[2].replace(/^\[|\]$/g, ""), port: m[3] ? Number(m[3]) : 22, given });
        } else if (a === "--key") key = expandHome(value());
        else if (a === "--known-hosts") knownHosts = expandHome(value());
        else if (a === "--trust-on-first-use") trustOnFirstUse = true;
        else if (a === "--out") out = value();
        else if (a === "--project") project = value();
        else throw usage(`unknown argument ${a}`);
    }
    if (hosts.length === 0) throw usage("give at least one --host");
    if (!key) throw usage("give --key, the SSH private key's file");
    return { hosts, key: path.resolve(key), knownHosts: knownHosts && path.resolve(knownHosts), trustOnFirstUse, out, project };
}

class UsageError extends Error {}
const usage = (problem?: string) => new UsageError(problem ? `${problem}\n\n${USAGE}` : USAGE);
const expandHome = (p: string) => (p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p);

/** What one host gives the import. */
interface HostRead {
    hostname: string;
    conf: string;
    hostKey: string;
    interfaceCidrs: Record<string, string[]>;
}

/** Reads the config, the host name and the VRRP interfaces' addresses of one host. */
async function readHost(conn: PooledConnection): Promise<HostRead> {
    const conf = (await runChecked(conn, `cat ${KEEPALIVED_CONF_PATH}`, { step: `read ${KEEPALIVED_CONF_PATH}` })).stdout;
    const hostname = (await runChecked(conn, "uname -n", { step: "read the host name" })).stdout.trim().split(".")[0];
    const interfaceCidrs: Record<string, string[]> = {};
    for (const iface of vrrpInterfaces(parseKeepalivedConf(conf))) {
        const r = await runChecked(conn, `ip -o addr show dev "$1" scope global | awk '{print $4}'`, { args: [iface], step: `read the addresses of ${iface}` });
        interfaceCidrs[iface] = r.stdout.split("\n").filter((l) => l !== "");
    }
    return { hostname, conf, hostKey: conn.hostKeyFingerprint, interfaceCidrs };
}

const NODE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

async function main(argv: string[]): Promise<void> {
    if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    const opts = parseArgs(argv);
    const privateKey = fs.readFileSync(opts.key, "utf8");
    const reads: HostRead[] = [];
    for (const h of opts.hosts) {
        const conn = await dialUnpooled({
            host: h.host,
            port: h.port,
            user: h.user,
            privateKey,
            knownHostsPath: opts.knownHosts,
            trustOnFirstUse: opts.trustOnFirstUse,
            dialErrorLimit: 3,
        });
        try {
            reads.push(await readHost(conn));
        } finally {
            conn.client.end();
        }
    }
    // Host names name the nodes; where they do not fit (or repeat), node1, node2, ...
    const names = reads.map((r) => r.hostname);
    const usable = names.every((n) => NODE_NAME.test(n)) && new Set(names).size === names.length;
    const nodes: NodeConf[] = reads.map((r, k) => ({
        name: usable ? names[k] : `node${k + 1}`,
        reachedAt: opts.hosts[k].host,
        interfaceCidrs: r.interfaceCidrs,
        conf: parseKeepalivedConf(r.conf),
    }));
    const imported = mapKeepalivedCluster(nodes);
    const sources = Object.fromEntries(nodes.map((n, k) => [n.name, `${opts.hosts[k].given}:${KEEPALIVED_CONF_PATH}`]));
    const own = ownPackage();
    const files = writeKeepalivedProject({
        cluster: imported.cluster,
        connections: Object.fromEntries(nodes.map((n, k) => [n.name, { host: opts.hosts[k].host, port: opts.hosts[k].port, user: opts.hosts[k].user, hostKey: reads[k].hostKey }])),
        sources: Object.values(sources),
        project: opts.project,
        versions: { pulumiOnprem: `^${own.version}`, pulumi: own.dependencies["@pulumi/pulumi"], typescript: own.devDependencies?.typescript ?? "~5.9.3" },
    });
    fs.mkdirSync(opts.out, { recursive: true });
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(opts.out, name), content);

    const out: string[] = [`Wrote ${Object.keys(files).map((f) => path.join(opts.out, f)).join(", ")}.`, "", "Stack config the program reads (run in its directory, after `pulumi stack init`):"];
    const commands = configCommands({
        privateKeyPath: opts.key,
        knownHostsPath: opts.knownHosts,
        secrets: imported.secrets,
        reached: Object.fromEntries(nodes.map((n, k) => [n.name, opts.hosts[k]])),
        confPath: KEEPALIVED_CONF_PATH,
    });
    out.push(...commands.map((c) => `  ${c}`));
    const report = writeImportReport(imported.unexpressed, sources);
    out.push("", report ? `Not carried over as written (${imported.unexpressed.length}):` : "Every line was carried over.");
    if (report) out.push(...report.trimEnd().split("\n").map((l) => `  ${l}`));
    const issues = importedClusterIssues(imported.cluster);
    if (issues.length > 0) out.push("", "The package's checks refuse the program as written (edit it before `pulumi preview`):", ...issues.map((i) => `  ${i.message}`));
    process.stdout.write(`${out.join("\n")}\n`);
}

/** This package's package.json: the versions the generated program depends on. */
function ownPackage(): { version: string; dependencies: Record<string, string>; devDependencies?: Record<string, string> } {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (fs.existsSync(file)) {
            const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
            if (pkg.name === "pulumi-onprem") return pkg;
        }
        if (path.dirname(dir) === dir) throw new OnpremError("Bug", "the package's own package.json was not found");
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        () => process.exit(0),
        (e: unknown) => {
            process.stderr.write(`pulumi-onprem-import: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exit(e instanceof UsageError ? 2 : 1);
        },
    );
}
