/**
 * The live state of one OvsMesh host as `HostConfig` states: commands that read, apply and remove it,
 * and the text `read` prints once `apply` has run. Three states, applied in this order and removed in
 * the reverse one:
 * - `ovsdb`: the bridges and ports (records tagged `external_ids:pulumi-onprem=<mesh>`), one
 *   `ovs-vsctl` transaction that also deletes our records the plan no longer has;
 * - `links`: what lives in the kernel, not in OVSDB: the Docker bridge with its address and the mesh
 *   bridge as its port, the underlay address moved onto the underlay bridge, links up;
 * - `flows`: the mesh's OpenFlow rules, found by the mesh's cookie, replaced in one bundle.
 * Each `apply` converges on exactly what its state owns, so the previous apply undoes a failed change.
 * Pure: the SDK renders these in the program, so previews show them.
 */
import { createHash } from "node:crypto";
import { shellQuote as q } from "../../contract/shell";
import type { StateSpec } from "../../contract/desired";
import { flowCookie, ovsVsctlArgs } from "../../plan/ovs/plan";
import { HostMeshPlan, OWNER_KEY } from "../../plan/ovs/model";

/** external_ids key on the underlay bridge: the interface the underlay address was moved from. */
export const MOVED_FROM_KEY = `${OWNER_KEY}-moved-from`;
/** external_ids key on the mesh bridge: which flows the last apply installed, and how OVS printed them. */
export const FLOWS_KEY = `${OWNER_KEY}-flows`;
/** external_ids key on the underlay bridge: whether its physical port was up before the mesh took it. */
export const PORT_UP_KEY = `${OWNER_KEY}-port-up`;
/** What `read` prints for a mesh without flows. */
export const NO_FLOWS = "(no flows)";

/** The Open vSwitch service's unit name on the host's family. */
export function ovsServiceName(osFormat: HostMeshPlan["osConfig"]["format"]): string {
    return osFormat === "ifcfg" ? "openvswitch" : "openvswitch-switch";
}

/** The three states of one host, in apply order. */
export function ovsMeshStates(host: HostMeshPlan, service = ovsServiceName(host.osConfig.format)): StateSpec[] {
    return [ovsdbState(host, service), linksState(host, service), flowsState(host, service)];
}

// Reads must not start anything: a stopped Open vSwitch reads as that, and the apply starts it.
const OVS_READY = "ovs-vsctl --timeout=5 show >/dev/null 2>&1";
const IF_NOT_RUNNING = `${OVS_READY} || { echo "openvswitch: not running"; exit 0; }`;
const VSCTL = "v() { ovs-vsctl --timeout=10 --format=csv --data=bare --no-headings \"$@\"; }";

function ensureRunning(service: string): string {
    return [
        `if ! ${OVS_READY}; then systemctl start ${q(service)}; fi`,
        `${OVS_READY} || { echo "Open vSwitch does not answer on this host (service ${service})" >&2; exit 1; }`,
    ].join("\n");
}

/** Removal needs the database even when the service is down (delete stops what the resource started first). */
function withRunning(service: string, body: string, afterwards = ""): string {
    return [
        "started=",
        `if ! ${OVS_READY}; then command -v ovs-vsctl >/dev/null 2>&1 || exit 0; systemctl start ${q(service)} >/dev/null 2>&1 || exit 0; started=1; fi`,
        body,
        `[ -z "$started" ] || systemctl stop ${q(service)} >/dev/null 2>&1 || true`,
        ...(afterwards ? [afterwards] : []),
    ].join("\n");
}

function ownerMatch(mesh: string): string {
    return q(`external_ids:${OWNER_KEY}=${mesh}`);
}

