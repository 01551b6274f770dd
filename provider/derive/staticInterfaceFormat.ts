/**
 * `StaticInterface` `format: "auto"`: the facts its choice needs, kept in state. Not pure: when no
 * facts for the host are kept yet (or the kept ones gave no format, so the host may have changed since),
 * it reads the host's /etc/os-release and tools over SSH, read-only, one connection of its own. After
 * the first deploy a preview connects nowhere; an explicit format never connects.
 */
import { isOnpremError, OnpremError } from "../contract/errors";
import { lookupHostFacts } from "../host/lookupFacts";
import { chooseFormat, FORMAT_TOOL } from "../plan/staticInterface/format";
import type { ConnectionSpec } from "../ssh/connection";

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

/** One read per host per provider process, however many interfaces the host has. */
const reads = new Map<string, Promise<StaticInterfaceFacts>>();

/** The kept facts, fresh ones, or undefined when they are needed but the connection is not known yet (preview). */
export async function staticInterfaceFormat(
    input: StaticInterfaceFormatInput,
    previous: StaticInterfaceFormatValue | undefined,
    connection: ConnectionSpec | undefined,
): Promise<StaticInterfaceFormatValue | undefined> {
    if (input.format !== "auto") return { target: input.target };
    if (previous?.target === input.target && previous.facts && chooseFormat(previous.facts).ok) return previous;
    if (!connection) return undefined;
    let read = reads.get(input.target);
    if (!read) {
        read = lookupHostFacts(connection).then(({ osFamily, osId, osVersion, tools }): StaticInterfaceFacts => ({
            osFamily, osId, osVersion,
            // Only the tools the choice looks at: state stays small and changes only when they do.
            tools: Object.fromEntries(Object.values(FORMAT_TOOL).map((t) => [t, tools[t] === true])),
        }));
        reads.set(input.target, read);
        read.catch(() => reads.delete(input.target));
    }
    try {
        return { target: input.target, facts: await read };
    } catch (e) {
        // The kind stays (a host key problem is not a network one); the message says why we connected at all.
        const kind = isOnpremError(e) ? e.kind : "Connection";
        throw new OnpremError(kind, `\`format\`: "auto" reads the host's OS to choose the format and could not (set \`format\` to skip the read): ${(e as Error).message}`, { cause: e });
    }
}
