import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, DockerRegistry, KeepalivedCluster, OvsMesh, StaticInterface } from "pulumi-onprem";

/** One machine of the site. */
export interface SiteHost {
    /** Short name: names the child resources. */
    name: string;
    /** How to reach it (its management address). */
    connection: ConnectionArgs;
    /** The management interface, e.g. "eth0". */
    managementInterface: string;
    /** Its management address with prefix, as it is now: kept in the static config. */
    managementCidr: string;
    /** A second, static service address on the management interface ("10.0.0.61/24"). */
    serviceCidr: string;
    /** The interface that carries the mesh's tunnels, e.g. "eth1". */
    underlayInterface: string;
    /** The tunnel endpoint address with prefix ("10.0.1.11/24"). */
    underlayCidr: string;
}

/** Inputs of `Datacenter`. */
export interface DatacenterArgs {
    /** The machines; the first runs the registry and normally holds the VIP. */
    hosts: SiteHost[];
    /** The registry's virtual address, in the management subnet. */
    vip: string;
    /** VRRP password (at most 8 characters). */
    vrrpPassword: pulumi.Input<string>;
    /** Password of the registry's user "ops". */
    registryPassword: pulumi.Input<string>;
    /** Tunnel type of the mesh. */
    tunnel: "gre" | "vxlan";
    /** "system" (kernel datapath) or "netdev" (userspace; the underlay address moves onto br-phy). */
    datapathType: "system" | "netdev";
    /** Network config file format on the hosts, or "auto" to read it from each host. */
    networkFormat: "auto" | "ifcfg" | "interfaces" | "netplan" | "networkmanager";
    /** The network every host's containers get a slice of. */
    containerNetwork: string;
}

/**
 * A site as this team runs it, packaged once: static addresses first, then the Docker mesh over the
 * second interface, then the registry, then a VIP in front of the registry. Programs create one
 * `Datacenter` per site instead of repeating the four resources and their order.
 */
export class Datacenter extends pulumi.ComponentResource {
    /** The registry's URL, through the VIP. */
    readonly registryUrl: pulumi.Output<string>;
    /** The CA clients trust for the registry (public). */
    readonly registryCa: pulumi.Output<string | undefined>;
    /** Per host: its container subnet, bridge address and MTU. */
    readonly mesh: OvsMesh["hosts"];
    /** Which host holds the VIP when all are up. */
    readonly vipHolder: pulumi.Output<string>;
    /** Per host: the addresses read back from the management interface. */
    readonly addresses: pulumi.Output<Record<string, string[]>>;

    constructor(name: string, args: DatacenterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("acme:site:Datacenter", name, {}, opts);
        const [registryHost] = args.hosts;

        // 1. Static addresses: each host keeps its management address and gains a service address.
        //    Commit-confirmed: a mistake here is reverted by the host itself within 30 s.
        const statics = args.hosts.map(
            (h) =>
                new StaticInterface(`${name}-${h.name}-${h.managementInterface}`, {
                    connection: h.connection,
                    device: h.managementInterface,
                    addresses: [h.managementCidr, h.serviceCidr],
                    format: args.networkFormat,
                    confirmTimeoutSeconds: 30,
                }, { parent: this }),
        );

        // On the kernel datapath the tunnel endpoint is an ordinary address of the second interface, kept in
        // the host's own network config like the management one. (The userspace datapath moves it onto br-phy.)
        const underlays =
            args.datapathType === "system"
                ? args.hosts.map(
                      (h) =>
                          new StaticInterface(`${name}-${h.name}-${h.underlayInterface}`, {
                              connection: h.connection,
                              device: h.underlayInterface,
                              addresses: [h.underlayCidr],
                              format: args.networkFormat,
                          }, { parent: this }),
                  )
                : [];

        // 2. The Docker network: every host's containers on one L2 segment over tunnels on the second interface.
        const mesh = new OvsMesh(`${name}-mesh`, {
            hosts: args.hosts.map((h) => ({ name: h.name, connection: h.connection, underlayAddress: h.underlayCidr, underlayPort: h.underlayInterface })),
            tunnel: { type: args.tunnel },
            // Rapid spanning tree: the full mesh has loops, and RSTP opens the ports in seconds, not STP's 30 s.
            stp: "rstp",
            containerNetwork: args.containerNetwork,
            datapathType: args.datapathType,
            ...(args.datapathType === "netdev" ? { underlayBridge: { name: "br-phy" } } : {}),
        }, { parent: this, dependsOn: [...statics, ...underlays] });

        // 3. The registry on the first host, its certificate valid for the VIP and the host's service address;
        //    every host's Docker trusts it.
        const registry = new DockerRegistry(`${name}-registry`, {
            connection: registryHost.connection,
            hostnames: [args.vip, registryHost.serviceCidr.split("/")[0]],
            users: [{ name: "ops", password: args.registryPassword }],
            clients: args.hosts.map((h) => ({ name: h.name, connection: h.connection })),
        }, { parent: this, dependsOn: statics });

        // 4. The VIP in front of the registry: its host is the master.
        const vrrp = new KeepalivedCluster(`${name}-vip`, {
            nodes: args.hosts.map((h) => ({
                name: h.name,
                connection: h.connection,
                address: h.managementCidr.split("/")[0],
                interface: h.managementInterface,
                interfaceCidr: h.managementCidr,
            })),
            instances: [{ name: "VI_REGISTRY", virtualRouterId: 71, master: registryHost.name, vips: [args.vip], auth: { type: "PASS", password: args.vrrpPassword } }],
        }, { parent: this, dependsOn: [registry] });

        this.registryUrl = registry.url;
        this.registryCa = registry.caCertificate;
        this.mesh = mesh.hosts;
        this.vipHolder = vrrp.expectedHolders.apply((h) => h.VI_REGISTRY);
        this.addresses = pulumi
            .all(statics.map((s, i) => s.liveAddresses.apply((a) => [args.hosts[i].name, a] as const)))
            .apply((entries) => Object.fromEntries(entries));
        this.registerOutputs({ registryUrl: this.registryUrl, registryCa: this.registryCa, mesh: this.mesh, vipHolder: this.vipHolder, addresses: this.addresses });
    }
}
