/**
 * From one interface's config file, in any of the four formats StaticInterface writes, to the inputs of a
 * `StaticInterface` that writes the same configuration, plus every line the inputs cannot carry over and
 * why. Pure: text in, args and report out. What the args cannot say (DHCP, bonding, hooks, a second
 * interface, unknown keys) is reported and left out, never guessed; values the validator rejects are kept
 * and reported with the validator's message at the line they came from. Each format has its reader.
 */
import type { StaticInterfaceFormat, StaticInterfaceInput } from "../plan/staticInterface/args";
import { parseStaticInterface } from "../plan/staticInterface/validate";
import { readIfcfg } from "./staticInterfaceIfcfg";
import { readInterfaces } from "./staticInterfaceInterfaces";
import { readNetplan } from "./staticInterfaceNetplan";
import { readNmKeyfile } from "./staticInterfaceNmKeyfile";
import { type Collected, emptyCollected, type HostFile, type Report, type Source, type Unexpressed } from "./staticInterfaceRead";

export type { HostFile };

/** The inputs as imported: the file's settings, without the connection and the apply options (the program adds them). */
type ImportedStaticInterface = Omit<StaticInterfaceInput, "apply" | "confirmTimeoutSeconds" | "confirmAddress">;

/** What one interface's files import to. */
export interface StaticInterfaceImport {
    args: ImportedStaticInterface;
    /** Lines not carried over (and lines whose value the args reject), in file and line order. */
    unexpressed: Unexpressed[];
}

/**
 * Imports the file at `path` holding `text`, in `format`. For ifcfg, `routeFiles` are the interface's
 * route-<dev> and route6-<dev> files (network-scripts keeps routes apart from ifcfg-<dev>); other formats
 * keep routes in the one file.
 */
export function importStaticInterface(format: StaticInterfaceFormat, path: string, text: string, routeFiles: readonly HostFile[] = []): StaticInterfaceImport {
    const unexpressed: Unexpressed[] = [];
    const report: Report = (at, why) => unexpressed.push({ ...at, why });
    const c = emptyCollected();
    const file = { path, text };
    switch (format) {
        case "ifcfg":
            readIfcfg(file, routeFiles, c, report);
            break;
        case "interfaces":
            readInterfaces(file, c, report);
            break;
        case "netplan":
            readNetplan(file, c, report);
            break;
        case "networkmanager":
            readNmKeyfile(file, c, report);
            break;
        default:
            return assertNever(format);
    }
    if (format !== "ifcfg") for (const f of routeFiles) report({ path: f.path, line: 0, text: "" }, `route files are read with format "ifcfg" only; ${format} keeps routes in ${path}`);
    if (!c.device) report({ path, line: 0, text: "" }, "the file names no device");
    const args = argsOf(c, format);
    reportIssues(args, c, path, report);
    return { args, unexpressed: unexpressed.sort((a, b) => (a.path === b.path ? a.line - b.line : a.path < b.path ? -1 : 1)) };
}

/** The collected values as args: fields the file does not set are left out, so the args' defaults apply. */
function argsOf(c: Collected, format: StaticInterfaceFormat): ImportedStaticInterface {
    const values = <T>(list: { value: T }[]) => list.map((x) => x.value);
    return {
        device: c.device?.value ?? "",
        addresses: values(c.addresses),
        ...(c.gateway ? { gateway: c.gateway.value } : {}),
        ...(c.gateway6 ? { gateway6: c.gateway6.value } : {}),
        ...(c.dns.length > 0 ? { dns: values(c.dns) } : {}),
        ...(c.searchDomains.length > 0 ? { searchDomains: values(c.searchDomains) } : {}),
        ...(c.routes.length > 0 ? { routes: values(c.routes) } : {}),
        ...(c.mtu ? { mtu: c.mtu.value } : {}),
        ...(c.onBoot !== undefined ? { onBoot: c.onBoot } : {}),
        ...(c.macAddress ? { macAddress: c.macAddress.value } : {}),
        format,
        ...(c.nmControlled !== undefined ? { nmControlled: c.nmControlled } : {}),
    };
}

/** The validator's issues with the imported args, each at the line its field came from. */
function reportIssues(args: ImportedStaticInterface, c: Collected, path: string, report: Report): void {
    const parsed = parseStaticInterface(args);
    if (parsed.ok) return;
    for (const issue of parsed.issues) {
        const at = sourceOf(issue.field, c) ?? { path, line: 0, text: "" };
        report(at, `the args reject this: ${issue.message}`);
    }
}

/** The line a field path (`addresses[1]`, `routes[0].via`, `mtu`) was read from. */
function sourceOf(field: string, c: Collected): Source | undefined {
    const m = /^(\w+)(?:\[(\d+)\])?/.exec(field);
    if (!m) return undefined;
    const [name, index] = [m[1], m[2] === undefined ? undefined : Number(m[2])];
    const lists: Record<string, { at: Source }[]> = { addresses: c.addresses, dns: c.dns, searchDomains: c.searchDomains, routes: c.routes };
    if (lists[name]) return index === undefined ? lists[name][0]?.at : lists[name][index]?.at;
    const single: Record<string, { at: Source } | undefined> = { device: c.device, gateway: c.gateway, gateway6: c.gateway6, mtu: c.mtu, macAddress: c.macAddress };
    return single[name]?.at;
}

function assertNever(x: never): never {
    throw new Error(`unexpected format ${String(x)}`);
}