/** OVSDB: our bridges and ports, one line each, sorted. */
export function ovsdbState(host: HostMeshPlan, service: string): StateSpec {
    const owner = ownerMatch(host.mesh);
    const expected = [
        ...host.ovs.bridges.map(
            (b) =>
                `bridge ${b.name} datapath_type=${b.datapathType} stp_enable=${b.stpEnable} rstp_enable=${b.rstpEnable} mtu_request=${b.mtuRequest ?? ""} tag=${b.localTag ?? ""}`,
        ),
        ...host.ovs.ports.map(
            (p) =>
                `port ${p.bridge} ${p.name} tag=${p.tag ?? ""} type=${p.interface.type} mtu_request=${p.interface.mtuRequest ?? ""} options=${bareMap(p.interface.options)}`,
        ),
    ]
        .sort()
        .join("\n");
    const read = [
        IF_NOT_RUNNING,
        VSCTL,
        "{",
        `for b in $(v --columns=name find bridge ${owner}); do`,
        `  echo "bridge $b $(v --columns=datapath_type,stp_enable,rstp_enable list bridge "$b" | awk -F, '{print "datapath_type=" $1 " stp_enable=" $2 " rstp_enable=" $3}') mtu_request=$(v --columns=mtu_request list interface "$b") tag=$(v --columns=tag list port "$b")"`,
        "done",
        `for p in $(v --columns=name find port ${owner}); do`,
        `  echo "port $(ovs-vsctl --timeout=10 port-to-br "$p") $p tag=$(v --columns=tag list port "$p") $(v --columns=type,mtu_request,options list interface "$p" | awk -F, '{print "type=" $1 " mtu_request=" $2 " options=" $3}')"`,
        "done",
        "} | LC_ALL=C sort",
    ].join("\n");
    const wantedPorts = ` ${host.ovs.ports.map((p) => p.name).join(" ")} `;
    const wantedBridges = ` ${host.ovs.bridges.map((b) => b.name).join(" ")} `;
    const u = host.underlay;
    const apply = [
        "set -e",
        ensureRunning(service),
        VSCTL,
        // Whether the physical port was up before the mesh first took it, so that removal leaves it so.
        ...(u
            ? [
                  `remember=""; if ! ovs-vsctl --timeout=10 br-get-external-id ${q(u.bridge)} ${PORT_UP_KEY} 2>/dev/null | grep -q .; then up=no; [ $(( $(cat /sys/class/net/${q(u.port)}/flags 2>/dev/null || echo 0) & 1 )) = 1 ] && up=yes; remember="-- br-set-external-id ${u.bridge} ${PORT_UP_KEY} $up"; fi`,
              ]
            : []),
        // Our records the plan no longer has (a removed host's tunnel, a renamed bridge) go in the same transaction.
        'stale=""',
        `for p in $(v --columns=name find port ${owner}); do case ${q(wantedPorts)} in *" $p "*) ;; *) stale="$stale -- --if-exists del-port $p" ;; esac; done`,
        `for b in $(v --columns=name find bridge ${owner}); do case ${q(wantedBridges)} in *" $b "*) ;; *) stale="$stale -- --if-exists del-br $b" ;; esac; done`,
        `ovs-vsctl --timeout=30 $stale -- ${ovsVsctlArgs(host.ovs).map(q).join(" ")}${u ? " $remember" : ""}`,
        // OVS 3.1 keeps a departed root bridge in its (R)STP state ("unknown root port") and leaves every tunnel
        // discarding: when tunnels went, the protocol starts afresh and elects a root among the hosts left.
        ...host.ovs.bridges
            .filter((b) => b.stpEnable || b.rstpEnable)
            .map((b) => `[ -z "$stale" ] || { ovs-vsctl --timeout=10 set bridge ${q(b.name)} stp_enable=false rstp_enable=false && ovs-vsctl --timeout=10 set bridge ${q(b.name)} stp_enable=${b.stpEnable} rstp_enable=${b.rstpEnable}; }`),
    ].join("\n");
    const remove = withRunning(
        service,
        [
            VSCTL,
            'gone=""',
            `for p in $(v --columns=name find port ${owner}); do gone="$gone -- --if-exists del-port $p"; done`,
            `for b in $(v --columns=name find bridge ${owner}); do gone="$gone -- --if-exists del-br $b"; done`,
            ...(u ? [`portup=$(ovs-vsctl --timeout=10 br-get-external-id ${q(u.bridge)} ${PORT_UP_KEY} 2>/dev/null || true)`] : []),
            `[ -z "$gone" ] || ovs-vsctl --timeout=30 $gone`,
        ].join("\n"),
        // Releasing the port around a stop of ovs-vswitchd has been seen to leave it down: put it back as it was.
        u ? `[ "$portup" != yes ] || ip link set ${q(u.port)} up` : "",
    );
    return { name: `ovsdb records of mesh ${host.mesh}`, read, expected, apply, remove };
}

