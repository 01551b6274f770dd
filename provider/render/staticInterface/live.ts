/**
 * The live side of a static interface: the shell scripts of its engine state, which read, converge and
 * remove the addresses, routes and MTU on a running device without taking it down (a bounce would cut
 * every connection on it).
 *
 * What the resource owns is written down on the host, one line per thing, in the form `ip` deletes it
 * by (`addr -4 10.0.0.5/24`, `route -4 10.9.0.0/16 via 10.0.0.1 dev eth1 metric 100`):
 * - `live.orig`: what the device had (MTU, permanent global addresses, boot/static routes of the main
 *   table) before the resource first touched it; `remove` converges back to it.
 * - `live.owned`: what the last apply set; the next apply removes what it no longer wants. Before the
 *   first apply the device's original addresses and routes count as owned: the resource declares the
 *   device's whole static configuration, so an address it does not list goes (as it would on a reboot
 *   with the new file). Addresses added later by others (keepalived VIPs) are left alone.
 * New addresses and routes are added before old ones are removed (with promote_secondaries on), so an
 * address that stays keeps its connections.
 *
 * A service that runs the device is then told, so that it holds the same configuration and does not
 * undo ours: NetworkManager loads the keyfile and activates (or reapplies) the connection; netplan
 * generates and networkd reloads (networkd drops addresses its files do not list). On removal the
 * service lets go of the resource's file before the original state comes back. ifupdown reads its
 * stanzas at boot only and is left alone.
 */
import { shellQuote as q } from "../../contract/shell";
import type { ResolvedRoute, ResolvedStaticInterface } from "../../plan/staticInterface/model";
import { MANAGED_HEADER } from "../managedHeader";
import { routeArgs } from "./ipRoute";
import { netplanPath } from "./netplan";
import { nmConnectionId, nmConnectionPath, nmConnectionUuid } from "./nmKeyfile";

/** One owned thing as its line on the host: what `ip FAMILY KIND del` takes after the family. */
interface OwnedLine {
    line: string;
    /** `ip` arguments that (re)create it. */
    add: string[];
    /** A shell test that succeeds when the device has it. */
    present: string;
}

function addressLines(r: ResolvedStaticInterface): OwnedLine[] {
    return [...r.ipv4, ...r.ipv6].map((a) => {
        const family = a.family === 4 ? "-4" : "-6";
        return {
            line: `addr ${family} ${a.cidr}`,
            add: ["ip", family, "addr", "replace", a.cidr, "dev", r.device],
            present: `has_addr ${q(`${a.family === 4 ? "inet" : "inet6"} ${a.cidr}`)}`,
        };
    });
}

function routeLines(r: ResolvedStaticInterface): OwnedLine[] {
    return r.routes.map((route) => {
        const family = route.family === 4 ? "-4" : "-6";
        const args = routeArgs(route, r.device);
        return { line: `route ${family} ${args.join(" ")}`, add: ["ip", family, "route", "replace", ...args], present: routePresent(route, r.device) };
    });
}

/** `ip route show exact` filters by destination, next hop, device and table; the metric is checked in its output. */
function routePresent(route: ResolvedRoute, device: string): string {
    const family = route.family === 4 ? "-4" : "-6";
    const destination = route.destination === "default" ? (route.family === 4 ? "0.0.0.0/0" : "::/0") : route.destination;
    const show = ["ip", family, "route", "show", "exact", destination, ...(route.via ? ["via", route.via] : []), "dev", device, "table", String(route.table ?? "main")];
    // The kernel's metric when none is given: 0 for IPv4 (not printed), 1024 for IPv6.
    const metric = route.metric ?? (route.family === 6 ? 1024 : undefined);
    const check = metric === undefined ? "grep -qv ' metric '" : `grep -qE '(^| )metric ${metric}( |$)'`;
    return `${show.map(q).join(" ")} 2>/dev/null | ${check}`;
}

