/**
 * From the keepalived.conf of each node (parsed by keepalivedConf.ts) to the inputs of one
 * `KeepalivedCluster` that renders the same behaviour, plus every line it could not carry over and why.
 * Pure. What the args cannot say, or what differs between nodes where the args hold one value, is
 * reported and left out, never guessed: the program is reviewed against the report before its first up.
 * Each node's statements are read by keepalivedNodeRead.ts; this file merges the nodes into one cluster.
 */
import type { Issue } from "../contract/issue";
import { parseAddress, parseCidr, subnetContains } from "../model/address";
import type { VrrpScriptArgs } from "../plan/keepalived/args";
import type { KeepalivedClusterSpec, VirtualServerSpec, VrrpInstanceSpec } from "../plan/keepalived/model";
import { parseKeepalived } from "../plan/keepalived/validate";
import type { Unwrap } from "@pulumi/pulumi/output";
import type { ParsedConf } from "./keepalivedConf";
import { type Drop, type GlobalDefs, type NodeRead, readNode, type SharedFields, vipAddress } from "./keepalivedNodeRead";

/** One node as read from its host. */
export interface NodeConf {
    /** The node's name in the program (its host name). */
    name: string;
    /** The address it was reached at: its address in the cluster when nothing better is known. */
    reachedAt: string;
    /** Its interfaces' addresses with prefixes (`ip -o addr`), by interface, when known. */
    interfaceCidrs?: Record<string, string[]>;
    /** Its keepalived.conf, parsed. */
    conf: ParsedConf;
}

/** A line of a node's config that the program does not carry over as written. */
interface Unexpressed {
    node: string;
    line: number;
    text: string;
    why: string;
}

/** A secret the program reads from stack config (`config.requireSecret(configSecret)`). */
export interface SecretFromConfig {
    configSecret: string;
}

/** An instance as imported: `VrrpInstanceSpec` with its password named, never its value. */
type ImportedInstance = Omit<VrrpInstanceSpec, "auth"> & { auth?: { type: "PASS" | "AH"; password: SecretFromConfig } };

/** The cluster as imported: `KeepalivedClusterArgs` resolved, without connections (the program adds them). */
export type ImportedCluster = Omit<KeepalivedClusterSpec, "instances"> & { instances: ImportedInstance[] };

/** Where the value of a secret the program reads from config is: a line of a node's config. */
interface SecretSource {
    configSecret: string;
    node: string;
    line: number;
}

export interface KeepalivedImport {
    cluster: ImportedCluster;
    unexpressed: Unexpressed[];
    secrets: SecretSource[];
}

/** The config key of an instance's VRRP password. */
function passwordConfigKey(instance: string): string {
    return `vrrpPassword_${instance}`;
}

/** Maps the nodes' configs to one cluster; nodes keep their order (it breaks ties in derived priorities). */
export function mapKeepalivedCluster(nodes: readonly NodeConf[]): KeepalivedImport {
    const report: Unexpressed[] = [];
    const drop = (node: string, st: { line: number; text: string }, why: string) => report.push({ node, line: st.line, text: st.text, why });
    for (const n of nodes) for (const p of n.conf.problems) drop(n.name, p, p.why);

    const reads = nodes.map((n) => readNode(n, drop));
    const names = nodes.map((n) => n.name);
    const globals = mergeGlobalDefs(reads, names, drop);
    const scripts = mergeScripts(reads, names, drop);
    const vipAddresses = new Set(reads.flatMap((r) => r.instances.flatMap((i) => i.fields.vips.map(vipAddress))));
    const nodeIfaces = reads.map((r) => r.instances[0]?.iface);
    const addresses = reads.map((r, k) => nodeAddress(nodes[k], r, nodeIfaces[k], vipAddresses));

    const secrets: SecretSource[] = [];
    const instances: ImportedInstance[] = [];
    for (const name of instanceNames(reads)) {
        const instance = mergeInstance(name, nodes, reads, nodeIfaces, addresses, drop, secrets);
        if (instance) instances.push(instance);
    }
    const virtualServers = mergeVirtualServers(reads, names, drop);

    const clusterNodes: ImportedCluster["nodes"] = nodes.map((n, k) => ({
        name: n.name,
        address: addresses[k].address,
        interface: nodeIfaces[k] ?? "eth0",
        ...(addresses[k].cidr ? { interfaceCidr: addresses[k].cidr } : {}),
        ...(globals.routerIds?.[k] !== undefined ? { routerId: globals.routerIds[k] } : {}),
    }));
    for (const instance of instances) {
        if (vipsOutsideSubnets(instance, clusterNodes)) instance.allowVipOutsideSubnet = true;
    }
    const cluster: ImportedCluster = { nodes: clusterNodes, instances };
    // As the package's own rule counts them: vrrp_scripts, notify commands, MISC_CHECK checkers.
    const hasScripts = Object.keys(scripts).length > 0 || instances.some((i) => i.notify !== undefined) || virtualServers.some((vs) => vs.realServers.some((rs) => rs.check?.type === "MISC_CHECK"));
    if (hasScripts && globals.defs.enableScriptSecurity !== true) {
        globals.defs.enableScriptSecurity = true;
        const first = reads.flatMap((r, k) => r.scriptLines.map((st) => ({ st, node: nodes[k].name })))[0];
        if (first) drop(first.node, first.st, "KeepalivedCluster turns on `enable_script_security` where scripts run (keepalived warns of a SECURITY VIOLATION without it): added");
    }
    if (Object.keys(globals.defs).length > 0) cluster.globalDefs = globals.defs;
    if (Object.keys(scripts).length > 0) cluster.scripts = scripts;
    if (virtualServers.length > 0) cluster.virtualServers = virtualServers;
    reportStates(cluster, reads, nodes, drop);

    const order = new Map(nodes.map((n, k) => [n.name, k]));
    report.sort((a, b) => (order.get(a.node) ?? 0) - (order.get(b.node) ?? 0) || a.line - b.line || a.why.localeCompare(b.why));
    return { cluster, unexpressed: report, secrets };
}

