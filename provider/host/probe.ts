import { CommandSpec } from "../contract/desired";
import { PROBE_REFUSES_EXIT } from "../contract/probe";
import { ConnectionSpec } from "../ssh/connection";
import { commandFailed, run } from "../ssh/exec";
import { connect } from "../ssh/pool";

/** What a host's probes said: reasons to refuse, and lines that pass but tell what `up` will do. */
export interface ProbeAnswers {
    refusals: string[];
    notes: string[];
}

/**
 * Runs a host's probes (see `PROBE_REFUSES_EXIT`), one after another, changing nothing; returns their
 * refusals (stderr of a refusing probe) and notes (stdout of a passing one), one line each. A probe that
 * fails otherwise throws, naming the host and the probe.
 */
export async function probeHost(connection: ConnectionSpec, probes: readonly CommandSpec[]): Promise<ProbeAnswers> {
    const answers: ProbeAnswers = { refusals: [], notes: [] };
    if (probes.length === 0) return answers;
    const conn = await connect(connection);
    for (const probe of probes) {
        const r = await run(conn, probe.command, { step: probe.description });
        if (r.code === PROBE_REFUSES_EXIT) answers.refusals.push(...lines(r.stderr));
        else if (r.code === 0) answers.notes.push(...lines(r.stdout));
        else throw commandFailed(conn, probe.description, r, "Validation");
    }
    return answers;
}

function lines(text: string): string[] {
    return text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}
