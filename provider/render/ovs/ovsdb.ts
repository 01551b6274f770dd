/**
 * OVSDB, the `ovs-vsctl` way: the one transaction that creates or corrects a host's records, the atoms
 * and maps it is written in, and the live state built on it: the bridges and ports tagged
 * `external_ids:pulumi-onprem=<mesh>`, read back one line each, applied in one transaction that also
 * deletes our records the plan no longer has.
 */
import { shellQuote as q } from "../../contract/shell";
import { HostMeshPlan, OvsRecords, OWNER_KEY } from "../../plan/ovs/model";
import { ensureRunning, IF_NOT_RUNNING, ownerMatch, StateScripts, VSCTL, withRunning } from "./scriptParts";

/** external_ids key on the underlay bridge: whether its physical port was up before the mesh took it. */
const PORT_UP_KEY = `${OWNER_KEY}-port-up`;
/** external_ids key on a bridge or port that existed, not ours, before the mesh first took it (made by hand). */
const ADOPTED_KEY = `${OWNER_KEY}-adopted`;

/**
 * `gone KIND NAME` prints the ovs-vsctl commands that give up one of our records: a record the mesh
 * made is deleted; one it adopted (the operator's bridge or port) stays, with our keys taken off.
 */
const GONE = [
    "gone() {",
    `  if v --columns=external_ids list "$1" "$2" | tr ' ' '\\n' | grep -qx ${q(`${ADOPTED_KEY}=yes`)}; then`,
    `    echo "-- remove $1 $2 external_ids ${OWNER_KEY} ${ADOPTED_KEY} ${PORT_UP_KEY} -- --if-exists remove interface $2 external_ids ${OWNER_KEY}"`,
    '  elif [ "$1" = bridge ]; then echo "-- --if-exists del-br $2"; else echo "-- --if-exists del-port $2"; fi',
    "}",
].join("\n");

/**
 * The arguments of one `ovs-vsctl` transaction that creates or corrects every record of one host (after
 * global options such as `--timeout=10`), removing first the `stale` ports and bridges we own that the
 * plan no longer has. Map columns we fully own (`options`) are replaced; shared ones (`external_ids`,
 * `other_config`) are set key by key, so keys others put there stay.
 */
export function ovsVsctlArgs(records: OvsRecords, stale: { ports?: readonly string[]; bridges?: readonly string[] } = {}): string[] {
    const cmds: string[][] = [];
    for (const p of stale.ports ?? []) cmds.push(["--if-exists", "del-port", p]);
    for (const b of stale.bridges ?? []) cmds.push(["--if-exists", "del-br", b]);
    for (const b of records.bridges) {
        cmds.push(["--may-exist", "add-br", b.name]);
        cmds.push([
            "set",
            "bridge",
            b.name,
            `datapath_type=${b.datapathType}`,
            `stp_enable=${b.stpEnable}`,
            `rstp_enable=${b.rstpEnable}`,
            ...mapKeys("other_config", b.otherConfig),
            ...mapKeys("external_ids", b.externalIds),
        ]);
        if (b.mtuRequest !== undefined) cmds.push(["set", "interface", b.name, `mtu_request=${b.mtuRequest}`]);
        cmds.push(b.localTag !== undefined ? ["set", "port", b.name, `tag=${b.localTag}`] : ["clear", "port", b.name, "tag"]);
    }
    for (const p of records.ports) {
        cmds.push(["--may-exist", "add-port", p.bridge, p.name]);
        cmds.push(p.tag !== undefined ? ["set", "port", p.name, `tag=${p.tag}`] : ["clear", "port", p.name, "tag"]);
        cmds.push(["set", "port", p.name, ...mapKeys("external_ids", p.externalIds)]);
        const i = p.interface;
        const set = ["set", "interface", i.name];
        if (i.type !== "") set.push(`type=${i.type}`);
        if (i.type !== "" && i.type !== "internal") set.push(`options=${ovsMap(i.options)}`);
        if (i.mtuRequest !== undefined) set.push(`mtu_request=${i.mtuRequest}`);
        set.push(...mapKeys("external_ids", i.externalIds));
        cmds.push(set);
    }
    return cmds.flatMap((c, n) => (n === 0 ? c : ["--", ...c]));
}

/** `column:key=value` arguments, one per key, sorted. */
function mapKeys(column: string, map: Record<string, string>): string[] {
    return Object.keys(map)
        .sort()
        .map((k) => `${column}:${ovsAtom(k)}=${ovsAtom(map[k])}`);
}

/** A whole map value: `{k1=v1,k2=v2}`, sorted. */
function ovsMap(map: Record<string, string>): string {
    return `{${Object.keys(map)
        .sort()
        .map((k) => `${ovsAtom(k)}=${ovsAtom(map[k])}`)
        .join(",")}}`;
}