/** What the package's own checks say about an imported cluster (passwords stand in): issues the program would meet at preview. */
export function importedClusterIssues(cluster: ImportedCluster): Issue[] {
    const spec: KeepalivedClusterSpec = {
        ...cluster,
        instances: cluster.instances.map((i) => ({ ...i, auth: i.auth ? { type: i.auth.type, password: "imported" } : undefined })),
    };
    const parsed = parseKeepalived(spec);
    return parsed.ok ? [] : parsed.issues;
}

// ---------------------------------------------------------------------------------------------

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function mergeGlobalDefs(reads: NodeRead[], names: string[], drop: Drop): { defs: GlobalDefs; routerIds?: (string | undefined)[] } {
    const defs: Record<string, unknown> = {};
    const keys = [...new Set(reads.flatMap((r) => [...r.globals.keys()]))];
    let routerIds: (string | undefined)[] | undefined;
    for (const key of keys) {
        const values = reads.map((r) => r.globals.get(key));
        if (values.every((v) => v !== undefined && same(v.value, values[0]!.value))) {
            defs[key] = values[0]!.value;
        } else if (key === "routerId") {
            // A router_id of each node's own: the node's `routerId`.
            routerIds = values.map((v) => v?.value as string | undefined);
        } else {
            reads.forEach((r, k) => {
                const v = values[k];
                if (v) drop(names[k], v.st, "differs between the nodes (or is missing on some): KeepalivedCluster has one `global_defs` for every node: left out");
            });
        }
    }
    return { defs: defs as GlobalDefs, routerIds };
}


function mergeScripts(reads: NodeRead[], names: string[], drop: Drop): Record<string, Unwrap<VrrpScriptArgs>> {
    const out: Record<string, Unwrap<VrrpScriptArgs>> = {};
    const scriptNames = [...new Set(reads.flatMap((r) => [...r.scripts.keys()]))].sort();
    for (const name of scriptNames) {
        const defined = reads.map((r, k) => ({ k, s: r.scripts.get(name) })).filter((x) => x.s !== undefined);
        if (defined.every((x) => same(x.s!.value, defined[0].s!.value))) out[name] = defined[0].s!.value;
        else for (const x of defined) drop(names[x.k], x.s!.st, `vrrp_script ${name} differs between the nodes: KeepalivedCluster ships one to every node: left out`);
    }
    return out;
}

function instanceNames(reads: NodeRead[]): string[] {
    const names: string[] = [];
    for (const r of reads) for (const i of r.instances) if (i.name && !names.includes(i.name)) names.push(i.name);
    return names;
}

