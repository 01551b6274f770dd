import * as pulumi from "./pulumi";
import type { Issue } from "../provider/contract/issue";
import type { OvsMeshArgs, OvsMeshInput } from "../provider/plan/ovs/args";
import type { HostMeshPlan, OvsMeshPlan } from "../provider/plan/ovs/model";
import { DEFAULT_HOST_PREFIX_LENGTH } from "../provider/plan/ovs/model";
import { flowCookie, planOvsMesh } from "../provider/plan/ovs/plan";
import { slotCapacity } from "../provider/plan/ovs/subnets";
import { parallelTunnelWarnings } from "../provider/plan/ovs/topology";
import { parseOvsMesh } from "../provider/plan/ovs/validate";
import { ovsMeshHostWork } from "../provider/work/ovsMesh";
import { DerivedValue } from "./derivedValue";
import { HostConfig } from "./hostConfig";
import { resolveInputs } from "./inputs";
import { checkInputs } from "./issues";

export type {
    DatapathType, DockerConfigMode, DockerSpec, DockerTlsSpec, FlowSpec, MeshTopology, OsConfigFormat, OsConfigSpec, OvsMeshArgs, OvsMeshHostArgs, OvsTunnelSpec,
    TunnelType, UnderlayBridgeSpec, VlanSpec,
} from "../provider/plan/ovs/args";

/** What the mesh gives one host. */
export interface OvsMeshHostOutput {
    /** The host's slot: slice index in the container network, kept while hosts come and go. */
    slot: number;
    /** The host's container subnet (Docker's fixed-cidr), e.g. "172.17.64.0/18". */
    subnet: string;
    /** The Docker bridge's address with the container network's prefix, e.g. "172.17.42.1/16". */
    bridgeAddress: string;
    /** MTU on the bridges, in Docker and for containers. */
    mtu: number;
    /** The tunnel ports on this host, by the peer they lead to. */
    tunnelPorts: Record<string, string>;
}

/**
 * An Open vSwitch mesh for multi-host Docker networking (seeds 003 and 004): on every host an OVS bridge
 * with tunnels to the others, a Docker bridge on top with the host's own address, and Docker told its
 * slice of the container network and the MTU. One `HostConfig` per host carries the OS network config
 * files, Docker's options and the live state (OVSDB records, kernel links, OpenFlow rules).
 */
export class OvsMesh extends pulumi.ComponentResource {
    /** Per host: slot, subnet, bridge address, MTU, tunnel ports. */
    readonly hosts: pulumi.Output<Record<string, OvsMeshHostOutput>>;
    /** Per host, per path, the files as rendered (daemon.json: only the mesh's keys): what preview diffs show. */
    readonly files: pulumi.Output<Record<string, Record<string, string>>>;
    /** The MTU of the mesh. */
    readonly mtu: pulumi.Output<number>;
    /** The OpenFlow cookie of the mesh's rules (`ovs-ofctl dump-flows BRIDGE cookie=C/-1`). */
    readonly flowCookie: pulumi.Output<string>;
    /** What the planner decided or wants the user to know (spanning tree, slots reused, meshes looping over one bridge, ...). */
    readonly notes: pulumi.Output<string[]>;

    constructor(name: string, args: OvsMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-onprem:index:OvsMesh", name, {}, opts);
        const spec = resolveSpec(name, args);

        // Slots live in state: a host keeps its subnet and bridge address while others come and go.
        const slots = new DerivedValue(
            `${name}-slots`,
            {
                derivation: "meshSlots",
                input: spec.apply((s) => ({
                    hosts: s.hosts.filter((h) => typeof h.name === "string").map((h) => strip({ name: h.name, slot: h.slot })),
                    maxSlot: slotCapacity(s.containerNetwork, s.hostPrefixLength ?? DEFAULT_HOST_PREFIX_LENGTH, s.bridgeAddressBlock),
                })),
            },
            { parent: this },
        );

        const parsed = pulumi.all([spec, slots.value]).apply(([s, previous]) => parseOvsMesh(s, previous ?? {}));
        const inputs = checkInputs(this, name, `OvsMesh ${name}`, parsed.apply((p): Issue[] => (p.ok ? [] : p.issues)));
        const plan = parsed.apply((p): OvsMeshPlan | undefined => (p.ok ? planOvsMesh(p.value) : undefined));
        const hostPlans = plan.apply((p) => Object.values(p?.hosts ?? {}));
        const works = hostPlans.apply((ps) => new Map(ps.map((p) => [p.name, ovsMeshHostWork(p)])));

        // One child per name: a repeated name is refused by the validator, and must not clash as a resource name first.
        const seen = new Set<string>();
        for (const h of args.hosts) {
            if (seen.has(h.name)) continue;
            seen.add(h.name);
            const work = works.apply((w) => w.get(h.name));
            new HostConfig(
                `${name}-${h.name}`,
                {
                    connection: h.connection,
                    kind: "ovs-mesh",
                    files: work.apply((w) => w?.files ?? []),
                    packages: work.apply((w) => w?.packages ?? []),
                    ensurePackages: args.ensurePackages,
                    services: work.apply((w) => w?.services ?? []),
                    validators: work.apply((w) => w?.validators ?? []),
                    states: work.apply((w) => w?.states ?? []),
                },
                { parent: this, dependsOn: [inputs, slots] },
            );
        }

        // Meshes of this program that tunnel between the same endpoints on one bridge make a loop neither STP sees.
        const others = declared.slice();
        declared.push(hostPlans);
        const crossNotes = pulumi.all([hostPlans, ...others]).apply((all) => parallelTunnelWarnings(all.flat(), name));

        this.hosts = hostPlans.apply((ps) => Object.fromEntries(ps.map((p) => [p.name, hostOutput(p)])));
        this.files = works.apply((w) => Object.fromEntries([...w].map(([host, work]) => [host, Object.fromEntries(work.files.map((f) => [f.path, f.content]))])));
        this.mtu = hostPlans.apply((ps) => ps[0]?.mtu ?? 0);
        this.flowCookie = plan.apply((p) => (p ? flowCookie(name) : ""));
        this.notes = pulumi.all([plan, crossNotes]).apply(([p, cross]) => [...(p?.notes ?? []), ...cross]);
        this.registerOutputs({ hosts: this.hosts, files: this.files, mtu: this.mtu, flowCookie: this.flowCookie, notes: this.notes });
    }
}

/** Host plans of the meshes declared in this program so far, for the parallel-tunnel warning. */
const declared: pulumi.Output<HostMeshPlan[]>[] = [];

/** The declaration once every input is known; unknown inputs leave it (and all that derives from it) unknown at preview. */
function resolveSpec(name: string, args: OvsMeshArgs): pulumi.Output<OvsMeshInput> {
    const hosts = pulumi.all(args.hosts.map((h) => resolveInputs(h, ["connection"])));
    return pulumi.all([resolveInputs(args, ["hosts", "ensurePackages"]), hosts]).apply(([rest, hs]) => ({ ...rest, name, hosts: hs }));
}

function hostOutput(p: HostMeshPlan): OvsMeshHostOutput {
    return {
        slot: p.slot,
        subnet: p.slice,
        bridgeAddress: p.bridgeAddress,
        mtu: p.mtu,
        tunnelPorts: Object.fromEntries(p.tunnelPorts.map((t) => [t.peer, t.name])),
    };
}

function strip<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