const cmd = (argv: string[]) => argv.map(q).join(" ");

const NM_RUNNING = `[ "$(nmcli -t -f RUNNING general 2>/dev/null)" = running ]`;
const NETWORKD_ACTIVE = "systemctl is-active -q systemd-networkd 2>/dev/null";
/** A file the resource wrote whole (not one an operator had at the path before). */
const ours = (path: string) => `head -n 1 ${q(path)} 2>/dev/null | grep -qxF ${q(MANAGED_HEADER)}`;

/** Shell lines that tell the service running the device about the file just put in place, per format. */
function serviceApply(r: ResolvedStaticInterface): string[] {
    switch (r.format) {
        case "networkmanager": {
            const id = q(nmConnectionId(r.device));
            return [
                `if command -v nmcli >/dev/null 2>&1 && ${NM_RUNNING}; then`,
                `  nmcli connection load ${q(nmConnectionPath(r.device))}`,
                // Reapply changes an active connection in place; activation (or a change reapply refuses) goes through up.
                `  if [ "$(nmcli -g GENERAL.CONNECTION device show "$D" 2>/dev/null)" = ${id} ] && nmcli device reapply "$D" >/dev/null; then :; else nmcli connection up ${id} ifname "$D" >/dev/null; fi`,
                "fi",
            ];
        }
        case "netplan":
            return [
                "if command -v netplan >/dev/null 2>&1; then",
                "  netplan generate",
                `  if ${NETWORKD_ACTIVE}; then networkctl reload; elif command -v nmcli >/dev/null 2>&1 && ${NM_RUNNING}; then nmcli connection reload; fi`,
                "fi",
            ];
        default:
            return [];
    }
}

/**
 * Shell lines that make the service let go of the resource's file: on delete they run while the file is
 * still there, on the rollback of a first apply after it is gone. Either way the file is not kept.
 */
function serviceRemove(r: ResolvedStaticInterface): string[] {
    switch (r.format) {
        case "networkmanager": {
            const path = nmConnectionPath(r.device);
            return [
                `if command -v nmcli >/dev/null 2>&1 && ${NM_RUNNING}; then`,
                // Deleting the connection deactivates it and removes its file; a file someone else had at the path is only reloaded.
                `  if [ -e ${q(path)} ] && ! ${ours(path)}; then nmcli connection load ${q(path)} || true; else nmcli connection delete ${q(nmConnectionUuid(r.device))} >/dev/null 2>&1 || true; fi`,
                "fi",
            ];
        }
        case "netplan": {
            const path = netplanPath(r.device);
            return [
                `if ${ours(path)}; then rm -f ${q(path)}; fi`,
                "if command -v netplan >/dev/null 2>&1; then",
                "  netplan generate || true",
                `  if ${NETWORKD_ACTIVE}; then networkctl reload || true; elif command -v nmcli >/dev/null 2>&1 && ${NM_RUNNING}; then nmcli connection reload || true; fi`,
                "fi",
            ];
        }
        default:
            return [];
    }
}

/** A state's scripts (see StateSpec in contract/desired.ts). */
export interface LiveScripts {
    read: string;
    expected: string;
    apply: string;
    remove: string;
}

