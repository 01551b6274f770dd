import * as pulumi from "@pulumi/pulumi";
import type { FileSpec, ServiceSpec, StateSpec } from "../provider/contract/desired";
import { flowCookie, planOvsMesh, validateOvsMesh } from "../provider/plan/ovs/plan";
import {
    DAEMON_JSON_PATH,
    DatapathType,
    DEFAULT_HOST_PREFIX_LENGTH,
    DOCKER_DEFAULT_FILE_PATH,
    DockerSpec,
    FlowSpec,
    HostMeshPlan,
    MeshTopology,
    OsConfigFormat,
    OsConfigSpec,
    OvsMeshSpec,
    OvsTunnelSpec,
    UnderlayBridgeSpec,
    VlanSpec,
} from "../provider/plan/ovs/model";
import { containerLayout } from "../provider/plan/ovs/subnets";
import { DAEMON_JSON_VALIDATOR } from "../provider/render/docker/daemonJson";
import { renderDockerOpts } from "../provider/render/docker/dockerOpts";
import { renderIfcfg } from "../provider/render/ovs/ifcfg";
import { INTERFACES_DIR, renderInterfaces } from "../provider/render/ovs/interfaces";
import { renderJsonKeys } from "../provider/contract/jsonKeys";
import { ovsMeshStates, ovsServiceName } from "../provider/render/ovs/ovsdb";
import { ConnectionArgs } from "./connection";
import { DerivedValue } from "./derivedValue";
import { HostConfig } from "./hostConfig";
import { issueLines } from "./issues";

/** One host of the mesh. */
export interface OvsMeshHostArgs {
    /** The host's name: keys its slot, names the tunnel ports that lead to it and its child resource. */
    name: string;
    /** How to reach the host. */
    connection: pulumi.Input<ConnectionArgs>;
    /** The tunnel endpoint other hosts send to, bare ("192.0.2.11") or as CIDR ("192.0.2.11/24", required with datapathType "netdev"). */
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
    /** The hosts; a plain list, since it decides how many child resources exist. */
    hosts: OvsMeshHostArgs[];
    /** The OVS bridge on every host. Defaults to "br0". */
    bridge?: pulumi.Input<string>;
    /** Tunnel type ("gre", "vxlan", "geneve") and its key/VNI, UDP port, Geneve option length. */
    tunnel: pulumi.Input<OvsTunnelSpec>;
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
    /** The Linux bridge Docker attaches containers to, joined to the OVS bridge. Defaults to "docker0". */
    dockerBridge?: pulumi.Input<string>;
    /** Docker daemon options: mode "daemon-json" (owned keys merged into daemon.json), "default-file" (DOCKER_OPTS) or "none"; API `hosts`, `tls`. Defaults to `{ mode: "daemon-json" }`. */
    docker?: pulumi.Input<DockerSpec>;
    /** OVS datapath: "system" (kernel) or "netdev" (userspace, e.g. DPDK; needs `underlayBridge`). Defaults to "system". */
    datapathType?: pulumi.Input<DatapathType>;
    /** The OVS bridge that takes over the tunnel endpoint address (datapathType "netdev"): name and physical port. Defaults to none. */
    underlayBridge?: pulumi.Input<UnderlayBridgeSpec>;
    /** VLAN tags on ports of the mesh bridge (the bridge's own name tags the Docker uplink). Defaults to none. */
    vlans?: pulumi.Input<VlanSpec[]>;
    /** OpenFlow rules on the mesh bridge, kept under the mesh's cookie. Defaults to none (the bridge's NORMAL flow). */
    flows?: pulumi.Input<FlowSpec[]>;
    /**
     * OS network config: `format` ("interfaces", "ifcfg", "none") and `ovs`, whether it also declares the OVS bridges and ports
     * (seed 003's `allow-ovs` stanzas). Defaults to `{ format: "interfaces", ovs: false }`: OVSDB keeps the bridges across
     * restarts by itself, while Debian's openvswitch-switch deletes `allow-ovs` bridges on every stop (taking their ports
     * down) and recreates them from the stanzas on start, without what only OVSDB holds.
     */
    osConfig?: pulumi.Input<OsConfigSpec>;
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
    /** What the planner decided or wants the user to know (spanning tree, slots reused, ...). */
    readonly notes: pulumi.Output<string[]>;

