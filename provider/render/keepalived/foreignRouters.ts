import type { CommandSpec } from "../../contract/desired";
import { PROBE_REFUSES_EXIT } from "../../contract/probe";
import { shellQuote } from "../../contract/shell";
import { DEFAULT_ADVERT_INT, ParsedKeepalived } from "../../plan/keepalived/model";

/**
 * A listener for VRRP routers outside the cluster that use one of its VRIDs: two clusters with one VRID on
 * one segment break each other (split brain, flapping VIPs), and a router outside the program is not seen
 * by the checks between clusters. Run read-only on each node before its first apply.
 */

/** Advert intervals heard before deciding: a master sends one per interval, so at least two arrive. */
const LISTEN_INTERVALS = 3;

/**
 * perl, since perl-base is on every Debian (tcpdump is not). Arguments: SECONDS OWN-ADDRESSES, then per
 * interface IFACE FAMILY VRIDS GROUPS (lists comma-separated). One raw socket of IP protocol 112 per
 * interface, bound to it, joined to the instances' groups on it (unicast adverts to the node's own
 * address arrive too). Every advert from an address that is not one of the cluster's, with one of the
 * cluster's VRIDs on that interface, is one line on stderr, and it exits `PROBE_REFUSES_EXIT`. With `--replay` it
 * reads `IFACE FAMILY SOURCE HEX-OF-VRRP-PACKET` lines from stdin instead of listening (for tests).
 * An interface the node lacks yet is skipped: keepalived's own checks speak for it.
 */
export const VRRP_LISTEN_SCRIPT = `use strict;
use Socket qw(AF_INET AF_INET6 SOCK_RAW SOL_SOCKET IPPROTO_IP IPPROTO_IPV6 IP_ADD_MEMBERSHIP IPV6_JOIN_GROUP inet_aton inet_ntoa inet_pton inet_ntop unpack_sockaddr_in6 pack_ipv6_mreq);
my $replay = $ARGV[0] eq "--replay" ? shift @ARGV : "";
my ($seconds, $own, @spec) = @ARGV;
sub norm { my ($f, $a) = @_; my $n = inet_pton($f == 6 ? AF_INET6 : AF_INET, $a); defined $n ? inet_ntop($f == 6 ? AF_INET6 : AF_INET, $n) : $a }
my %own = map { ((norm(/:/ ? 6 : 4, $_)) => 1) } split /,/, $own;
my (%watch, %found, $rin);
$rin = "";
while (@spec) {
    my ($if, $family, $vrids, $groups) = splice @spec, 0, 4;
    my %w = (if => $if, family => $family, vrids => { map { ($_ => 1) } split /,/, $vrids });
    $watch{$if . "/" . $family} = \\%w;
    next if $replay;
    my $s;
    socket($s, $family == 6 ? AF_INET6 : AF_INET, SOCK_RAW, 112) or die "cannot open a raw socket for VRRP: $!\\n";
    my $ifr = pack("Z16 i x20", $if);
    next unless ioctl($s, 0x8933, $ifr); # SIOCGIFINDEX: no such interface yet
    my $index = (unpack("Z16 i", $ifr))[1];
    setsockopt($s, SOL_SOCKET, 25, pack("Z*", $if)) or die "$if: cannot bind to the interface: $!\\n"; # SO_BINDTODEVICE
    for my $g (split /,/, $groups) {
        my $ok = $family == 6
            ? setsockopt($s, IPPROTO_IPV6, IPV6_JOIN_GROUP, pack_ipv6_mreq(inet_pton(AF_INET6, $g), $index))
            : setsockopt($s, IPPROTO_IP, IP_ADD_MEMBERSHIP, pack("a4 a4 i", inet_aton($g), inet_aton("0.0.0.0"), $index)); # ip_mreqn
        $ok or die "$if: cannot join $g: $!\\n";
    }
    $w{sock} = $s;
    vec($rin, fileno($s), 1) = 1;
}
sub heard {
    my ($w, $src, $vrrp) = @_;
    return if length($vrrp) < 8 || (ord($vrrp) & 15) != 1; # adverts only
    my $vrid = ord(substr($vrrp, 1, 1));
    return if $own{norm($w->{family}, $src)} || !$w->{vrids}{$vrid};
    $found{"VRID $vrid on $w->{if} is already in use by $src, a VRRP router outside this cluster (choose another \`virtualRouterId\`)"} = 1;
}
if ($replay) {
    while (<STDIN>) {
        my ($if, $family, $src, $hex) = split;
        heard($watch{$if . "/" . $family}, $src, pack("H*", $hex)) if $watch{$if . "/" . $family};
    }
} else {
    my $end = time + $seconds;
    while ((my $left = $end - time) > 0 && $rin ne "") {
        my $n = select(my $rout = $rin, undef, undef, $left);
        next if $n <= 0;
        for my $w (values %watch) {
            next unless $w->{sock} && vec($rout, fileno($w->{sock}), 1);
            my $from = recv($w->{sock}, my $buf, 65535, 0);
            next unless defined $from;
            if ($w->{family} == 6) { heard($w, inet_ntop(AF_INET6, (unpack_sockaddr_in6($from))[1]), $buf) }
            else { heard($w, inet_ntoa(substr($buf, 12, 4)), substr($buf, (ord($buf) & 15) * 4)) } # IPv4 raw sockets get the IP header
        }
    }
}
print STDERR map { "$_\\n" } sort keys %found;
exit(%found ? ${PROBE_REFUSES_EXIT} : 0);
`;

