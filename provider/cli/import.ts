#!/usr/bin/env node
/**
 * pulumi-onprem-import: reads what each host runs over SSH (host keys checked as everywhere in the
 * package): keepalived.conf, the Open vSwitch mesh (OVSDB, links, Docker options) and the static
 * interfaces' config files, and writes one Pulumi program declaring them, the config lines it needs and
 * a report of what it did not carry over. The reading knows hosts, not formats: those are the pure
 * modules' (provider/import).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OnpremError } from "../contract/errors";
import type { Issue } from "../contract/issue";
import { readStaticInterfaceFacts } from "../derive/staticInterfaceFormat";
import { hostFacts } from "../host/facts";
import { KEEPALIVED_CONF_PATH } from "../plan/keepalived/model";
import type { StaticInterfaceFormat } from "../plan/staticInterface/args";
import { chooseFormat } from "../plan/staticInterface/format";
import { DAEMON_JSON_PATH } from "../render/docker/daemonJson";
import { DOCKER_DEFAULT_FILE_PATH } from "../render/docker/dockerOpts";
import { importedClusterIssues, mapKeepalivedCluster, NodeConf } from "../import/keepalivedCluster";
import { vrrpInterfaces } from "../import/keepalivedNodeRead";
import { parseKeepalivedConf } from "../import/keepalivedConf";
import { configCommands, keepalivedSection, writeImportReport } from "../import/keepalivedProgram";
import { importOvsMesh, type OvsHostOutputs } from "../import/ovsMeshImport";
import { importedMeshIssues, ovsMeshReport, ovsMeshSection } from "../import/ovsMeshProgram";
import { IP_ADDR_READ_COMMAND, IP_LINK_READ_COMMAND, OVSDB_READ_COMMAND, readOvsdb } from "../import/ovsMeshRead";
import { type ProgramConnection, type ProgramSection, writeProject } from "../import/programText";
import type { HostFile } from "../import/staticInterfaceImport";
import { type HostInterfaces, importedInterfaceIssues, importHostInterfaces, STATIC_INTERFACE_GLOBS, staticInterfaceReport, staticInterfaceSection } from "../import/staticInterfaceProgram";
import { runChecked } from "../ssh/exec";
import { dialUnpooled, PooledConnection } from "../ssh/pool";

/** The parts the import can read, in the program's order. */
const PARTS = ["keepalived", "ovs-mesh", "static-interface"] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: pulumi-onprem-import --host [USER@]HOST[:PORT] --host ... --key PRIVATE_KEY [--what PARTS] [--known-hosts FILE] [--trust-on-first-use] [--out DIR] [--project NAME]

Reads what every host runs over SSH and writes DIR/index.ts (one program declaring it), DIR/Pulumi.yaml,
DIR/package.json and DIR/tsconfig.json. --what is a comma-separated list of ${PARTS.join(", ")} (default: all):
  keepalived        ${KEEPALIVED_CONF_PATH} and the addresses of its VRRP interfaces: one KeepalivedCluster
  ovs-mesh          OVSDB (ovs-vsctl), ip -j addr/link, ${DAEMON_JSON_PATH} and ${DOCKER_DEFAULT_FILE_PATH}: one OvsMesh
  static-interface  the config files of the format the host uses (as StaticInterface's "auto" picks it):
                    one StaticInterface per interface with a static address
A part a host does not have is skipped with one line. Prints the \`pulumi config set\` lines the program
needs and every line or record it did not carry over. Host keys are checked against --known-hosts
(default ~/.ssh/known_hosts); an unknown host is refused unless --trust-on-first-use.`;

interface Options {
    hosts: { user: string; host: string; port: number; given: string }[];
    key: string;
    knownHosts?: string;
    trustOnFirstUse: boolean;
    out: string;
    /** Undefined: the one part imported names it, else "onprem-hosts". */
    project?: string;
    what: Set<Part>;
}

function parseArgs(argv: string[]): Options {
    const hosts: Options["hosts"] = [];
    let key: string | undefined;
    let knownHosts: string | undefined;
    let trustOnFirstUse = false;
    let out = ".";
    let project: string | undefined;
    let what = new Set<Part>(PARTS);
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
        else if (a === "--what") {
            const given = value().split(",").map((w) => w.trim()).filter((w) => w !== "");
            const unknown = given.filter((w) => !(PARTS as readonly string[]).includes(w));
            if (unknown.length > 0 || given.length === 0) throw usage(`--what ${given.join(",")}: not a list of ${PARTS.join(", ")}`);
            what = new Set(given as Part[]);
        } else throw usage(`unknown argument ${a}`);
    }
    if (hosts.length === 0) throw usage("give at least one --host");
    if (!key) throw usage("give --key, the SSH private key's file");
    return { hosts, key: path.resolve(key), knownHosts: knownHosts && path.resolve(knownHosts), trustOnFirstUse, out, project, what };
}