/** The kernel side: the Docker bridge, the addresses, links up. */
export function linksState(host: HostMeshPlan, service: string): StateSpec {
    const alias = `${OWNER_KEY}:${host.mesh}`;
    const d = host.dockerBridge;
    const vlanPorts = host.ovs.ports.filter((p) => p.interface.type === "internal").map((p) => ({ name: p.name, mtu: p.interface.mtuRequest }));
    const u = host.underlay;
    const expectedLines = [
        `link ${d} up mtu=${host.mtu} master= bridge=yes addresses=${host.bridgeAddress}`,
        `link ${host.bridge} up mtu=${host.mtu} master=${d} bridge=no addresses=`,
        ...vlanPorts.map((v) => `link ${v.name} up mtu=${v.mtu ?? host.mtu} master= bridge=no addresses=`),
        ...(u ? [`link ${u.bridge} up mtu=${u.mtu} master= bridge=no addresses=${u.address}`, `port ${u.port} up holds-underlay=no`] : []),
    ];
    const linkNames = [d, host.bridge, ...vlanPorts.map((v) => v.name), ...(u ? [u.bridge] : [])];
    const read = [
        // One line per link: flags' IFF_UP bit, MTU, Linux bridge master, whether it is a bridge, global addresses.
        "show() {",
        '  if [ ! -e "/sys/class/net/$1" ]; then echo "link $1 absent"; return; fi',
        '  up=down; [ $(( $(cat "/sys/class/net/$1/flags") & 1 )) = 1 ] && up=up',
        '  m=""; [ -e "/sys/class/net/$1/master" ] && m=$(basename "$(readlink "/sys/class/net/$1/master")")',
        '  br=no; [ -d "/sys/class/net/$1/bridge" ] && br=yes',
        `  a=$(ip -o addr show dev "$1" scope global | awk '{print $4}' | LC_ALL=C sort | tr '\\n' ' ' | sed 's/ $//')`,
        '  echo "link $1 $up mtu=$(cat "/sys/class/net/$1/mtu") master=$m bridge=$br addresses=$a"',
        "}",
        "{",
        `for l in ${linkNames.map(q).join(" ")}; do show "$l"; done`,
        ...(u
            ? [
                  `up=down; [ $(( $(cat /sys/class/net/${q(u.port)}/flags 2>/dev/null || echo 0) & 1 )) = 1 ] && up=up`,
                  `if ip -o addr show dev ${q(u.port)} 2>/dev/null | awk '{print $4}' | grep -qxF ${q(u.address)}; then echo "port ${u.port} $up holds-underlay=yes"; else echo "port ${u.port} $up holds-underlay=no"; fi`,
              ]
            : []),
        "} | LC_ALL=C sort",
    ].join("\n");
    const flushOthers = (dev: string, keep: string) =>
        `ip -o addr show dev ${q(dev)} scope global | awk '{print $4}' | while read -r a; do [ "$a" = ${q(keep)} ] || ip addr del "$a" dev ${q(dev)}; done`;
    const apply = [
        "set -e",
        ensureRunning(service),
        // ovs-vswitchd creates the bridges' and internal ports' devices a moment after the transaction.
        `for l in ${[host.bridge, ...vlanPorts.map((v) => v.name), ...(u ? [u.bridge] : [])].map(q).join(" ")}; do i=0; while [ ! -e "/sys/class/net/$l" ]; do i=$((i+1)); [ $i -le 100 ] || { echo "$l did not appear within 10 s" >&2; exit 1; }; sleep 0.1; done; done`,
        // A Docker bridge of ours under another name (the mesh's dockerBridge changed) goes.
        `for f in /sys/class/net/*/ifalias; do n=\${f%/ifalias}; n=\${n##*/}; [ "$n" != ${q(d)} ] && [ "$(cat "$f" 2>/dev/null)" = ${q(alias)} ] && ip link del "$n"; done`,
        `[ -e /sys/class/net/${d} ] || { ip link add ${q(d)} type bridge; ip link set ${q(d)} alias ${q(alias)}; }`,
        // Spanning tree runs on the OVS bridge; on this leaf bridge it would only delay forwarding.
        `ip link set ${q(d)} type bridge stp_state 0 forward_delay 0`,
        `ip link set ${q(d)} mtu ${host.mtu}`,
        flushOthers(d, host.bridgeAddress),
        `ip addr replace ${q(host.bridgeAddress)} dev ${q(d)}`,
        `ip link set ${q(host.bridge)} master ${q(d)}`,
        `ip link set ${q(host.bridge)} up`,
        `ip link set ${q(d)} up`,
        ...vlanPorts.map((v) => `ip link set ${q(v.name)} up`),
        ...(u
            ? [
                  // The userspace datapath sends tunnel packets only from an address on an OVS bridge.
                  `ip link set ${q(u.port)} up`,
                  `if ip -o addr show dev ${q(u.port)} | awk '{print $4}' | grep -qxF ${q(u.address)}; then ip addr del ${q(u.address)} dev ${q(u.port)}; ovs-vsctl --timeout=10 br-set-external-id ${q(u.bridge)} ${MOVED_FROM_KEY} ${q(u.port)}; fi`,
                  flushOthers(u.bridge, u.address),
                  `ip addr replace ${q(u.address)} dev ${q(u.bridge)}`,
                  `ip link set ${q(u.bridge)} up`,
              ]
            : []),
    ].join("\n");
    const remove = withRunning(
        service,
        [
            `for f in /sys/class/net/*/ifalias; do n=\${f%/ifalias}; n=\${n##*/}; [ "$(cat "$f" 2>/dev/null)" = ${q(alias)} ] && ip link del "$n"; done`,
            // A Docker bridge that was there before us keeps existing, without our address and port.
            `if [ -e /sys/class/net/${d} ]; then ip addr del ${q(host.bridgeAddress)} dev ${q(d)} 2>/dev/null || true; ip link set ${q(host.bridge)} nomaster 2>/dev/null || true; fi`,
            ...(u
                ? [
                      `from=$(ovs-vsctl --timeout=10 br-get-external-id ${q(u.bridge)} ${MOVED_FROM_KEY} 2>/dev/null || true)`,
                      `ip addr del ${q(u.address)} dev ${q(u.bridge)} 2>/dev/null || true`,
                      `[ -z "$from" ] || ip addr replace ${q(u.address)} dev "$from"`,
                  ]
                : []),
            "true",
        ].join("\n"),
    );
    return { name: `links of mesh ${host.mesh}`, read, expected: expectedLines.sort().join("\n"), apply, remove };
}

/**
 * OpenFlow rules. OVS prints rules in its own normal form ("dl_type=0x0806" becomes "arp"), so `read`
 * does not compare texts: the apply records a digest of the wanted rules and of what OVS then held; `read`
 * prints the wanted rules while the switch still holds exactly that, else what it holds (the drift).
 */
export function flowsState(host: HostMeshPlan, service: string): StateSpec {
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
    return { name: `openflow rules of mesh ${host.mesh}`, read, expected: wanted, apply, remove };
}

function flowCookieOf(host: HostMeshPlan): string {
    // Every rule carries the mesh's cookie; a host without rules still removes rules under it.
    return host.flows[0]?.cookie ?? flowCookie(host.mesh);
}

/** `k=v k=v`, sorted by key, as `ovs-vsctl --data=bare` prints a map. */
function bareMap(map: Record<string, string>): string {
    return Object.keys(map)
        .sort()
        .map((k) => `${k}=${map[k]}`)
        .join(" ");
}
