import { CommandSpec } from "../contract/desired";
import { PROBE_REFUSES_EXIT } from "../contract/probe";
import { ConnectionSpec } from "../ssh/connection";
import { commandFailed, run } from "../ssh/exec";
import { connect } from "../ssh/pool";

/**
 * Runs a host's probes (see `PROBE_REFUSES_EXIT`), one after another, changing nothing; returns their
 * refusals, one reason each. A probe that fails otherwise throws, naming the host and the probe.
 */
export async function probeHost(connection: ConnectionSpec, probes: readonly CommandSpec[]): Promise<string[]> {
    if (probes.length === 0) return [];
    const conn = await connect(connection);
    const refusals: string[] = [];
    for (const probe of probes) {
        const r = await run(conn, probe.command, { step: probe.description });
        if (r.code === PROBE_REFUSES_EXIT) refusals.push(...r.stderr.split("\n").map((l) => l.trim()).filter((l) => l !== ""));
        else if (r.code !== 0) throw commandFailed(conn, probe.description, r, "Validation");
    }
    return refusals;
}
