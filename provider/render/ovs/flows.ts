/**
 * The mesh's OpenFlow rules on one host, found by the mesh's cookie and replaced in one bundle.
 */
import { createHash } from "node:crypto";
import { shellQuote as q } from "../../contract/shell";
import { HostMeshPlan, OWNER_KEY } from "../../plan/ovs/model";
import { flowCookie } from "../../plan/ovs/plan";
import { ensureRunning, IF_NOT_RUNNING, StateScripts, withRunning } from "./scriptParts";

/** external_ids key on the mesh bridge: which flows the last apply installed, and how OVS printed them. */
const FLOWS_KEY = `${OWNER_KEY}-flows`;
/** What `read` prints for a mesh without flows. */
const NO_FLOWS = "(no flows)";

/**
 * OpenFlow rules. OVS prints rules in its own normal form ("dl_type=0x0806" becomes "arp"), so `read`
 * does not compare texts: the apply records a digest of the wanted rules and of what OVS then held; `read`
 * prints the wanted rules while the switch still holds exactly that, else what it holds (the drift).
 */
export function flowsScripts(host: HostMeshPlan, service: string): StateScripts {
    const b = host.bridge;
    const cookie = `cookie=${flowCookieOf(host)}/-1`;
    const wanted = host.flows.length > 0 ? host.flows.map((f) => f.text).join("\n") : NO_FLOWS;
    const digest = createHash("sha256").update(wanted).digest("hex").slice(0, 16);
    const dump = `ovs-ofctl --names --no-stats dump-flows ${q(b)} ${q(cookie)} 2>&1 | sed 's/^ *//' | LC_ALL=C sort`;
    const held = `$(printf '%s' "$dump" | sha256sum | cut -c1-16)`;
    const read = [
        IF_NOT_RUNNING,
        `dump=$(${dump})`,
        `if [ "$(ovs-vsctl --timeout=10 br-get-external-id ${q(b)} ${FLOWS_KEY} 2>/dev/null)" = "${digest}:${held}" ]; then printf '%s\\n' ${q(wanted)}; else printf '%s\\n' "\${dump:-${NO_FLOWS}}"; fi`,
    ].join("\n");
    const bundle = [`delete ${cookie}`, ...host.flows.map((f) => `add ${f.text}`)].join("\n");
    const apply = [
        "set -e",
        ensureRunning(service),
        // One bundle: the old rules go and the new ones come atomically.
        `printf '%s\\n' ${q(bundle)} | ovs-ofctl --bundle add-flows ${q(b)} -`,
        `dump=$(${dump})`,
        `ovs-vsctl --timeout=10 br-set-external-id ${q(b)} ${FLOWS_KEY} "${digest}:${held}"`,
    ].join("\n");
    const remove = withRunning(
        service,
        [
            `ovs-ofctl del-flows ${q(b)} ${q(cookie)} 2>/dev/null || true`,
            `ovs-vsctl --timeout=10 --if-exists remove bridge ${q(b)} external_ids ${FLOWS_KEY} 2>/dev/null || true`,
        ].join("\n"),
    );
    return { read, expected: wanted, apply, remove };
}

function flowCookieOf(host: HostMeshPlan): string {
    // Every rule carries the mesh's cookie; a host without rules still removes rules under it.
    return host.flows[0]?.cookie ?? flowCookie(host.mesh);
}

