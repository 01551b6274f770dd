import { preflightHost } from "../host/preflight";
import { withCommandTimeout } from "../ssh/exec";
import { flushStats } from "../ssh/stats";
import { check as checkInputs, diff as diffInputs } from "./hostConfig";
import { HostConfigInputs, desiredState, commandTimeoutOf } from "./hostConfigInputs";
import { plain } from "./unknown";

/**
 * A config test as a resource: it holds nothing on the host; create and update run the validators
 * on the would-be files, so resources that depend on it change nothing when any host's test fails.
 */
export const check = checkInputs;

export async function diff(id: string, olds: HostConfigInputs, news: HostConfigInputs) {
    const d = await diffInputs(id, { ...olds, hostKeyFingerprint: "" }, news);
    return { changes: d.changes, replaces: [], deleteBeforeReplace: false };
}

async function run(inputs: HostConfigInputs): Promise<HostConfigInputs> {
    try {
        await withCommandTimeout(commandTimeoutOf(inputs), () => preflightHost(inputs.connection, desiredState(inputs)));
        return plain(inputs);
    } finally {
        flushStats();
    }
}

export async function create(inputs: HostConfigInputs) {
    return { id: `${inputs.key}-check`, outs: await run(inputs) };
}

export async function update(_id: string, _olds: HostConfigInputs, news: HostConfigInputs) {
    return { outs: await run(news) };
}

export async function remove(): Promise<void> {
    // Nothing was left on the host.
}
