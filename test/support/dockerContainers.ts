/**
 * Real Docker containers on VM lab hosts (containers.ts has the netns lab's stand-ins), as a user checks
 * a mesh: one long-running container per host, its address once dockerd gave it one, and unfragmented
 * pings from inside it. Used by the VM tests and by `npm run demo -- --vm`.
 */
import { eventually, type LabHost, onHost } from "./lab";
import { runOnHost } from "./vmlab";

/** The small image the VM lab imports into every VM's dockerd. */
export const TEST_IMAGE = "onprem-test/busybox";
/**
 * A bare VM got dockerd only from a resource's install: its image waits as a tarball in the VM image
 * (where a real host would pull it from a registry), imported on first use.
 */
const IMPORT_TEST_IMAGE = `docker image inspect ${TEST_IMAGE} >/dev/null 2>&1 || docker import --change 'CMD ["sh"]' /var/lib/vmlab/docker-images/busybox.tar ${TEST_IMAGE}:latest >/dev/null`;

/** (Re)starts `name` on `host`: a container that sleeps, restarted by dockerd after a restart or reboot. */
export function startContainer(host: LabHost, name: string): void {
    onHost(host, `${IMPORT_TEST_IMAGE}; docker rm -f ${name} >/dev/null 2>&1; docker run -d --name ${name} --restart=always ${TEST_IMAGE} sleep 1d >/dev/null`);
}

/** Removes `name` on `host` if it is there. */
export function removeContainer(host: LabHost, name: string): void {
    onHost(host, `docker rm -f ${name} >/dev/null 2>&1; true`, { allowFail: true });
}

/** The container's IPv4 address, once it runs (after a restart of dockerd or a reboot it comes back by itself). */
export async function containerAddress(host: LabHost, name: string, timeoutMs = 180_000): Promise<string> {
    let state = "";
    await eventually(`${host.name}: ${name} runs with an address`, () => {
        state = onHost(host, `docker inspect -f '{{.State.Running}} {{.NetworkSettings.IPAddress}}' ${name}`, { allowFail: true }).trim();
        return /^true \d/.test(state);
    }, timeoutMs, 2_000);
    return state.split(" ")[1];
}

/**
 * `count` pings with `payload` bytes and don't-fragment set, from the container's network namespace;
 * whether one answered, and the RTT min/avg/max summary. The host's iputils ping in the container's
 * namespace: busybox's ping has no -M, and without it an oversized packet would be fragmented and pass.
 */
export function pingFromContainer(host: LabHost, name: string, target: string, payload: number, count = 3): { ok: boolean; rtt: string } {
    const r = runOnHost(host, `nsenter -t "$(docker inspect -f '{{.State.Pid}}' ${name})" -n ping -n -c ${count} -i 0.3 -W 2 -M do -s ${payload} ${target} 2>&1`, { allowFail: true });
    const rtt = (r.stdout.match(/min\/avg\/max(?:\/mdev)? = (\S+)/) ?? [])[1] ?? "";
    return { ok: r.status === 0 && /[1-9]\d* (packets )?received/.test(r.stdout), rtt };
}