class UsageError extends Error {}
const usage = (problem?: string) => new UsageError(problem ? `${problem}\n\n${USAGE}` : USAGE);
const expandHome = (p: string) => (p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p);

/** What one host gives the import; a part the host does not have is undefined, with why in `skipped`. */
interface HostRead {
    hostname: string;
    hostKey: string;
    keepalived?: { conf: string; interfaceCidrs: Record<string, string[]> };
    ovs?: Omit<OvsHostOutputs, "name" | "reachedAt">;
    staticInterfaces?: { format: StaticInterfaceFormat; files: HostFile[] }[];
    /** One line per part skipped on this host. */
    skipped: string[];
}

/** A file's content, or undefined when it does not exist (read-only). */
async function readOptional(conn: PooledConnection, file: string): Promise<string | undefined> {
    // The marker tells an empty file from an absent one.
    const r = await runChecked(conn, `if [ -e "$1" ]; then printf x; cat "$1"; fi`, { args: [file], step: `read ${file}` });
    return r.stdout.startsWith("x") ? r.stdout.slice(1) : undefined;
}

/** keepalived.conf and the addresses of the VRRP interfaces it names. */
async function readKeepalived(conn: PooledConnection): Promise<HostRead["keepalived"]> {
    const conf = await readOptional(conn, KEEPALIVED_CONF_PATH);
    if (conf === undefined) return undefined;
    const interfaceCidrs: Record<string, string[]> = {};
    for (const iface of vrrpInterfaces(parseKeepalivedConf(conf))) {
        const r = await runChecked(conn, `ip -o addr show dev "$1" scope global | awk '{print $4}'`, { args: [iface], step: `read the addresses of ${iface}` });
        interfaceCidrs[iface] = r.stdout.split("\n").filter((l) => l !== "");
    }
    return { conf, interfaceCidrs };
}

/** OVSDB's bridges, ports and interfaces, the links, and the Docker options files; undefined without a bridge. */
async function readOvs(conn: PooledConnection): Promise<HostRead["ovs"] | string> {
    if (!(await hostFacts(conn)).tools["ovs-vsctl"]) return "no ovs-vsctl";
    const ovsdb = (await runChecked(conn, OVSDB_READ_COMMAND, { step: "read OVSDB" })).stdout;
    if (readOvsdb(conn.target, ovsdb).length === 0) return "no Open vSwitch bridge";
    const ipAddr = (await runChecked(conn, IP_ADDR_READ_COMMAND, { step: "read the links and addresses" })).stdout;
    const ipLink = (await runChecked(conn, IP_LINK_READ_COMMAND, { step: "read the links" })).stdout;
    const daemonJson = await readOptional(conn, DAEMON_JSON_PATH);
    const dockerDefault = await readOptional(conn, DOCKER_DEFAULT_FILE_PATH);
    return { ovsdb, ipAddr, ipLink, ...(daemonJson === undefined ? {} : { daemonJson }), ...(dockerDefault === undefined ? {} : { dockerDefault }) };
}

/**
 * The files of the formats StaticInterface's "auto" picks on this host (its distribution's, and the one of
 * a service that runs a device), as the package reads the facts for it.
 */
