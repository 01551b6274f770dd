/**
 * RHEL network-scripts files for one host of an OvsMesh: `ifcfg-<name>` with `DEVICETYPE=ovs` for the
 * OVS bridge (TYPE=OVSBridge, or OVSUserBridge for the userspace datapath), its tunnels (OVSTunnel with
 * OVS_TUNNEL_TYPE/OVS_TUNNEL_OPTIONS), internal ports (OVSIntPort) and NIC (OVSPort), and the Docker
 * bridge (TYPE=Bridge). Open vSwitch's ifup-ovs reads them. Linux bridge membership is declared on the
 * member, so the OVS bridge's file (with `BRIDGE=<docker bridge>`) is written even when `osConfig.ovs`
 * is false; the tunnel and port files are not.
 */
import { IPv4Prefix } from "ip-num";
import { shellQuote } from "../../contract/shell";
import { HostMeshPlan, OvsBridgeRecord, OvsPortRecord } from "../../plan/ovs/model";
import { MANAGED_HEADER } from "../managedHeader";
import { tunnelOptionArgs } from "./ovsdb";

/** One ifcfg file. */
interface IfcfgFile {
    path: string;
    content: string;
    mode: string;
}

const NETWORK_SCRIPTS_DIR = "/etc/sysconfig/network-scripts";

/** The ifcfg files of one host, sorted by path. */
export function renderIfcfg(host: HostMeshPlan): IfcfgFile[] {
    const files: IfcfgFile[] = [];
    for (const bridge of host.ovs.bridges) {
        const isMesh = bridge.name === host.bridge;
        if (!host.osConfig.ovs && !isMesh) continue;
        files.push(file(bridge.name, bridgeVars(bridge, host, isMesh)));
    }
    if (host.osConfig.ovs) for (const port of host.ovs.ports) files.push(file(port.name, portVars(port)));
    files.push(file(host.dockerBridge, dockerBridgeVars(host)));
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

type Vars = [string, string | number][];

function bridgeVars(bridge: OvsBridgeRecord, host: HostMeshPlan, isMesh: boolean): Vars {
    const extra = [
        ...(bridge.stpEnable ? [`set bridge ${bridge.name} stp_enable=true`] : []),
        ...(bridge.rstpEnable ? [`set bridge ${bridge.name} rstp_enable=true`] : []),
        ...(bridge.mtuRequest !== undefined ? [`set interface ${bridge.name} mtu_request=${bridge.mtuRequest}`] : []),
        ...(bridge.localTag !== undefined ? [`set port ${bridge.name} tag=${bridge.localTag}`] : []),
    ];
    const vars: Vars = [
        ["DEVICE", bridge.name],
        ["ONBOOT", "yes"],
        ["DEVICETYPE", "ovs"],
        // ifup-ovs sets datapath_type=netdev itself for OVSUserBridge.
        ["TYPE", bridge.datapathType === "netdev" ? "OVSUserBridge" : "OVSBridge"],
    ];
    const underlay = host.underlay && host.underlay.bridge === bridge.name ? host.underlay.address : undefined;
    if (underlay !== undefined) {
        const [address, prefix] = underlay.split("/");
        if (address.includes(":")) vars.push(["BOOTPROTO", "none"], ["IPV6INIT", "yes"], ["IPV6ADDR", underlay]);
        else vars.push(["BOOTPROTO", "static"], ["IPADDR", address], ["PREFIX", prefix]);
    } else {
        vars.push(["BOOTPROTO", "none"]);
    }
    if (bridge.mtuRequest !== undefined) vars.push(["MTU", bridge.mtuRequest]);
    if (isMesh) vars.push(["BRIDGE", host.dockerBridge]);
    if (extra.length > 0) vars.push(["OVS_EXTRA", extra.join(" -- ")]);
    vars.push(["HOTPLUG", "no"], ["NM_CONTROLLED", "no"]);
    return vars;
}

function portVars(port: OvsPortRecord): Vars {
    const i = port.interface;
    const vars: Vars = [
        ["DEVICE", port.name],
        ["ONBOOT", "yes"],
        ["DEVICETYPE", "ovs"],
    ];
    switch (i.type) {
        case "":
            vars.push(["TYPE", "OVSPort"], ["OVS_BRIDGE", port.bridge]);
            break;
        case "internal":
            vars.push(["TYPE", "OVSIntPort"], ["OVS_BRIDGE", port.bridge]);
            break;
        case "gre":
        case "vxlan":
        case "geneve":
            vars.push(
                ["TYPE", "OVSTunnel"],
                ["OVS_BRIDGE", port.bridge],
                ["OVS_TUNNEL_TYPE", i.type],
                ["OVS_TUNNEL_OPTIONS", tunnelOptionArgs(i.options).join(" ")],
            );
            break;
        default:
            return assertNever(i.type);
    }
    if (port.tag !== undefined) vars.push(["OVS_OPTIONS", `tag=${port.tag}`]);
    if (i.mtuRequest !== undefined) vars.push(["MTU", i.mtuRequest]);
    vars.push(["BOOTPROTO", "none"], ["HOTPLUG", "no"], ["NM_CONTROLLED", "no"]);
    return vars;
}

function dockerBridgeVars(host: HostMeshPlan): Vars {
    const [address, prefix] = host.bridgeAddress.split("/");
    return [
        ["DEVICE", host.dockerBridge],
        ["ONBOOT", "yes"],
        ["TYPE", "Bridge"],
        ["BOOTPROTO", "none"],
        ["IPADDR", address],
        ["PREFIX", prefix],
        // For tools that read NETMASK only.
        ["NETMASK", IPv4Prefix.fromNumber(BigInt(prefix)).toMask().toString()],
        ["MTU", host.mtu],
        // Spanning tree runs on the OVS bridge; on this leaf bridge it would only delay forwarding.
        ["STP", "no"],
        ["DELAY", 0],
        ["NM_CONTROLLED", "no"],
    ];
}

function file(name: string, vars: Vars): IfcfgFile {
    const lines = [MANAGED_HEADER, ...vars.map(([k, v]) => `${k}=${shellQuote(String(v))}`)];
    return { path: `${NETWORK_SCRIPTS_DIR}/ifcfg-${name}`, content: `${lines.join("\n")}\n`, mode: "0644" };
}

function assertNever(x: never): never {
    throw new Error(`unexpected interface type ${String(x)}`);
}
