/**
 * The OVSDB records the mesh owns on one host: the underlay bridge and its NIC (datapathType "netdev"),
 * the mesh bridge, its tunnel ports and VLAN internal ports, each tagged with the mesh's owner id.
 */
import { OvsBridgeRecord, OvsPortRecord, OvsRecords, TunnelPort } from "./model";

/** The records in creation order: the underlay bridge first, since tunnels route through its address. */
export function ovsRecords(input: {
    bridge: string;
    datapathType: "system" | "netdev";
    stp: boolean | "rstp";
    mtu: number;
    ownerIds: Record<string, string>;
    tunnelPorts: TunnelPort[];
    vlans: { port: string; tag: number }[];
    underlay?: { bridge: string; port: string; mtu: number };
}): OvsRecords {
    const bridges: OvsBridgeRecord[] = [];
    const ports: OvsPortRecord[] = [];
    // One owner-ids map and each tunnel's options shared by the records (read-only): a full mesh of
    // n hosts has n(n-1) tunnel ports, and copies of these were most of the planner's allocations.
    const ownerIds = { ...input.ownerIds };
    const ids = () => ownerIds;
    if (input.underlay) {
        bridges.push({
            name: input.underlay.bridge,
            datapathType: input.datapathType,
            stpEnable: false,
            rstpEnable: false,
            otherConfig: {},
            externalIds: ids(),
            mtuRequest: input.underlay.mtu,
        });
        ports.push({
            bridge: input.underlay.bridge,
            name: input.underlay.port,
            externalIds: ids(),
            interface: { name: input.underlay.port, type: "", options: {}, externalIds: ids() },
        });
    }
    const localTag = input.vlans.find((v) => v.port === input.bridge)?.tag;
    bridges.push({
        name: input.bridge,
        datapathType: input.datapathType,
        stpEnable: input.stp === true,
        rstpEnable: input.stp === "rstp",
        otherConfig: {},
        externalIds: ids(),
        mtuRequest: input.mtu,
        ...(localTag !== undefined ? { localTag } : {}),
    });
    for (const t of input.tunnelPorts) {
        ports.push({
            bridge: input.bridge,
            name: t.name,
            externalIds: ids(),
            interface: { name: t.name, type: t.type, options: t.options, externalIds: ids() },
        });
    }
    for (const v of [...input.vlans].filter((v) => v.port !== input.bridge).sort((a, b) => (a.port < b.port ? -1 : 1))) {
        ports.push({
            bridge: input.bridge,
            name: v.port,
            tag: v.tag,
            externalIds: ids(),
            interface: { name: v.port, type: "internal", options: {}, mtuRequest: input.mtu, externalIds: ids() },
        });
    }
    return { bridges, ports };
}

