/**
 * The shell pieces the three live states of an OvsMesh host share (see work/ovsMesh.ts): whether Open
 * vSwitch answers, starting it for an apply, and for a removal only while it runs. Each state renders
 * the four scripts of a `StateSpec`; the work names them.
 */
import type { StateSpec } from "../../contract/desired";
import { shellQuote as q } from "../../contract/shell";
import { OWNER_KEY } from "../../plan/ovs/model";

/** The scripts of one live state: what `read` prints once `apply` has run, and how to remove it. */
export type StateScripts = Pick<StateSpec, "read" | "expected" | "apply" | "remove">;

// Reads must not start anything: a stopped Open vSwitch reads as that, and the apply starts it.
const OVS_READY = "ovs-vsctl --timeout=5 show >/dev/null 2>&1";
export const IF_NOT_RUNNING = `${OVS_READY} || { echo "openvswitch: not running"; exit 0; }`;
export const VSCTL = "v() { ovs-vsctl --timeout=10 --format=csv --data=bare --no-headings \"$@\"; }";

// Records apply only with the switch daemon up: with ovsdb-server alone, ovs-vsctl waits for a
// reconfiguration that never comes (seen on a VM whose boot lost ovs-vswitchd's start job).
const VSWITCHD_READY = "ovs-appctl -t ovs-vswitchd version >/dev/null 2>&1";

export function ensureRunning(service: string): string {
    return [
        `if ! ${OVS_READY} || ! ${VSWITCHD_READY}; then systemctl start ${q(service)}; fi`,
        `for i in 1 2 3 4 5 6 7 8 9 10; do ${OVS_READY} && ${VSWITCHD_READY} && break; sleep 1; done`,
        `${OVS_READY} && ${VSWITCHD_READY} || { echo "Open vSwitch does not answer on this host (service ${service}: ovsdb-server and ovs-vswitchd)" >&2; exit 1; }`,
    ].join("\n");
}

/** Removal needs the database even when the service is down (delete stops what the resource started first). */
export function withRunning(service: string, body: string, afterwards = ""): string {
    return [
        "started=",
        `if ! ${OVS_READY}; then command -v ovs-vsctl >/dev/null 2>&1 || exit 0; systemctl start ${q(service)} >/dev/null 2>&1 || exit 0; started=1; fi`,
        body,
        `[ -z "$started" ] || systemctl stop ${q(service)} >/dev/null 2>&1 || true`,
        ...(afterwards ? [afterwards] : []),
    ].join("\n");
}

/** `find` condition for the records one mesh owns. */
export function ownerMatch(mesh: string): string {
    return q(`external_ids:${OWNER_KEY}=${mesh}`);
}