async function readStaticInterfaces(conn: PooledConnection): Promise<HostRead["staticInterfaces"] | string> {
    const facts = await readStaticInterfaceFacts(conn);
    const choices = [chooseFormat(facts), ...Object.keys(facts.managers ?? {}).map((d) => chooseFormat(facts, d))];
    // A format whose tool is missing still has files worth reading: the host's own, which the program then declares.
    const formats = [...new Set(choices.flatMap((c) => (c.ok ? [c.format] : c.natural ? [c.natural] : [])))];
    if (formats.length === 0) return `no format for ${facts.osId} ${facts.osVersion}`;
    const reads: { format: StaticInterfaceFormat; files: HostFile[] }[] = [];
    for (const format of formats) {
        // The globs are this package's constants: they expand on the host, unquoted.
        const list = await runChecked(conn, `for f in ${STATIC_INTERFACE_GLOBS[format].join(" ")}; do [ -f "$f" ] && printf '%s\\0' "$f"; done; exit 0`, { step: `list the ${format} files` });
        const files: HostFile[] = [];
        for (const file of list.stdout.split("\0").filter((f) => f !== "")) files.push({ path: file, text: (await runChecked(conn, `cat "$1"`, { args: [file], step: `read ${file}` })).stdout });
        if (files.length > 0) reads.push({ format, files });
    }
    return reads.length > 0 ? reads : `no ${formats.join(" or ")} files`;
}

/** Reads the parts asked for of one host. */
async function readHost(conn: PooledConnection, what: Set<Part>): Promise<HostRead> {
    const hostname = (await runChecked(conn, "uname -n", { step: "read the host name" })).stdout.trim().split(".")[0];
    const read: HostRead = { hostname, hostKey: conn.hostKeyFingerprint, skipped: [] };
    if (what.has("keepalived")) {
        read.keepalived = await readKeepalived(conn);
        if (!read.keepalived) read.skipped.push(`keepalived: no ${KEEPALIVED_CONF_PATH}`);
    }
    if (what.has("ovs-mesh")) {
        const ovs = await readOvs(conn);
        if (typeof ovs === "string") read.skipped.push(`ovs-mesh: ${ovs}`);
        else read.ovs = ovs;
    }
    if (what.has("static-interface")) {
        const files = await readStaticInterfaces(conn);
        if (typeof files === "string") read.skipped.push(`static-interface: ${files}`);
        else read.staticInterfaces = files;
    }
    return read;
}

