import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { CommandSpec, DEFAULT_VERIFY_ATTEMPTS, DEFAULT_VERIFY_INTERVAL_MS, ServiceSpec } from "../../contract/desired";
import { shellQuote as q } from "../../contract/shell";

/** Retries on the host, so a slow service costs one command, not one per attempt. */
const RETRY_SCRIPT = `
i=1
while :; do
  out=$(sh -c "$1" 2>&1) && exit 0
  [ "$i" -ge "$2" ] && { printf '%s\\n' "$out"; exit 1; }
  i=$((i+1)); sleep "$3"
done
`;

/** The checks after activation: services meant to run are active, then the resource's own verifiers. */
export function verifiersFor(services: readonly ServiceSpec[], verifiers: readonly CommandSpec[]): CommandSpec[] {
    const running = services
        .filter((s) => s.state === "running")
        .map((s) => ({ description: `${s.name} is active`, command: `systemctl is-active ${q(s.name)}` }));
    const stopped = services
        .filter((s) => s.state === "stopped")
        .map((s) => ({ description: `${s.name} is stopped`, command: `! systemctl is-active -q ${q(s.name)}` }));
    return [...running, ...stopped, ...verifiers];
}

export async function verify(conn: PooledConnection, checks: readonly CommandSpec[], redact: (s: string) => string): Promise<void> {
    for (const c of checks) {
        const attempts = c.attempts ?? DEFAULT_VERIFY_ATTEMPTS;
        const interval = ((c.intervalMs ?? DEFAULT_VERIFY_INTERVAL_MS) / 1000).toFixed(3);
        await runChecked(conn, RETRY_SCRIPT, {
            args: [c.command, String(attempts), interval],
            step: `verify: ${c.description}`,
            kind: "Verification",
            redact,
        });
    }
}
