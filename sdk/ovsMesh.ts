import * as pulumi from "./pulumi";
import type { Issue } from "../provider/contract/issue";
import type { HostMeshPlan, OvsMeshPlan, OvsMeshSpec } from "../provider/plan/ovs/model";
import { DEFAULT_HOST_PREFIX_LENGTH } from "../provider/plan/ovs/model";
import { flowCookie, planOvsMesh } from "../provider/plan/ovs/plan";
import { slotCapacity } from "../provider/plan/ovs/subnets";
import { parallelTunnelWarnings } from "../provider/plan/ovs/topology";
import { validateOvsMesh } from "../provider/plan/ovs/validate";
import { ovsMeshHostWork } from "../provider/work/ovsMesh";
import { ConnectionArgs } from "./connection";
import { DerivedValue } from "./derivedValue";
import { HostConfig } from "./hostConfig";
import { checkInputs } from "./issues";
import type { DatapathType, DockerSpec, FlowSpec, MeshTopology, OsConfigFormat, OsConfigSpec, OvsTunnelSpec, UnderlayBridgeSpec, VlanSpec } from "./ovsMeshTypes";

/** One host of the mesh. */
export interface OvsMeshHostArgs {
    /** The host's name: keys its slot, names the tunnel ports that lead to it and its child resource (so a plain string, known when the program runs). No default. */
    name: string;
    /** How to reach the host. No default. */
    connection: pulumi.Input<ConnectionArgs>;
    /** The tunnel endpoint other hosts send to, bare ("192.0.2.11") or as CIDR ("192.0.2.11/24", required with datapathType "netdev"). No default. */
    underlayAddress: pulumi.Input<string>;
    /** Fixed slice index (1 or more) of the container network. Defaults to the slot the host had before, else the lowest free one. */
    slot?: pulumi.Input<number>;
    /** The host's address on the Docker bridge. Defaults to the `slot`-th address of `bridgeAddressBlock`. */
    bridgeAddress?: pulumi.Input<string>;
    /** The physical interface put on the underlay bridge (datapathType "netdev"). Defaults to `underlayBridge.port`. */
    underlayPort?: pulumi.Input<string>;
    /** How this host's network config is persisted: "interfaces" (Debian), "ifcfg" (RHEL) or "none". Defaults to the mesh's `osConfig.format`. */
    osConfig?: pulumi.Input<OsConfigFormat>;
}

