/**
 * Tunnel overhead and the largest overlay MTU. A tunnel wraps the whole inner Ethernet frame, so every
 * header it adds comes out of the underlay MTU. Seed 003 counts GRE as 14 (inner Ethernet, the frame
 * between the bridges) + 20 (outer IPv4) + 4 (GRE base header) = 38, so 1500 - 38 = 1462.
 *
 * | tunnel  | outer IP (v4/v6) | UDP | tunnel header            | inner Ethernet | IPv4 total | IPv6 total |
 * |---------|------------------|-----|--------------------------|----------------|------------|------------|
 * | gre     | 20 / 40          | -   | 4 (+4 with a key)        | 14             | 38 (42)    | 58 (62)    |
 * | vxlan   | 20 / 40          | 8   | 8                        | 14             | 50         | 70         |
 * | geneve  | 20 / 40          | 8   | 8 + options (0-252)      | 14             | 50 + opts  | 70 + opts  |
 *
 * Frames that cross a tunnel with an 802.1Q tag (VLANs on the mesh) carry 4 more bytes.
 */
import type { Issue } from "../../contract/issue";
import { MAX_MTU, minMtu } from "../../model/mtu";
import type { TunnelType } from "./args";

const INNER_ETHERNET = 14;
const VLAN_TAG = 4;
const OUTER_IP = { 4: 20, 6: 40 } as const;
const UDP = 8;
const GRE_BASE = 4;
const GRE_KEY = 4;
const VXLAN_HEADER = 8;
const GENEVE_BASE = 8;

export interface OverheadInput {
    type: TunnelType;
    /** The underlay's address family. Default: 4. */
    underlayFamily?: 4 | 6;
    /** A GRE key is configured (numeric or "flow"): the GRE header grows by 4. Default: false. */
    key?: boolean;
    /** Geneve TLV option bytes. Default: 0. */
    optionsLength?: number;
    /** Tagged frames cross the tunnels. Default: false. */
    vlanTagged?: boolean;
}

export interface Overhead {
    outerIp: number;
    udp: number;
    tunnelHeader: number;
    innerEthernet: number;
    vlanTag: number;
    total: number;
}

/** The bytes a tunnel adds around an overlay IP packet, part by part. */
export function tunnelOverhead(input: OverheadInput): Overhead {
    const outerIp = OUTER_IP[input.underlayFamily ?? 4];
    let udp: number;
    let tunnelHeader: number;
    switch (input.type) {
        case "gre":
            udp = 0;
            tunnelHeader = GRE_BASE + (input.key ? GRE_KEY : 0);
            break;
        case "vxlan":
            udp = UDP;
            tunnelHeader = VXLAN_HEADER;
            break;
        case "geneve":
            udp = UDP;
            tunnelHeader = GENEVE_BASE + (input.optionsLength ?? 0);
            break;
        default:
            return assertNever(input.type);
    }
    const vlanTag = input.vlanTagged ? VLAN_TAG : 0;
    return { outerIp, udp, tunnelHeader, innerEthernet: INNER_ETHERNET, vlanTag, total: outerIp + udp + tunnelHeader + INNER_ETHERNET + vlanTag };
}

/** The largest MTU an overlay interface may have over an underlay of `underlayMtu`. */
export function maxOverlayMtu(underlayMtu: number, input: OverheadInput): number {
    return underlayMtu - tunnelOverhead(input).total;
}

export interface MtuInput extends OverheadInput {
    underlayMtu: number;
    /** The explicit MTU, if any. */
    mtu?: number;
}

export interface MtuResult {
    mtu: number;
    max: number;
    overhead: Overhead;
    issues: Issue[];
}

/** Resolves the mesh MTU: the explicit one if it fits, else the maximum; issues name `underlayMtu` or `mtu`. */
export function resolveMtu(input: MtuInput): MtuResult {
    const issues: Issue[] = [];
    const family = input.underlayFamily ?? 4;
    const underMin = minMtu(family);
    const overhead = tunnelOverhead(input);
    const max = input.underlayMtu - overhead.total;
    if (!Number.isInteger(input.underlayMtu) || input.underlayMtu < underMin || input.underlayMtu > MAX_MTU) {
        issues.push(issue("underlayMtu", `${input.underlayMtu} is outside ${underMin}-${MAX_MTU}${family === 6 ? " (IPv6 underlay)" : ""}`));
    } else if (max < minMtu(4)) {
        issues.push(issue("underlayMtu", `${input.underlayMtu} leaves ${max} after the ${overhead.total}-byte ${input.type} overhead, below the IPv4 minimum ${minMtu(4)}`));
    }
    if (input.mtu !== undefined) {
        if (!Number.isInteger(input.mtu)) {
            issues.push(issue("mtu", `${input.mtu} is not an integer`));
        } else if (input.mtu > max) {
            issues.push(issue("mtu", `${input.mtu} is above ${max}, the most a ${input.underlayMtu}-byte underlay carries through ${input.type} (${overhead.total} bytes of overhead)`));
        } else if (input.mtu < minMtu(4)) {
            issues.push(issue("mtu", `${input.mtu} is below the IPv4 minimum ${minMtu(4)}`));
        }
    }
    return { mtu: input.mtu ?? max, max, overhead, issues };
}

function issue(field: string, text: string): Issue {
    return { field, message: `\`${field}\`: ${text}` };
}

function assertNever(x: never): never {
    throw new Error(`unexpected value ${String(x)}`);
}
