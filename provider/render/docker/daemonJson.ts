/**
 * /etc/docker/daemon.json: the resource owns keys, not the file; Docker's own check of a staged copy.
 */
import type { CommandSpec } from "../../contract/desired";

export const DAEMON_JSON_PATH = "/etc/docker/daemon.json";

/**
 * Docker's own check of a staged daemon.json, where dockerd is installed (hosts without it have nothing to
 * break). `dockerd --validate` exists from Docker 23; Debian 12's docker.io (20.10) lacks it, so there the
 * file is parsed as JSON (an object) instead, which is what dockerd would first refuse at its restart.
 */
export const DAEMON_JSON_VALIDATOR: CommandSpec = {
    description: "Docker accepts daemon.json (dockerd --validate, or a JSON parse where dockerd has no --validate)",
    command: [
        `f={{staged:${DAEMON_JSON_PATH}}}`,
        "if command -v dockerd >/dev/null 2>&1; then",
        '  if dockerd --help 2>/dev/null | grep -q -- --validate; then dockerd --validate --config-file "$f";',
        "  elif command -v python3 >/dev/null 2>&1; then",
        `    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if isinstance(d, dict) else "daemon.json must hold a JSON object")' "$f";`,
        "  fi",
        "fi",
    ].join("\n"),
};
