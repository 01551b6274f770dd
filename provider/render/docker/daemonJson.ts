/**
 * /etc/docker/daemon.json: the resource owns keys, not the file; Docker's own check of a staged copy.
 */
import type { CommandSpec } from "../../contract/desired";
import { mergeJsonKeys, MergeOptions } from "../../contract/jsonKeys";

export const DAEMON_JSON_PATH = "/etc/docker/daemon.json";

/**
 * Docker's own check of a staged daemon.json, where dockerd has one: hosts without dockerd have nothing to
 * break, and dockerd before 23.0 (Debian 12's docker.io 20.10) has no `--validate` (the merge already
 * refuses text that is not a JSON object).
 */
export const DAEMON_JSON_VALIDATOR: CommandSpec = {
    description: "Docker accepts daemon.json (dockerd --validate)",
    command: `if command -v dockerd >/dev/null 2>&1 && dockerd --help 2>&1 | grep -q -e '--validate'; then dockerd --validate --config-file {{staged:${DAEMON_JSON_PATH}}}; fi`,
};

/**
 * The new daemon.json text: the resource's keys merged into what the file holds (see `mergeJsonKeys`).
 */
export function mergeDaemonJson(
    current: string | undefined,
    owned: Readonly<Record<string, unknown>>,
    previouslyOwned: readonly string[],
    options: MergeOptions = {},
): string {
    return mergeJsonKeys(current, owned, previouslyOwned, { path: DAEMON_JSON_PATH, ...options });
}
