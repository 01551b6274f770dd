/**
 * The pure part of `StaticInterface` `format: "auto"`: the facts kept in state, and whether what is kept
 * serves without reading the host. The SDK names these types, so this file must not reach the read itself
 * (staticInterfaceFormat.ts, which connects over SSH).
 */
import { chooseFormat } from "../plan/staticInterface/format";

/** What `auto` chooses from, as kept in state (plan/staticInterface/format.ts `FormatFacts`, which takes it). */
export interface StaticInterfaceFacts {
    /** The OS family from /etc/os-release `ID` and `ID_LIKE`. */
    osFamily: "debian" | "rhel" | "other";
    /** `ID` from /etc/os-release: "centos", "ubuntu", "debian", ... */
    osId: string;
    /** `VERSION_ID` from /etc/os-release: "7", "22.04", ... */
    osVersion: string;
    /** Which of the formats' tools (ifup, netplan, nmcli) the host has. */
    tools: Record<string, boolean>;
    /** Devices a running network service has (netplan, NetworkManager): `auto` writes that service's format for them. Absent in facts kept by older versions. */
    managers?: Record<string, "netplan" | "networkmanager">;
}

/** Input of `staticInterfaceFormat`. */
export interface StaticInterfaceFormatInput {
    /** The format asked for ("ifcfg", "interfaces", "netplan", "networkmanager" or "auto"); only "auto" reads the host. */
    format: string;
    /** `user@host:port`: whose facts are kept (another host reads again). */
    target: string;
}

/** Value of `staticInterfaceFormat`: the host's facts for `auto`, none for an explicit format. */
export interface StaticInterfaceFormatValue {
    /** `user@host:port` the facts were read from. */
    target: string;
    /** The facts, for "auto"; none for an explicit format. */
    facts?: StaticInterfaceFacts;
}

/**
 * The value when no read is needed: an explicit format needs no facts, and facts kept for the same host
 * serve while they still give a format (if not, the host may have changed since). Undefined: read the host.
 */
export function valueWithoutRead(input: StaticInterfaceFormatInput, previous: StaticInterfaceFormatValue | undefined): StaticInterfaceFormatValue | undefined {
    if (input.format !== "auto") return { target: input.target };
    if (previous?.target === input.target && previous.facts && chooseFormat(previous.facts).ok) return previous;
    return undefined;
}