/** An OVSDB string atom: bare when plain, else double-quoted (IPv6 addresses contain ':'). */
function ovsAtom(value: string): string {
    return /^[A-Za-z0-9_.-]+$/.test(value) ? value : `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** `options:key=value` tokens, sorted, as ovs-vsctl reads them (the interfaces and ifcfg tunnel options). */
export function tunnelOptionArgs(options: Record<string, string>): string[] {
    return Object.keys(options)
        .sort()
        .map((k) => `options:${k}=${ovsAtom(options[k])}`);
}

/** OVSDB: our bridges and ports, one line each, sorted. */
export function ovsdbScripts(host: HostMeshPlan, service: string): StateScripts {
    const owner = ownerMatch(host.mesh);
    const expected = [
        ...host.ovs.bridges.map(
            (b) =>
                `bridge ${b.name} datapath_type=${b.datapathType} stp_enable=${b.stpEnable} rstp_enable=${b.rstpEnable} mtu_request=${b.mtuRequest ?? ""} tag=${b.localTag ?? ""} error=`,
        ),
        ...host.ovs.ports.map(
            (p) =>
                `port ${p.bridge} ${p.name} tag=${p.tag ?? ""} type=${p.interface.type} mtu_request=${p.interface.mtuRequest ?? ""} options=${bareMap(p.interface.options)} error=`,
        ),
    ]
        .sort()
        .join("\n");
    const read = [
        IF_NOT_RUNNING,
        VSCTL,
        "{",
        `for b in $(v --columns=name find bridge ${owner}); do`,
        `  echo "bridge $b $(v --columns=datapath_type,stp_enable,rstp_enable list bridge "$b" | awk -F, '{print "datapath_type=" $1 " stp_enable=" $2 " rstp_enable=" $3}') mtu_request=$(v --columns=mtu_request list interface "$b") tag=$(v --columns=tag list port "$b") error=$(v --columns=error list interface "$b")"`,
        "done",
        `for p in $(v --columns=name find port ${owner}); do`,
        `  echo "port $(ovs-vsctl --timeout=10 port-to-br "$p") $p tag=$(v --columns=tag list port "$p") $(v --columns=type,mtu_request,options list interface "$p" | awk -F, '{print "type=" $1 " mtu_request=" $2 " options=" $3}') error=$(v --columns=error list interface "$p")"`,
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
        GONE,
        // Our records the plan no longer has (a removed host's tunnel, a renamed bridge) go in the same transaction.
        'stale=""',
        `for p in $(v --columns=name find port ${owner}); do case ${q(wantedPorts)} in *" $p "*) ;; *) stale="$stale $(gone port "$p")" ;; esac; done`,
        `for b in $(v --columns=name find bridge ${owner}); do case ${q(wantedBridges)} in *" $b "*) ;; *) stale="$stale $(gone bridge "$b")" ;; esac; done`,
        // A bridge or port of the plan that is there but not ours was made by hand: marked, so that removal keeps it.
        'adopt=""',
        `for b in${wantedBridges}; do if ovs-vsctl --timeout=10 br-exists "$b" && [ -z "$(ovs-vsctl --timeout=10 br-get-external-id "$b" ${OWNER_KEY})" ]; then adopt="$adopt -- br-set-external-id $b ${ADOPTED_KEY} yes"; fi; done`,
        `for p in${wantedPorts}; do if [ -n "$(v --columns=name find port name="$p")" ] && ! v --columns=external_ids list port "$p" | tr ' ' '\\n' | grep -q '^${OWNER_KEY}='; then adopt="$adopt -- set port $p external_ids:${ADOPTED_KEY}=yes"; fi; done`,
        `ovs-vsctl --timeout=30 $stale $adopt -- ${ovsVsctlArgs(host.ovs).map(q).join(" ")}${u ? " $remember" : ""}`,
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
            GONE,
            'all=""',
            `for p in $(v --columns=name find port ${owner}); do all="$all $(gone port "$p")"; done`,
            `for b in $(v --columns=name find bridge ${owner}); do all="$all $(gone bridge "$b")"; done`,
            ...(u ? [`portup=$(ovs-vsctl --timeout=10 br-get-external-id ${q(u.bridge)} ${PORT_UP_KEY} 2>/dev/null || true)`] : []),
            `[ -z "$all" ] || ovs-vsctl --timeout=30 $all`,
        ].join("\n"),
        // Releasing the port around a stop of ovs-vswitchd has been seen to leave it down: put it back as it was.
        u ? `[ "$portup" != yes ] || ip link set ${q(u.port)} up` : "",
    );
    return { read, expected, apply, remove };
}

/** `k=v k=v`, sorted by key, as `ovs-vsctl --data=bare` prints a map. */
function bareMap(map: Record<string, string>): string {
    return Object.keys(map)
        .sort()
        .map((k) => `${k}=${map[k]}`)
        .join(" ");
}
