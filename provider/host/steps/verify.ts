import { CommandSpec, DEFAULT_VERIFY_ATTEMPTS, DEFAULT_VERIFY_INTERVAL_MS, ServiceSpec } from "../../contract/desired";
import { shellQuote as q } from "../../contract/shell";
import { Phase } from "./phases";

/** The checks after activation: services meant to run are active, then the resource's own verifiers. */
function checksAfterActivation(services: readonly ServiceSpec[], verifiers: readonly CommandSpec[]): CommandSpec[] {
    const running = services
        .filter((s) => s.state === "running")
        .map((s) => ({ description: `${s.name} is active`, command: `systemctl is-active ${q(s.name)}` }));
    const stopped = services
        .filter((s) => s.state === "stopped")
        .map((s) => ({ description: `${s.name} is stopped`, command: `! systemctl is-active -q ${q(s.name)}` }));
    return [...running, ...stopped, ...verifiers];
}

/** Pure: those checks as steps of a command, each retried on the host (a slow service costs no round trip per attempt). */
export function verificationPhases(services: readonly ServiceSpec[], verifiers: readonly CommandSpec[]): Phase[] {
    return checksAfterActivation(services, verifiers).map((c) => ({
        description: `verify: ${c.description}`,
        kind: "Verification",
        command: c.command,
        attempts: c.attempts ?? DEFAULT_VERIFY_ATTEMPTS,
        intervalMs: c.intervalMs ?? DEFAULT_VERIFY_INTERVAL_MS,
    }));
}