const NODE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** One part of the program: its section, the report of what it left out, and what the package's checks say. */
interface PartResult {
    part: Part;
    section: ProgramSection;
    report: string;
    /** How many report lines. */
    count: number;
    issues: Issue[];
}

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
            reads.push(await readHost(conn, opts.what));
        } finally {
            conn.client.end();
        }
    }
    // Host names name the nodes; where they do not fit (or repeat), node1, node2, ...
    const names = reads.map((r) => r.hostname);
    const usable = names.every((n) => NODE_NAME.test(n)) && new Set(names).size === names.length;
    const hosts = reads.map((r, k) => ({ name: usable ? names[k] : `node${k + 1}`, read: r, reached: opts.hosts[k] }));
    const connections: Record<string, ProgramConnection> = Object.fromEntries(hosts.map((h) => [h.name, { host: h.reached.host, port: h.reached.port, user: h.reached.user, hostKey: h.read.hostKey }]));

    const parts: PartResult[] = [];
    const out: string[] = [];
    const skipped = (part: Part) => out.push(...hosts.flatMap((h) => h.read.skipped.filter((l) => l.startsWith(`${part}:`)).map((l) => `Skipped ${h.reached.given}: ${l}`)));

    // keepalived: one cluster of the hosts that have a keepalived.conf.
    const withKeepalived = hosts.flatMap((h) => (h.read.keepalived ? [{ ...h, keepalived: h.read.keepalived }] : []));
    let secrets: { configSecret: string; node: string; line: number }[] = [];
    if (opts.what.has("keepalived")) {
        skipped("keepalived");
        if (withKeepalived.length > 0) {
            const nodes: NodeConf[] = withKeepalived.map((h) => ({ name: h.name, reachedAt: h.reached.host, interfaceCidrs: h.keepalived.interfaceCidrs, conf: parseKeepalivedConf(h.keepalived.conf) }));
            const imported = mapKeepalivedCluster(nodes);
            secrets = imported.secrets;
            const sources = Object.fromEntries(withKeepalived.map((h) => [h.name, `${h.reached.given}:${KEEPALIVED_CONF_PATH}`]));
            parts.push({
                part: "keepalived",
                section: keepalivedSection({ cluster: imported.cluster, connections, sources: Object.values(sources) }),
                report: writeImportReport(imported.unexpressed, sources),
                count: imported.unexpressed.length,
                issues: importedClusterIssues(imported.cluster),
            });
        }
    }

    // The mesh: the hosts that have an Open vSwitch bridge.
    if (opts.what.has("ovs-mesh")) {
        skipped("ovs-mesh");
        const withOvs = hosts.flatMap((h) => (h.read.ovs ? [{ ...h, ovs: h.read.ovs }] : []));
        if (withOvs.length > 0) {
            const imported = importOvsMesh(withOvs.map((h) => ({ name: h.name, reachedAt: h.reached.host, ...h.ovs })));
            const given = Object.fromEntries(withOvs.map((h) => [h.name, h.reached.given]));
            const read = (h: (typeof withOvs)[number]) =>
                [`${h.reached.given}: OVSDB (ovs-vsctl list Bridge, Port, Interface)`, "ip -j addr", "ip -j link", ...(h.ovs.daemonJson === undefined ? [] : [DAEMON_JSON_PATH]), ...(h.ovs.dockerDefault === undefined ? [] : [DOCKER_DEFAULT_FILE_PATH])].join(", ");
            parts.push({
                part: "ovs-mesh",
                section: ovsMeshSection({ imported, connections, sources: withOvs.map(read) }),
                report: ovsMeshReport(imported.notes, given),
                count: imported.notes.length,
                issues: importedMeshIssues(imported),
            });
        }
    }

    // Static interfaces: each host's, one resource each.
    if (opts.what.has("static-interface")) {
        skipped("static-interface");
        const imported: (HostInterfaces & { host: string })[] = hosts.flatMap((h) => (h.read.staticInterfaces ? [{ host: h.name, ...importHostInterfaces(h.name, h.reached.host, h.read.staticInterfaces) }] : []));
        const interfaces = imported.flatMap((i) => i.interfaces);
        const given = Object.fromEntries(hosts.map((h) => [h.name, h.reached.given]));
        const report = staticInterfaceReport(imported, given);
        for (const i of imported.filter((x) => x.interfaces.length === 0)) out.push(`Skipped ${given[i.host]}: static-interface: no interface with a static address`);
        if (interfaces.length > 0) {
            const sources = hosts.flatMap((h) => (h.read.staticInterfaces ? [`${h.reached.given} (${h.read.staticInterfaces.map((r) => r.format).join(", ")}): ${h.read.staticInterfaces.flatMap((r) => r.files.map((f) => f.path)).join(", ")}`] : []));
            parts.push({ part: "static-interface", section: staticInterfaceSection({ interfaces, connections, sources }), report, count: imported.reduce((n, i) => n + i.unexpressed.length, 0), issues: importedInterfaceIssues(interfaces) });
        }
    }

    if (parts.length === 0) throw new OnpremError("InvalidArgument", `nothing to import: ${out.length > 0 ? out.join("; ") : "no part asked for"}`);
    // One part names the project as before (keepalived's programs were "keepalived"); several, the hosts.
    const project = opts.project ?? (parts.length === 1 ? parts[0].part : "onprem-hosts");
    const own = ownPackage();
    const files = writeProject({
        project,
        versions: { pulumiOnprem: `^${own.version}`, pulumi: own.dependencies["@pulumi/pulumi"], typescript: own.devDependencies?.typescript ?? "~5.9.3" },
        sections: parts.map((p) => p.section),
    });
    fs.mkdirSync(opts.out, { recursive: true });
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(opts.out, name), content);

    out.unshift(`Wrote ${Object.keys(files).map((f) => path.join(opts.out, f)).join(", ")}.`, "");
    out.push(...(out.length > 2 ? [""] : []), "Stack config the program reads (run in its directory, after `pulumi stack init`):");
    const commands = configCommands({
        privateKeyPath: opts.key,
        knownHostsPath: opts.knownHosts,
        secrets,
        reached: Object.fromEntries(withKeepalived.map((h) => [h.name, h.reached])),
        confPath: KEEPALIVED_CONF_PATH,
    });
    out.push(...commands.map((c) => `  ${c}`));
    const report = parts.map((p) => p.report).join("");
    const count = parts.reduce((n, p) => n + p.count, 0);
    out.push("", report ? `Not carried over as written (${count}):` : "Every line was carried over.");
    if (report) out.push(...report.trimEnd().split("\n").map((l) => `  ${l}`));
    const issues = parts.flatMap((p) => p.issues);
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