/** Inputs of `OvsMesh`. */
export interface OvsMeshArgs {
    /** The hosts; a plain list, since it decides how many child resources exist. No default. */
    hosts: OvsMeshHostArgs[];
    /** The OVS bridge on every host. Defaults to "br0". */
    bridge?: pulumi.Input<string>;
    /** Tunnel type ("gre", "vxlan", "geneve") and its key/VNI, UDP port, Geneve option length. No default. */
    tunnel: OvsTunnelSpec;
    /** Which host pairs get a tunnel: "full-mesh", "ring" (in slot order) or "star" around `hub`. Defaults to "full-mesh". */
    topology?: pulumi.Input<MeshTopology>;
    /** The star's centre (topology "star"). No default. */
    hub?: pulumi.Input<string>;
    /** Spanning tree on the bridge: true (STP), "rstp" or false. Defaults to true when the topology has a loop. */
    stp?: pulumi.Input<boolean | "rstp">;
    /** MTU of the network that carries the tunnels. Defaults to 1500. */
    underlayMtu?: pulumi.Input<number>;
    /** MTU on the bridges and in Docker; at most the underlay MTU minus the tunnel overhead. Defaults to that maximum (1462 for GRE). */
    mtu?: pulumi.Input<number>;
    /** The container network all hosts share, e.g. "172.17.0.0/16"; slice 0 holds the bridge addresses. No default. */
    containerNetwork: pulumi.Input<string>;
    /** Prefix length of each host's slice (Docker's fixed-cidr). Defaults to 24. */
    hostPrefixLength?: pulumi.Input<number>;
    /** Where bridge addresses come from: a CIDR inside slice 0 (seed 003: "172.17.42.0/24"). Defaults to slice 0. */
    bridgeAddressBlock?: pulumi.Input<string>;
    /** The Linux bridge Docker attaches containers to, joined to the OVS bridge: "docker0" is told to Docker as `bip` (its address), another name as `bridge`. Defaults to "docker0". */
    dockerBridge?: pulumi.Input<string>;
    /** Docker daemon options: mode "daemon-json" (owned keys merged into daemon.json), "default-file" (DOCKER_OPTS) or "none"; API `hosts`, `tls`. Defaults to `{ mode: "daemon-json" }`. */
    docker?: DockerSpec;
    /** OVS datapath: "system" (kernel) or "netdev" (userspace, e.g. DPDK; needs `underlayBridge`). Defaults to "system". */
    datapathType?: pulumi.Input<DatapathType>;
    /** The OVS bridge that takes over the tunnel endpoint address (datapathType "netdev"): name and physical port. Defaults to none. */
    underlayBridge?: UnderlayBridgeSpec;
    /** VLAN tags on ports of the mesh bridge (the bridge's own name tags the Docker uplink). Defaults to none. */
    vlans?: VlanSpec[];
    /** OpenFlow rules on the mesh bridge, kept under the mesh's cookie. Defaults to none (the bridge's NORMAL flow). */
    flows?: FlowSpec[];
    /** OS network config: `format` ("interfaces", "ifcfg", "none") and `ovs`, whether it also declares the OVS bridges and ports (seed 003's `allow-ovs` stanzas). Defaults to `{ format: "interfaces", ovs: false }`. */
    osConfig?: OsConfigSpec;
    /** Install Open vSwitch where it is missing. Defaults to true. */
    ensurePackages?: pulumi.Input<boolean>;
}

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

        const checked = pulumi.all([spec, slots.value]).apply(([s, previous]) => ({ s, previous: previous ?? {}, issues: validateOvsMesh(s, previous ?? {}) }));
        const inputs = checkInputs(this, name, `OvsMesh ${name}`, checked.apply((c): Issue[] => c.issues));
        const plan = checked.apply((c): OvsMeshPlan | undefined => (c.issues.length === 0 ? planOvsMesh(c.s, c.previous) : undefined));
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
function resolveSpec(name: string, args: OvsMeshArgs): pulumi.Output<OvsMeshSpec> {
    const hosts = pulumi.all(
        args.hosts.map((h) =>
            pulumi
                .output({ underlayAddress: h.underlayAddress, slot: h.slot, bridgeAddress: h.bridgeAddress, underlayPort: h.underlayPort, osConfig: h.osConfig })
                .apply((r) => strip({ name: h.name, ...r })),
        ),
    );
    const rest = pulumi.output({
        bridge: args.bridge,
        tunnel: args.tunnel,
        topology: args.topology,
        hub: args.hub,
        stp: args.stp,
        underlayMtu: args.underlayMtu,
        mtu: args.mtu,
        containerNetwork: args.containerNetwork,
        hostPrefixLength: args.hostPrefixLength,
        bridgeAddressBlock: args.bridgeAddressBlock,
        dockerBridge: args.dockerBridge,
        docker: args.docker,
        datapathType: args.datapathType,
        underlayBridge: args.underlayBridge,
        vlans: args.vlans,
        flows: args.flows,
        osConfig: args.osConfig,
    });
    // The SDK's default for osConfig.ovs is false (see OsConfigSpec); the planner's own is seed 003's true.
    return pulumi.all([hosts, rest]).apply(([hs, r]): OvsMeshSpec => strip({ ...r, name, hosts: hs, osConfig: { ...r.osConfig, ovs: r.osConfig?.ovs ?? false } }));
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
