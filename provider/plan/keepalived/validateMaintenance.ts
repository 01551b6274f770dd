/** The rules of `maintenance`: known node names, each once, and at least one node left to hold the VIPs. */
import type { KeepalivedClusterSpec } from "./model";
import { Add, q } from "./rules";

export function validateMaintenance(spec: KeepalivedClusterSpec, add: Add): void {
    if (spec.maintenance === undefined) return;
    if (!Array.isArray(spec.maintenance)) {
        add("maintenance", "must be a list of node names");
        return;
    }
    const names = (Array.isArray(spec.nodes) ? spec.nodes : []).map((n) => n.name);
    const seen = new Map<string, number>();
    spec.maintenance.forEach((name, m) => {
        const at = `maintenance[${m}]`;
        if (typeof name !== "string" || !names.includes(name)) {
            add(at, `${q(String(name))} is not a node of this cluster (nodes: ${names.join(", ")})`);
        } else if (seen.has(name)) {
            add(at, `${q(name)} is already listed as maintenance[${seen.get(name)}]`);
        } else {
            seen.set(name, m);
        }
    });
    // Every instance runs on every node: with all of them out, no node would hold any VIP.
    const instances = (Array.isArray(spec.instances) ? spec.instances : []).map((i) => i.name);
    if (names.length > 0 && names.every((n) => seen.has(n))) {
        add("maintenance", `puts every node (${names.join(", ")}) in maintenance, which would leave the VIPs of ${instances.join(", ") || "every instance"} with no holder; keep at least one node out`);
    }
}
