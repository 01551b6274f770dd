/**
 * Stand-ins for Docker containers on lab hosts (the lab has no dockerd): a network namespace inside the
 * host with one end of a veth pair, the other end on the host's Docker bridge, as Docker would wire it.
 */
import { IPv4CidrRange } from "ip-num";
import { LabHost, onHost } from "./lab";

/** The `n`-th address of a host's subnet, with the container network's prefix: what Docker would hand out. */
export function containerAddress(subnet: string, networkPrefix: number, n = 2): string {
    const first = IPv4CidrRange.fromCidr(subnet).getFirst();
    let ip = first;
    for (let i = 0; i < n; i++) ip = ip.nextIPNumber();
    return `${ip.toString()}/${networkPrefix}`;
}

/** A "container" named `name` on `host`: netns `name`, its eth0 at `address` with `mtu`, the host end on `bridge`. */
export function attachContainer(host: LabHost, name: string, address: string, mtu: number, bridge = "docker0"): void {
    detachContainer(host, name);
    onHost(
        host,
        [
            `ip netns add ${name}`,
            `ip link add ${name}-h type veth peer name eth0 netns ${name}`,
            `ip link set ${name}-h mtu ${mtu} master ${bridge} up`,
            `ip -n ${name} link set lo up`,
            `ip -n ${name} link set eth0 mtu ${mtu} up`,
            `ip -n ${name} addr add ${address} dev eth0`,
        ].join(" && "),
    );
}

export function detachContainer(host: LabHost, name: string): void {
    onHost(host, `ip netns del ${name} 2>/dev/null; ip link del ${name}-h 2>/dev/null; true`, { allowFail: true });
}

/** One `ping -M do` (no fragmentation) of `payload` bytes from the container; true when the reply came. */
export function pings(host: LabHost, name: string, target: string, payload: number, waitSeconds = 2): boolean {
    const out = onHost(host, `ip netns exec ${name} ping -n -c 1 -W ${waitSeconds} -M do -s ${payload} ${target.split("/")[0]} 2>&1; true`, { allowFail: true });
    return / 0% packet loss/.test(out);
}

/** Leaves a lab host without any mesh: what a failed earlier run may have left is removed, Open vSwitch stopped. */
export function scrubMesh(host: LabHost, bridges: readonly string[], files: readonly string[]): void {
    onHost(
        host,
        [
            "ip netns list | awk '{print $1}' | while read -r n; do ip netns del \"$n\"; done",
            "systemctl start openvswitch-switch >/dev/null 2>&1",
            `ovs-vsctl --timeout=10 ${bridges.map((b) => `-- --if-exists del-br ${b}`).join(" ")}`,
            "ip link del docker0 2>/dev/null",
            "ip -o addr show dev eth1 scope global | awk '{print $4}' | while read -r a; do ip addr del \"$a\" dev eth1; done",
            "ip link set eth1 up",
            "systemctl stop openvswitch-switch >/dev/null 2>&1",
            `rm -rf /var/lib/pulumi-onprem ${files.join(" ")}`,
            "true",
        ].join("\n"),
    );
}