/** The scripts of `r`'s device; `stateDir` is the resource's directory on the host (where the owned lines are kept). */
export function liveScripts(r: ResolvedStaticInterface, stateDir: string): LiveScripts {
    const owned = [...addressLines(r), ...routeLines(r)];
    const dev = q(r.device);
    const head = ["set -f", `S=${q(stateDir)}`, `D=${dev}`];

    const expected = [...(r.mtu !== undefined ? [`mtu ${r.mtu}`] : []), ...owned.map((o) => o.line)].join("\n");

    const read = [
        ...head,
        `A=$(ip -o addr show dev "$D" scope global 2>/dev/null | awk '{print $3" "$4}')`,
        `has_addr() { printf '%s\\n' "$A" | grep -qxF "$1"; }`,
        ...(r.mtu !== undefined ? [`[ -e "/sys/class/net/$D" ] && echo "mtu $(cat "/sys/class/net/$D/mtu")"`] : []),
        ...owned.map((o) => `${o.present} && echo ${q(o.line)}`),
        "exit 0",
    ].join("\n");

    const promote = `echo 1 > "/proc/sys/net/ipv4/conf/$D/promote_secondaries"`;
    // Lines of "$1" not in "$2", of one kind: what to take away.
    const helpers = [
        `minus() { grep "^$1 " "$2" 2>/dev/null | grep -vxF -f "$3" || true; }`,
        `del_routes() { while read -r _ f rest; do ip $f route del $rest 2>/dev/null || true; done; }`,
        `del_addrs() { while read -r _ f cidr; do [ "$f" = -4 ] && ${promote}; ip $f addr del $cidr dev "$D" 2>/dev/null || true; done; }`,
    ];
    const snapshot = [
        `snapshot() {`,
        `  echo "mtu $(cat "/sys/class/net/$D/mtu")"`,
        `  ip -o addr show dev "$D" scope global permanent | awk '{print "addr " ($3 == "inet6" ? "-6" : "-4") " " $4}'`,
        `  for f in -4 -6; do for p in boot static; do ip $f route show dev "$D" proto $p table main | sed "s/ *$/ dev $D/; s/^/route $f /"; done; done`,
        `}`,
    ];
    const addRoutes = routeLines(r).map((o) => cmd(o.add));
    const apply = [
        "set -e",
        ...head,
        ...helpers,
        ...snapshot,
        `mkdir -p "$S"`,
        `[ -e "$S/live.orig" ] || { snapshot > "$S/live.orig.new"; mv -f "$S/live.orig.new" "$S/live.orig"; }`,
        `cat > "$S/live.want" <<'EOF'`,
        ...owned.map((o) => o.line),
        "EOF",
        `ip link set dev "$D" up`,
        ...(r.mtu !== undefined ? [`ip link set dev "$D" mtu ${r.mtu}`] : []),
        ...addressLines(r).map((o) => cmd(o.add)),
        ...addRoutes,
        `prev="$S/live.owned"; [ -e "$prev" ] || prev="$S/live.orig"`,
        `minus route "$prev" "$S/live.want" | del_routes`,
        `minus addr "$prev" "$S/live.want" | del_addrs`,
        // A removed route may have been ours under another spelling, and a removed primary takes its routes along: assert ours again.
        ...addRoutes,
        ...serviceApply(r),
        `mv -f "$S/live.want" "$S/live.owned"`,
    ].join("\n");

    const remove = [
        ...head,
        ...helpers,
        ...serviceRemove(r),
        `[ -e "$S/live.orig" ] && [ -e "/sys/class/net/$D" ] || { rm -f "$S/live.owned"; exit 0; }`,
        `m=$(sed -n 's/^mtu //p' "$S/live.orig"); [ -z "$m" ] || ip link set dev "$D" mtu "$m" || true`,
        `grep '^addr ' "$S/live.orig" | while read -r _ f cidr; do ip $f addr replace $cidr dev "$D" || true; done`,
        `minus route "$S/live.owned" "$S/live.orig" | del_routes`,
        `minus addr "$S/live.owned" "$S/live.orig" | del_addrs`,
        `grep '^route ' "$S/live.orig" | while read -r _ f rest; do ip $f route replace $rest 2>/dev/null || true; done`,
        `rm -f "$S/live.owned"`,
        "exit 0",
    ].join("\n");

    return { read, expected, apply, remove };
}

/** Pure: the addresses (CIDR) a state's `expected` (or read-back) text lists. */
export function addressesOfLiveState(text: string): string[] {
    return text
        .split("\n")
        .map((l) => /^addr -[46] (\S+)$/.exec(l.trim())?.[1])
        .filter((a): a is string => a !== undefined);
}
