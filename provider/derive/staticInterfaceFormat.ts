/**
 * `StaticInterface` `format: "auto"`: the facts its choice needs, kept in state. Not pure: when no
 * facts for the host are kept yet (or the kept ones gave no format, so the host may have changed since),
 * it reads the host's /etc/os-release and tools over SSH, read-only, one connection of its own. After
 * the first deploy a preview connects nowhere; an explicit format never connects.
 */
import { isOnpremError, OnpremError } from "../contract/errors";
import { hostFacts } from "../host/facts";
import { DeviceManager, FORMAT_TOOL } from "../plan/staticInterface/format";
import type { ConnectionSpec } from "../ssh/connection";
import { runChecked } from "../ssh/exec";
import { dialUnpooled, type PooledConnection } from "../ssh/pool";
import { flushStats } from "../ssh/stats";
import { StaticInterfaceFacts, StaticInterfaceFormatInput, StaticInterfaceFormatValue, valueWithoutRead } from "./staticInterfaceFacts";

/** One read per host per provider process, however many interfaces the host has. */
const reads = new Map<string, Promise<StaticInterfaceFacts>>();

/** The kept facts, fresh ones, or undefined when they are needed but the connection is not known yet (preview). */
export async function staticInterfaceFormat(
    input: StaticInterfaceFormatInput,
    previous: StaticInterfaceFormatValue | undefined,
    connection: ConnectionSpec | undefined,
): Promise<StaticInterfaceFormatValue | undefined> {
    const kept = valueWithoutRead(input, previous);
    if (kept) return kept;
    if (!connection) return undefined;
    let read = reads.get(input.target);
    if (!read) {
        read = readFacts(connection);
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

/**
 * Who runs which device: netplan names each device it renders in its generated file (networkd or
 * NetworkManager), and a running NetworkManager lists the devices it manages. Read-only.
 */
const MANAGERS_SCRIPT = `
for f in /run/systemd/network/10-netplan-*.network /run/NetworkManager/system-connections/netplan-*.nmconnection; do
  [ -e "$f" ] || continue; n=\${f##*/}; n=\${n#10-netplan-}; n=\${n#netplan-}; echo "netplan \${n%.*}"
done
if command -v nmcli >/dev/null 2>&1 && [ "$(nmcli -t -f RUNNING general 2>/dev/null)" = running ]; then
  nmcli -t -f DEVICE,STATE device 2>/dev/null | while IFS=: read -r d s; do [ "$s" = unmanaged ] || echo "networkmanager $d"; done
fi
exit 0
`;

/** Pure: the managers script's output; netplan wins (it renders for NetworkManager too). */
export function parseManagers(text: string): Record<string, DeviceManager> {
    const out: Record<string, DeviceManager> = {};
    for (const line of text.split("\n")) {
        const [manager, device] = line.trim().split(" ");
        if (!device || (manager !== "netplan" && manager !== "networkmanager")) continue;
        if (out[device] !== "netplan") out[device] = manager;
    }
    return out;
}

/** The facts `auto` chooses from, read over `conn` (read-only); pulumi-onprem-import reads them the same way. */
export async function readStaticInterfaceFacts(conn: PooledConnection): Promise<StaticInterfaceFacts> {
    const { osFamily, osId, osVersion, tools } = await hostFacts(conn);
    const managers = parseManagers((await runChecked(conn, MANAGERS_SCRIPT, { step: "read which service runs each device" })).stdout);
    return {
        osFamily, osId, osVersion,
        // Only the tools the choice looks at: state stays small and changes only when they do.
        tools: Object.fromEntries(Object.values(FORMAT_TOOL).map((t) => [t, tools[t] === true])),
        managers,
    };
}

/** The facts `auto` needs, on one connection of its own, closed at once so the program can exit. */
async function readFacts(connection: ConnectionSpec): Promise<StaticInterfaceFacts> {
    const conn = await dialUnpooled(connection);
    try {
        return await readStaticInterfaceFacts(conn);
    } finally {
        conn.client.end();
        flushStats();
    }
}