    constructor(name: string, args: OvsMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-onprem:index:OvsMesh", name, {}, opts);
        if (args.hosts.length === 0) throw new pulumi.ResourceError(`OvsMesh ${name}: \`hosts\` must name at least one host`, this);
        // Host names name the children: a duplicate would fail as a clash of resource names, so say it plainly.
        args.hosts.forEach((h, i) => {
            const first = args.hosts.findIndex((o) => o.name === h.name);
            if (first !== i) throw new pulumi.ResourceError(`OvsMesh ${name}: \`hosts[${i}].name\`: ${JSON.stringify(h.name)} is also hosts[${first}]'s name`, this);
        });

        const hostSpecs = pulumi.all(
            args.hosts.map((h) =>
                pulumi
                    .all([h.underlayAddress, h.slot, h.bridgeAddress, h.underlayPort, h.osConfig])
                    .apply(([underlayAddress, slot, bridgeAddress, underlayPort, osConfig]) =>
                        strip({ name: h.name, underlayAddress, slot, bridgeAddress, underlayPort, osConfig }),
                    ),
            ),
        );
        const rest = pulumi.all({
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
        const spec = pulumi
            .all([hostSpecs, rest])
            .apply(([hosts, r]) => {
                const os = r.osConfig as OsConfigSpec | undefined;
                return strip({ name, hosts, ...r, osConfig: { ...os, ovs: os?.ovs ?? false } }) as unknown as OvsMeshSpec;
            });

        // Slots live in state: a host keeps its subnet and bridge address while others come and go.
        const slots = new DerivedValue(
            `${name}-slots`,
            {
                derivation: "meshSlots",
                input: spec.apply((s) => ({
                    hosts: (Array.isArray(s.hosts) ? s.hosts : []).map((h) => strip({ name: h.name, slot: h.slot })),
                    maxSlot: maxSlotOf(s),
                })),
            },
            { parent: this },
        );

        const outcome = pulumi.all([spec, slots.value]).apply(([s, previous]) => {
            const issues = validateOvsMesh(s, previous ?? {});
            if (issues.length > 0) return { inputErrors: issueLines(`OvsMesh ${name}`, issues) };
            const plan = planOvsMesh(s, previous ?? {});
            return { inputErrors: [] as string[], plan };
        });
        const inputErrors = outcome.apply((o) => (o.inputErrors.length > 0 ? o.inputErrors : undefined)) as pulumi.Output<string[]>;

        for (const h of args.hosts) {
            const host = outcome.apply((o) => o.plan?.hosts[h.name]);
            new HostConfig(
                `${name}-${h.name}`,
                {
                    connection: h.connection,
                    kind: "ovs-mesh",
                    inputErrors,
                    files: host.apply((p) => (p ? hostFiles(p) : [])),
                    packages: [{ name: "openvswitch-switch", rpm: "openvswitch" }],
                    ensurePackages: args.ensurePackages,
                    services: host.apply((p) => (p ? hostServices(p) : [])),
                    validators: host.apply((p) => (p ? hostValidators(p) : [])),
                    states: host.apply((p): StateSpec[] => (p ? ovsMeshStates(p) : [])),
                },
                { parent: this, dependsOn: [slots] },
            );
        }

        this.hosts = outcome.apply((o) =>
            Object.fromEntries(
                Object.values(o.plan?.hosts ?? {}).map((p) => [
                    p.name,
                    {
                        slot: p.slot,
                        subnet: p.slice,
                        bridgeAddress: p.bridgeAddress,
                        mtu: p.mtu,
                        tunnelPorts: Object.fromEntries(p.tunnelPorts.map((t) => [t.peer, t.name])),
                    },
                ]),
            ),
        );
        this.files = outcome.apply((o) =>
            Object.fromEntries(Object.values(o.plan?.hosts ?? {}).map((p) => [p.name, Object.fromEntries(hostFiles(p).map((f) => [f.path, f.content]))])),
        );
        this.mtu = outcome.apply((o) => Object.values(o.plan?.hosts ?? {})[0]?.mtu ?? 0);
        this.flowCookie = outcome.apply((o) => (o.plan ? flowCookie(name) : ""));
        this.notes = outcome.apply((o) => o.plan?.notes ?? []);
        this.registerOutputs({ hosts: this.hosts, files: this.files, mtu: this.mtu, flowCookie: this.flowCookie, notes: this.notes });
    }
}

/** The highest slot the container network holds; 0 when it is broken (the validator names the field). */
function maxSlotOf(s: OvsMeshSpec): number {
    try {
        return containerLayout(s.containerNetwork, s.hostPrefixLength ?? DEFAULT_HOST_PREFIX_LENGTH, s.bridgeAddressBlock).layout?.maxSlot ?? 0;
    } catch {
        return 0;
    }
}

/** The OS network config and Docker's options on one host. */
function hostFiles(p: HostMeshPlan): FileSpec[] {
    const os = p.osConfig.format === "interfaces" ? renderInterfaces(p) : p.osConfig.format === "ifcfg" ? renderIfcfg(p) : [];
    const files: FileSpec[] = os.map((f) => ({ path: f.path, content: f.content, mode: f.mode }));
    if (p.docker.mode === "daemon-json") {
        // Only the mesh's keys: the provider merges them into the file and leaves the others alone.
        files.push({ path: DAEMON_JSON_PATH, content: renderJsonKeys(p.docker.daemonJson), merge: "json-keys", mode: "0644" });
    } else if (p.docker.mode === "default-file") {
        files.push({ path: DOCKER_DEFAULT_FILE_PATH, content: renderDockerOpts(p.docker.options), mode: "0644" });
    }
    return files;
}

function dockerFile(p: HostMeshPlan): string | undefined {
    return p.docker.mode === "daemon-json" ? DAEMON_JSON_PATH : p.docker.mode === "default-file" ? DOCKER_DEFAULT_FILE_PATH : undefined;
}

function hostServices(p: HostMeshPlan): ServiceSpec[] {
    const services: ServiceSpec[] = [{ name: ovsServiceName(p.osConfig.format), onChange: "none", state: "running", enabled: true }];
    const docker = dockerFile(p);
    // dockerd reads bridge, fixed-cidr and mtu only at start; hosts without Docker yet are left alone.
    if (docker) services.push({ name: "docker", onChange: "restart", onlyIfRunning: true, watch: [docker] });
    return services;
}

function hostValidators(p: HostMeshPlan) {
    const checks = [];
    if (p.docker.mode === "daemon-json") {
        // Docker refuses "bip" next to "bridge"; hosts without dockerd would only find out when it is installed.
        checks.push({
            description: "daemon.json sets no \"bip\" next to the mesh's \"bridge\"",
            command: `if grep -q '"bip"[[:space:]]*:' {{staged:${DAEMON_JSON_PATH}}}; then echo '${DAEMON_JSON_PATH} sets "bip", which Docker refuses together with "bridge" (set by the mesh): remove it' >&2; exit 1; fi`,
        });
        checks.push(DAEMON_JSON_VALIDATOR);
    }
    if (p.osConfig.format === "interfaces") {
        const path = `${INTERFACES_DIR}/${p.bridge}`;
        checks.push({ description: "ifupdown reads the stanzas (ifquery)", command: `if command -v ifquery >/dev/null 2>&1; then ifquery -i {{staged:${path}}} --list -a >/dev/null; fi` });
    }
    return checks;
}

function strip<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