/** The node's address on its VRRP interface: its unicast_src_ip, else its interface's own address, else where it was reached. */
function nodeAddress(n: NodeConf, read: NodeRead, iface: string | undefined, vips: Set<string>): { address: string; cidr?: string } {
    const cidrs = (iface ? n.interfaceCidrs?.[iface] ?? [] : []).map((c) => parseCidr(c)).filter((c) => c !== undefined && !vips.has(c.address));
    const src = read.instances.map((i) => i.unicastSrc?.value).find((s) => s !== undefined && parseAddress(s));
    const reached = parseAddress(n.reachedAt)?.address;
    const address = src ? parseAddress(src)!.address : (cidrs.find((c) => c!.address === reached) ?? cidrs[0])?.address ?? n.reachedAt;
    const cidr = cidrs.find((c) => c!.address === address)?.cidr;
    return cidr ? { address, cidr } : { address };
}

function mergeInstance(
    name: string,
    nodes: readonly NodeConf[],
    reads: NodeRead[],
    nodeIfaces: (string | undefined)[],
    addresses: { address: string }[],
    drop: Drop,
    secrets: SecretSource[],
): ImportedInstance | undefined {
    const per = reads.map((r) => r.instances.filter((i) => i.name === name));
    const present = per.map((list, k) => ({ k, list })).filter((x) => x.list.length > 0);
    const leaveOut = (why: string) => {
        for (const x of present) drop(nodes[x.k].name, x.list[0].st, `${why}: instance ${name} is left out`);
        return undefined;
    };
    if (present.some((x) => x.list.length > 1)) return leaveOut(`vrrp_instance ${name} appears twice on a node`);
    if (present.some((x) => !x.list[0].ok)) return undefined;
    if (present.length < nodes.length) {
        const missing = nodes.filter((_, k) => per[k].length === 0).map((n) => n.name);
        return leaveOut(`not on ${missing.join(", ")}; KeepalivedCluster runs every instance on every node`);
    }
    const insts = per.map((list) => list[0]);

    // Fields every node must share: a difference is reported on each node's line, not resolved.
    const keys = [...new Set(insts.flatMap((i) => Object.keys(i.fields)))] as (keyof SharedFields)[];
    const differing = keys.filter((key) => !insts.every((i) => same(i.fields[key], insts[0].fields[key])));
    if (differing.length > 0) {
        differing.forEach((key) => insts.forEach((i, k) => drop(nodes[k].name, i.lines[key] ?? i.st, `${FIELD_WORDS[key]} differs between the nodes (KeepalivedCluster gives an instance one on every node): instance ${name} is left out`)));
        return undefined;
    }
    const passwords = insts.map((i) => i.password?.value);
    if (!passwords.every((p) => p === passwords[0])) {
        insts.forEach((i, k) => i.password && drop(nodes[k].name, i.password.st, `the password differs between the nodes: instance ${name} is left out`));
        return undefined;
    }
    const ifaces = insts.map((i) => i.iface!);
    const ownIface = ifaces.every((iface, k) => iface === nodeIfaces[k]);
    if (!ownIface && !ifaces.every((iface) => iface === ifaces[0])) {
        insts.forEach((i, k) => drop(nodes[k].name, i.st, `runs on ${i.iface}, which is neither this node's first VRRP interface nor the same on every node: instance ${name} is left out`));
        return undefined;
    }

    const f = insts[0].fields;
    const out: ImportedInstance = { name, virtualRouterId: f.virtualRouterId!, vips: f.vips };
    if (!ownIface) out.interface = ifaces[0];
    // keepalived's default priority is 100.
    out.priorities = Object.fromEntries(nodes.map((n, k) => [n.name, insts[k].priority?.value ?? 100]));
    if (f.advertInt !== undefined) out.advertInt = f.advertInt;
    if (f.preempt !== undefined) out.preempt = f.preempt;
    if (f.preemptDelay !== undefined) out.preemptDelay = f.preemptDelay;
    if (f.unicast) {
        out.unicast = true;
        insts.forEach((i, k) => {
            if (i.unicastSrc && parseAddress(i.unicastSrc.value)?.address !== addresses[k].address) {
                drop(nodes[k].name, i.unicastSrc.st, `KeepalivedCluster uses the node's address ${addresses[k].address} as unicast_src_ip for every instance`);
            }
            const others = addresses.filter((_, j) => j !== k).map((a) => a.address);
            const peers = i.peers.map((p) => ({ ...p, address: parseAddress(p.value)?.address ?? p.value }));
            for (const p of peers) {
                if (!others.includes(p.address) || p.st.args.length > 0) drop(nodes[k].name, p.st, "KeepalivedCluster's unicast peers are the other imported nodes' addresses only: left out");
            }
            const missing = others.filter((o) => !peers.some((p) => p.address === o));
            if (missing.length > 0) drop(nodes[k].name, i.peerBlock ?? i.st, `KeepalivedCluster adds the other nodes' addresses ${missing.join(", ")} as unicast peers`);
        });
    }
    if (f.mcastGroup !== undefined) out.mcastGroup = f.mcastGroup;
    if (f.authType !== undefined || passwords[0] !== undefined) {
        if (f.authType === undefined || passwords[0] === undefined) {
            insts.forEach((i, k) => drop(nodes[k].name, i.lines.authType ?? i.password?.st ?? i.st, "authentication needs both auth_type and auth_pass: left out"));
        } else {
            out.auth = { type: f.authType, password: { configSecret: passwordConfigKey(name) } };
            secrets.push({ configSecret: passwordConfigKey(name), node: nodes[0].name, line: insts[0].password!.st.line });
            if (passwords[0].length > 8) {
                insts.forEach((i, k) => drop(nodes[k].name, i.password!.st, "longer than 8 characters: keepalived uses the first 8, and so must the secret"));
            }
        }
    }
    if (f.trackInterfaces?.length) out.trackInterfaces = f.trackInterfaces;
    if (f.trackScripts?.length) out.trackScripts = f.trackScripts;
    if (f.notify) out.notify = f.notify;
    return out;
}

