/**
 * TCP and UDP port numbers: one rule for every resource that listens on or connects to a port.
 * Formatting `host:port` lives beside the addresses (`hostPort` in address.ts).
 */

const MIN_PORT = 1;
const MAX_PORT = 65535;

/** The rule in words, for messages. */
export const PORT_RANGE = `${MIN_PORT}-${MAX_PORT}`;

/** A whole number in 1-65535 (0 means "any port" to the kernel: never a port we listen on or reach). */
export function isPort(value: unknown): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= MIN_PORT && value <= MAX_PORT;
}
