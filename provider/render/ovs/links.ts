/**
 * The kernel side of an OvsMesh host, which OVSDB does not hold: the Docker bridge with its address and
 * the mesh bridge as its port, the underlay address moved onto the underlay bridge, links up. Read back
 * from /sys and `ip`, one line per link.
 */
import { shellQuote as q } from "../../contract/shell";
import { HostMeshPlan, OWNER_KEY } from "../../plan/ovs/model";
import { restoreDefaultBridgeScript } from "../docker/defaultBridge";
import { ensureRunning, StateScripts, withRunning } from "./scriptParts";

/** external_ids key on the underlay bridge: the interface the underlay address was moved from. */
const MOVED_FROM_KEY = `${OWNER_KEY}-moved-from`;
/**
 * external_ids key on the mesh bridge: the addresses a Docker bridge that was there before the mesh had
 * (dockerd's own docker0, 172.17.0.1/16), comma-separated, or "none"; given back at removal.
 */
const DOCKER_BRIDGE_WAS_KEY = `${OWNER_KEY}-docker-bridge-was`;

/** The kernel side: the Docker bridge, the addresses, links up. */
export function linksScripts(host: HostMeshPlan, service: string): StateScripts {
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
        // A Docker bridge that was there before us: its addresses kept once, before they are replaced
        // (states apply before services restart: dockerd has not yet been told the mesh's "bip").
        `if [ -e /sys/class/net/${d} ] && [ "$(cat /sys/class/net/${d}/ifalias 2>/dev/null)" != ${q(alias)} ] && ! ovs-vsctl --timeout=10 br-get-external-id ${q(host.bridge)} ${DOCKER_BRIDGE_WAS_KEY} 2>/dev/null | grep -q .; then`,
        `  was=$(ip -o addr show dev ${q(d)} scope global | awk '{print $4}' | grep -vxF ${q(host.bridgeAddress)} | paste -sd, -)`,
        `  ovs-vsctl --timeout=10 br-set-external-id ${q(host.bridge)} ${DOCKER_BRIDGE_WAS_KEY} "\${was:-none}"`,
        "fi",
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
            // A Docker bridge that was there before us keeps existing, without our address and port, with its own
            // again, and dockerd's default network with it when dockerd runs (it was told the mesh's "bip").
            `was=$(ovs-vsctl --timeout=10 br-get-external-id ${q(host.bridge)} ${DOCKER_BRIDGE_WAS_KEY} 2>/dev/null || true)`,
            `if [ -e /sys/class/net/${d} ]; then`,
            `  ip addr del ${q(host.bridgeAddress)} dev ${q(d)} 2>/dev/null || true; ip link set ${q(host.bridge)} nomaster 2>/dev/null || true`,
            `  for a in $(echo "$was" | tr , ' '); do [ "$a" = none ] || ip addr replace "$a" dev ${q(d)}; done`,
            "fi",
            ...(host.docker.mode === "daemon-json" && "bip" in host.docker.daemonJson
                ? [restoreDefaultBridgeScript(), `case "$was" in ""|none) ;; *) restore_docker_bridge "\${was%%,*}" ;; esac`]
                : []),
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
    return { read, expected: expectedLines.sort().join("\n"), apply, remove };
}