const FIELD_WORDS: Record<keyof SharedFields, string> = {
    virtualRouterId: "virtual_router_id",
    advertInt: "advert_int",
    preempt: "nopreempt",
    preemptDelay: "preempt_delay",
    unicast: "unicast (unicast_src_ip/unicast_peer)",
    mcastGroup: "mcast_dst_ip",
    authType: "auth_type",
    vips: "virtual_ipaddress",
    trackInterfaces: "track_interface",
    trackScripts: "track_script",
    notify: "the notify commands",
};

function mergeVirtualServers(reads: NodeRead[], names: string[], drop: Drop): VirtualServerSpec[] {
    const keys: string[] = [];
    for (const r of reads) for (const key of r.virtualServers.keys()) if (!keys.includes(key)) keys.push(key);
    const out: VirtualServerSpec[] = [];
    for (const key of keys) {
        const values = reads.map((r) => r.virtualServers.get(key));
        if (values.every((v) => v !== undefined && same(v.value, values[0]!.value))) {
            out.push(values[0]!.value);
        } else {
            values.forEach((v, k) => v && drop(names[k], v.st, "this virtual_server differs between the nodes (or is missing on some): KeepalivedCluster has the same on every node: left out"));
        }
    }
    return out;
}

/** Whether a VIP on the instance's own interface lies outside some node's interface subnet (how seed 001 runs). */
function vipsOutsideSubnets(instance: ImportedInstance, nodes: ImportedCluster["nodes"]): boolean {
    return nodes.some((node) => {
        const cidr = parseCidr(node.interfaceCidr);
        const iface = instance.interface ?? node.interface;
        return cidr !== undefined && instance.vips.some((raw) => {
            const vip = typeof raw === "string" ? { address: raw } : raw;
            const address = parseAddress(vip.address);
            return (vip.dev === undefined || vip.dev === iface) && address?.family === cidr.family && !subnetContains(cidr.subnet, address.ip);
        });
    });
}

/**
 * The cluster starts each node in a state derived from the priorities (the planner's rule); where the
 * file says otherwise, it is reported. Priorities are kept, so who holds the VIPs does not change.
 */
function reportStates(cluster: ImportedCluster, reads: NodeRead[], nodes: readonly NodeConf[], drop: Drop): void {
    const strict = cluster.globalDefs?.vrrpStrict === true;
    for (const instance of cluster.instances) {
        const priorities = instance.priorities!;
        const top = Object.keys(priorities).sort((a, b) => priorities[b] - priorities[a])[0];
        const why = instance.preempt === false ? "nopreempt works only when no node starts as MASTER" : instance.preemptDelay !== undefined ? "preempt_delay works only when no node starts as MASTER" : strict ? "vrrp_strict allows MASTER only at priority 255" : undefined;
        nodes.forEach((n, k) => {
            const inst = reads[k].instances.find((i) => i.name === instance.name)!;
            const written = inst.state?.value ?? "BACKUP";
            const derived = why === undefined && n.name === top ? "MASTER" : "BACKUP";
            if (written !== derived) {
                const reason = why ?? "the node with the highest priority starts as MASTER";
                drop(n.name, inst.state?.st ?? inst.st, `KeepalivedCluster starts this node as ${derived} (${reason}); the priorities are kept, so ${top} (priority ${priorities[top]}) still holds the VIPs`);
            }
        });
    }
}
