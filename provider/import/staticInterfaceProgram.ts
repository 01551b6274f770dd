/**
 * The part of an imported program that declares the static interfaces of the hosts: which of a format's
 * files belong together (an ifcfg file and its route files), each imported by staticInterfaceImport.ts,
 * one `StaticInterface` per interface with a static address, and the report of the lines not carried
 * over. Pure and deterministic: the caller lists and reads the files; the rest of the program is
 * programText.ts's.
 */
import type { Issue } from "../contract/issue";
import { parseCidr, parseIp } from "../model/address";
import type { StaticInterfaceFormat } from "../plan/staticInterface/args";
import { parseStaticInterface } from "../plan/staticInterface/validate";
import { code, connectionCode, type ProgramConnection, type ProgramSection, reportLine } from "./programText";
import { type HostFile, importStaticInterface, type StaticInterfaceImport } from "./staticInterfaceImport";
import type { Unexpressed } from "./staticInterfaceRead";

/** The files each format keeps interfaces in, as shell globs: what the import lists on a host. */
export const STATIC_INTERFACE_GLOBS: Readonly<Record<StaticInterfaceFormat, readonly string[]>> = {
    ifcfg: ["/etc/sysconfig/network-scripts/ifcfg-*", "/etc/sysconfig/network-scripts/route-*", "/etc/sysconfig/network-scripts/route6-*"],
    interfaces: ["/etc/network/interfaces", "/etc/network/interfaces.d/*"],
    netplan: ["/etc/netplan/*.yaml"],
    networkmanager: ["/etc/NetworkManager/system-connections/*.nmconnection"],
};

/** One interface of a host as imported. */
export interface HostInterface {
    /** The host's name in the program. */
    host: string;
    /** The file it was read from (ifcfg: ifcfg-<dev>). */
    path: string;
    imported: StaticInterfaceImport;
    /** It carries the address the import connected through. */
    management: boolean;
}

/** What a host's files import to: the interfaces to declare, and the report of what is not carried over. */
export interface HostInterfaces {
    interfaces: HostInterface[];
    /** Lines not carried over, also of files that declare no interface (DHCP, loopback). */
    unexpressed: Unexpressed[];
}

/**
 * Imports every interface in each format's `files` (the host's files, as listed by the format's globs).
 * ifcfg: each ifcfg-<dev> but the loopback's, with its route-<dev> and route6-<dev>; other formats: each
 * file. A file whose interface has no static address, or a device already declared from another file,
 * is not declared and says so.
 */
export function importHostInterfaces(host: string, reachedAt: string, reads: readonly { format: StaticInterfaceFormat; files: readonly HostFile[] }[]): HostInterfaces {
    const out: HostInterfaces = { interfaces: [], unexpressed: [] };
    const reached = parseIp(reachedAt)?.address;
    const base = (f: HostFile) => f.path.slice(f.path.lastIndexOf("/") + 1);
    for (const { format, files } of reads) {
        const isRoute = (f: HostFile) => format === "ifcfg" && /^route6?-/.test(base(f));
        const routeDevice = (f: HostFile) => base(f).replace(/^route6?-/, "");
        for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
            if (isRoute(file) || (format === "ifcfg" && (!base(file).startsWith("ifcfg-") || base(file) === "ifcfg-lo"))) continue;
            const routeFiles = format === "ifcfg" ? files.filter((f) => isRoute(f) && routeDevice(f) === base(file).slice("ifcfg-".length)) : [];
            const imported = importStaticInterface(format, file.path, file.text, routeFiles);
            const { device } = imported.args;
            const before = out.interfaces.find((i) => i.imported.args.device === device);
            if (imported.args.addresses.length === 0 || device === "" || before) {
                const why = before ? `${device} is declared from ${before.path} already` : `no interface with a static address${device ? ` (${device})` : ""}`;
                out.unexpressed.push({ path: file.path, line: 0, text: "", why: `${why}: not declared` });
                continue;
            }
            const management = reached !== undefined && imported.args.addresses.some((a) => parseCidr(a)?.address === reached);
            out.interfaces.push({ host, path: file.path, imported, management });
            out.unexpressed.push(...imported.unexpressed);
        }
        // A route file whose interface has no ifcfg file: nothing here reads it.
        for (const f of files.filter((x) => isRoute(x) && !files.some((y) => base(y) === `ifcfg-${routeDevice(x)}`))) {
            out.unexpressed.push({ path: f.path, line: 0, text: "", why: "a route file without its ifcfg file: not declared" });
        }
    }
    return out;
}

/** The resource's name: `<host>-<device>`. */
const resourceName = (i: HostInterface) => `${i.host}-${i.imported.args.device}`;

/** The interfaces' part of index.ts: one StaticInterface each, the management interface said so. */
export function staticInterfaceSection(input: {
    interfaces: readonly HostInterface[];
    /** By host name. */
    connections: Record<string, ProgramConnection>;
    /** Where each host's files were read, for the header: "root@10.0.0.11 (netplan): /etc/netplan/*.yaml". */
    sources: string[];
}): ProgramSection {
    const names = input.interfaces.map(resourceName).join(", ");
    return {
        header: [`the static interfaces ${names}, one StaticInterface each, imported by pulumi-onprem-import from:`, ...input.sources.map((s) => `  ${s}`)],
        config: [],
        classes: ["StaticInterface"],
        statements: input.interfaces.map((i) => {
            const args = { connection: connectionCode(input.connections[i.host]), ...i.imported.args };
            const statement = `new StaticInterface(${JSON.stringify(resourceName(i))}, ${code(args, 0)});`;
            if (!i.management) return statement;
            return [
                `// ${i.imported.args.device} carries the address the import connected through: ${i.host}'s management interface. A change`,
                "// to it goes through commit-confirm: the host reverts it by itself unless the controller reconnects in time.",
                statement,
            ].join("\n");
        }),
        exports: [],
        description: `the static interfaces ${names}, imported from their config files`,
    };
}

/** The report: one line per line not carried over, `SOURCE:PATH:LINE: text — why`; `sources` maps a host name to how it was reached. */
export function staticInterfaceReport(reports: readonly { host: string; unexpressed: readonly Unexpressed[] }[], sources: Record<string, string>): string {
    return reports.flatMap((r) => r.unexpressed.map((u) => reportLine(`${sources[r.host] ?? r.host}:${u.path}`, u.line, u.text, u.why))).join("");
}

/** What the package's own checks say of each interface as the program declares it, each message after its resource's name. */
export function importedInterfaceIssues(interfaces: readonly HostInterface[]): Issue[] {
    return interfaces.flatMap((i) => {
        const parsed = parseStaticInterface(i.imported.args);
        return parsed.ok ? [] : parsed.issues.map((issue) => ({ ...issue, message: `${resourceName(i)}: ${issue.message}` }));
    });
}
