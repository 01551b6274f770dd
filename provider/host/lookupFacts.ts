import { ConnectionSpec } from "../ssh/connection";
import { dialUnpooled } from "../ssh/pool";
import { flushStats } from "../ssh/stats";
import { hostFacts, HostFacts } from "./facts";

/**
 * A read-only look-up of a host's facts from the Pulumi program (a data source, in effect): one
 * connection of its own, one command, closed at once so the program can exit.
 */
export async function lookupHostFacts(connection: ConnectionSpec): Promise<HostFacts> {
    const conn = await dialUnpooled(connection);
    try {
        return await hostFacts(conn);
    } finally {
        conn.client.end();
        flushStats();
    }
}