/** One interface of a node to listen on. */
export interface ListenTarget {
    interface: string;
    family: 4 | 6;
    vrids: number[];
    groups: string[];
    advertInt: number;
}

/** Pure: the listen command for one node (`ownAddresses` bare); `seconds` is its bound, three default intervals with no target. */
export function renderVrrpListen(targets: readonly ListenTarget[], ownAddresses: readonly string[]): { command: string; seconds: number } {
    const seconds = LISTEN_INTERVALS * Math.max(DEFAULT_ADVERT_INT, ...targets.map((t) => t.advertInt));
    const args = [String(seconds), [...new Set(ownAddresses)].sort().join(",")];
    for (const t of targets) args.push(t.interface, String(t.family), [...new Set(t.vrids)].sort((a, b) => a - b).join(","), [...new Set(t.groups)].sort().join(","));
    return { command: ["perl", "-e", shellQuote(VRRP_LISTEN_SCRIPT), "--", ...args.map(shellQuote)].join(" "), seconds };
}

/**
 * Pure: per node, the command that refuses when a router outside the cluster uses one of the cluster's
 * VRIDs on that node's VRRP interfaces. The cluster's own adverts (a running or adopted cluster) come
 * from its nodes' addresses and pass.
 */
export function foreignRouterProbes(spec: ParsedKeepalived): Record<string, CommandSpec[]> {
    const own = spec.nodes.map((n) => n.address.address);
    const out: Record<string, CommandSpec[]> = {};
    for (const node of spec.nodes) {
        const targets = new Map<string, ListenTarget>();
        for (const i of spec.instances) {
            const { family } = i;
            const iface = i.interfaces[node.name];
            const key = `${iface}/${family}`;
            const t = targets.get(key) ?? { interface: iface, family, vrids: [], groups: [], advertInt: i.advertInt };
            t.vrids.push(i.virtualRouterId);
            t.groups.push(i.advertGroup);
            t.advertInt = Math.max(t.advertInt, i.advertInt);
            targets.set(key, t);
        }
        if (targets.size === 0) continue;
        const { command, seconds } = renderVrrpListen([...targets.values()].sort((a, b) => (a.interface < b.interface ? -1 : 1)), own);
        out[node.name] = [{ description: `listen ${seconds} s for VRRP adverts of other routers`, command }];
    }
    return out;
}
