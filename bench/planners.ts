/**
 * Times the pure planners in one process, without Pulumi or hosts: an OvsMesh of 1000 hosts as a full
 * mesh, a ring and a star (validate, plan, and each host's work: the files and states it renders),
 * and a 100-node keepalived cluster (validate, plan, work). Prints a Markdown table of medians
 * (min-max) over --runs runs, after one warm-up run (counted when it takes a second or more;
 * a phase of 5 s or more runs once).
 *
 *   node --import tsx bench/planners.ts [--runs 3] [--mesh-hosts 1000] [--keepalived-nodes 100]
 */
import type { KeepalivedClusterSpec } from "../provider/plan/keepalived/model";
import { planKeepalived } from "../provider/plan/keepalived/plan";
import { parseKeepalived } from "../provider/plan/keepalived/validate";
import type { MeshTopology, OvsMeshInput } from "../provider/plan/ovs/args";
import { planOvsMesh } from "../provider/plan/ovs/plan";
import { parseOvsMesh } from "../provider/plan/ovs/validate";
import { keepalivedWork } from "../provider/work/keepalived";
import { ovsMeshHostWork } from "../provider/work/ovsMesh";

function arg(name: string, fallback: number): number {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const runs = arg("--runs", 3);
const meshHosts = arg("--mesh-hosts", 1000);
const keepalivedNodes = arg("--keepalived-nodes", 100);

function mesh(n: number, topology: MeshTopology): OvsMeshInput {
    return {
        name: "bench",
        hosts: Array.from({ length: n }, (_, i) => ({ name: `h${i + 1}`, underlayAddress: `100.64.${(i + 1) >> 8}.${(i + 1) & 255}` })),
        tunnel: { type: "vxlan" },
        topology,
        ...(topology === "star" ? { hub: "h1" } : {}),
        containerNetwork: "10.0.0.0/8",
        hostPrefixLength: 20,
    };
}

function keepalived(n: number): KeepalivedClusterSpec {
    return {
        nodes: Array.from({ length: n }, (_, i) => ({ name: `n${i + 1}`, address: `10.1.${i >> 8}.${(i & 255) + 1}`, interface: "eth0", interfaceCidr: `10.1.${i >> 8}.${(i & 255) + 1}/16` })),
        instances: [{ name: "VI_1", virtualRouterId: 51, master: "n1", unicast: true, advertInt: 1, vips: ["10.1.255.200"], auth: { type: "PASS", password: "bench123" } }],
    };
}

function time(fn: () => unknown): number {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

const cases: { name: string; phases: Record<string, () => unknown> }[] = [];
for (const topology of ["full-mesh", "ring", "star"] as MeshTopology[]) {
    const spec = mesh(meshHosts, topology);
    const parse = () => {
        const parsed = parseOvsMesh(spec);
        if (!parsed.ok) throw new Error(parsed.issues.slice(0, 5).map((i) => i.message).join("\n"));
        return parsed.value;
    };
    const parsed = parse();
    cases.push({
        name: `OvsMesh ${meshHosts} hosts, ${topology}`,
        phases: {
            // Parsing is validation: it also resolves the defaults, the MTU and the subnets the plan takes.
            validate: parse,
            plan: () => planOvsMesh(parsed),
            "plan + work": () => {
                const plan = planOvsMesh(parsed);
                for (const h of Object.values(plan.hosts)) ovsMeshHostWork(h);
            },
        },
    });
}
{
    const spec = keepalived(keepalivedNodes);
    const parse = () => {
        const result = parseKeepalived(spec);
        if (!result.ok) throw new Error(result.issues.slice(0, 5).map((i) => i.message).join("\n"));
        return result.value;
    };
    const parsed = parse();
    cases.push({
        name: `KeepalivedCluster ${keepalivedNodes} nodes, 1 unicast instance`,
        phases: {
            validate: parse,
            plan: () => planKeepalived(parsed),
            "plan + work": () => keepalivedWork(parsed, planKeepalived(parsed), { verifyVips: true }),
        },
    });
}

const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return s.length > 1 ? `${med.toFixed(3)} (${s[0].toFixed(3)}-${s[s.length - 1].toFixed(3)})` : med.toFixed(3);
};

console.log("| planner | validate s | plan s | plan + work s |");
console.log("|---|---|---|---|");
for (const c of cases) {
    const cells: string[] = [];
    for (const fn of Object.values(c.phases)) {
        // a warm-up run, counted when it is slow enough that warming up no longer matters
        // (a phase of 5 s or more is run once: its spread is not worth minutes)
        const first = time(fn);
        const times = first >= 1 ? [first] : [];
        while (times.length < (first >= 5 ? 1 : runs)) times.push(time(fn));
        cells.push(`${fmt(times)}${times.length < runs ? ` (${times.length} run)` : ""}`);
    }
    console.log(`| ${c.name} | ${cells.join(" | ")} |`);
}
