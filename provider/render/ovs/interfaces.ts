/**
 * Debian ifupdown stanzas for one host of an OvsMesh, in /etc/network/interfaces.d/<bridge>, as seed 003
 * writes them by hand: the OVS bridge (`allow-ovs`, `ovs_type OVSBridge`) with its tunnel ports, and
 * the Docker bridge (a Linux bridge with the OVS bridge's internal port as its port). Open vSwitch's
 * ifupdown hook turns the `ovs_*` options into `ovs-vsctl --may-exist` calls at boot; OVSDB keeps the
 * records anyway, so these stanzas mainly order boot: the OVS bridge exists before the Docker bridge
 * takes it as a port. With `osConfig.ovs` false only the Docker bridge is written.
 */
import { IPv4Prefix } from "ip-num";
import { HostMeshPlan, OvsBridgeRecord, OvsPortRecord } from "../../plan/ovs/model";
import { MANAGED_HEADER } from "../managedHeader";
import { tunnelOptionArgs } from "./ovsdb";

export const INTERFACES_DIR = "/etc/network/interfaces.d";

/** The interfaces.d file of one host. */
export function renderInterfaces(host: HostMeshPlan): { path: string; content: string; mode: string } {
    const blocks: string[][] = [];
    if (host.osConfig.ovs) {
        for (const bridge of host.ovs.bridges) {
            const ports = host.ovs.ports.filter((p) => p.bridge === bridge.name);
            const address = host.underlay && host.underlay.bridge === bridge.name ? host.underlay.address : undefined;
            blocks.push(bridgeStanza(bridge, ports, address));
            for (const port of ports) blocks.push(portStanza(port));
        }
    }
    blocks.push(dockerBridgeStanza(host));
    const summary = `# OvsMesh ${host.mesh} on ${host.name}: slot ${host.slot}, containers ${host.slice}, bridge ${host.bridgeAddress}, MTU ${host.mtu}.`;
    const content = [[MANAGED_HEADER, summary], ...blocks].map((b) => b.join("\n")).join("\n\n") + "\n";
    return { path: `${INTERFACES_DIR}/${host.bridge}`, content, mode: "0644" };
}

function bridgeStanza(bridge: OvsBridgeRecord, ports: OvsPortRecord[], address: string | undefined): string[] {
    const extra = [
        ...(bridge.datapathType === "netdev" ? [`set bridge ${bridge.name} datapath_type=netdev`] : []),
        ...(bridge.stpEnable ? [`set bridge ${bridge.name} stp_enable=true`] : []),
        ...(bridge.rstpEnable ? [`set bridge ${bridge.name} rstp_enable=true`] : []),
        ...(bridge.mtuRequest !== undefined ? [`set interface ${bridge.name} mtu_request=${bridge.mtuRequest}`] : []),
        ...(bridge.localTag !== undefined ? [`set port ${bridge.name} tag=${bridge.localTag}`] : []),
    ];
    // "auto X=X" maps the interface to itself: `ifquery --list --allow auto` then skips it (seed 003's note).
    const lines = [`auto ${bridge.name}=${bridge.name}`, `allow-ovs ${bridge.name}`];
    if (address !== undefined) {
        lines.push(`iface ${bridge.name} ${address.includes(":") ? "inet6" : "inet"} static`, `    address ${address}`);
    } else {
        lines.push(`iface ${bridge.name} inet manual`);
    }
    lines.push("    ovs_type OVSBridge");
    if (ports.length > 0) lines.push(`    ovs_ports ${ports.map((p) => p.name).join(" ")}`);
    if (extra.length > 0) lines.push(`    ovs_extra ${extra.join(" -- ")}`);
    if (bridge.mtuRequest !== undefined) lines.push(`    mtu ${bridge.mtuRequest}`);
    return lines;
}

function portStanza(port: OvsPortRecord): string[] {
    const i = port.interface;
    const lines = [`allow-${port.bridge} ${port.name}`, `iface ${port.name} inet manual`];
    switch (i.type) {
        case "":
            lines.push("    ovs_type OVSPort", `    ovs_bridge ${port.bridge}`);
            break;
        case "internal":
            lines.push("    ovs_type OVSIntPort", `    ovs_bridge ${port.bridge}`);
            break;
        case "gre":
        case "vxlan":
        case "geneve":
            lines.push(
                "    ovs_type OVSTunnel",
                `    ovs_bridge ${port.bridge}`,
                `    ovs_tunnel_type ${i.type}`,
                `    ovs_tunnel_options ${tunnelOptionArgs(i.options).join(" ")}`,
            );
            break;
        default:
            return assertNever(i.type);
    }
    if (port.tag !== undefined) lines.push(`    ovs_options tag=${port.tag}`);
    if (i.mtuRequest !== undefined) lines.push(`    mtu ${i.mtuRequest}`);
    return lines;
}

function dockerBridgeStanza(host: HostMeshPlan): string[] {
    const [address, prefix] = host.bridgeAddress.split("/");
    const netmask = IPv4Prefix.fromNumber(BigInt(prefix)).toMask().toString();
    const d = host.dockerBridge;
    const b = host.bridge;
    return [
        `auto ${d}=${d}`,
        `iface ${d} inet static`,
        `    address ${address}`,
        `    netmask ${netmask}`,
        `    bridge_ports ${b}`,
        // Spanning tree runs on the OVS bridge; on this leaf bridge it would only delay forwarding.
        "    bridge_stp off",
        "    bridge_fd 0",
        // The bridge_* options need bridge-utils, which Debian does not install with ifupdown or Docker:
        // without it the device is missing at boot (dockerd makes it later) and `ifup -a` fails. So the
        // bridge and its port are also set up here; the OVS bridge comes from ovs-vswitchd, which
        // networking.service starts after.
        `    pre-up [ -e /sys/class/net/${d} ] || ip link add ${d} type bridge`,
        `    pre-up ip link set ${d} type bridge stp_state 0 forward_delay 0`,
        `    up i=0; while [ ! -e /sys/class/net/${b} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; ip link set ${b} master ${d} && ip link set ${b} up`,
        `    mtu ${host.mtu}`,
    ];
}

function assertNever(x: never): never {
    throw new Error(`unexpected interface type ${String(x)}`);
}
