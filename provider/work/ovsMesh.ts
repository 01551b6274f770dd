/**
 * What an OvsMesh wants on one host, as the engine takes it: the OS network config files, Docker's
 * options (the mesh's daemon.json keys, or DOCKER_OPTS), the Open vSwitch package and service, dockerd
 * restarted only while it runs, the checks of staged files, and three live states, applied in this
 * order and removed in the reverse one:
 * - OVSDB records: the bridges and ports the mesh owns, one `ovs-vsctl` transaction (render/ovs/ovsdb.ts);
 * - links: the Docker bridge, addresses, links up, which the kernel holds and OVSDB does not (render/ovs/links.ts);
 * - OpenFlow rules under the mesh's cookie, replaced in one bundle (render/ovs/flows.ts).
 * Each state's `apply` converges on exactly what it owns, so the previous apply undoes a failed change.
 */
import type { CommandSpec, FileSpec, PackageSpec, ServiceSpec, StateSpec } from "../contract/desired";
import { renderJsonKeys } from "../contract/jsonKeys";
import type { HostMeshPlan, OsConfigFormat } from "../plan/ovs/model";
import { DAEMON_JSON_PATH, DAEMON_JSON_VALIDATOR } from "../render/docker/daemonJson";
import { DOCKER_DEFAULT_FILE_PATH, renderDockerOpts } from "../render/docker/dockerOpts";
import { flowsScripts } from "../render/ovs/flows";
import { DOCKER_ENGINE_PACKAGE, OVS_PACKAGE } from "./packages";
import { renderIfcfg } from "../render/ovs/ifcfg";
import { INTERFACES_DIR, renderInterfaces } from "../render/ovs/interfaces";
import { linksScripts } from "../render/ovs/links";
import { ovsdbScripts } from "../render/ovs/ovsdb";

/** Everything one host gets, in the shape of `HostConfig`'s arguments. */
export interface OvsMeshHostWork {
    files: FileSpec[];
    packages: PackageSpec[];
    services: ServiceSpec[];
    validators: CommandSpec[];
    states: StateSpec[];
}

/** One host's part of the mesh. */
export function ovsMeshHostWork(p: HostMeshPlan): OvsMeshHostWork {
    return { files: hostFiles(p), packages: p.docker.mode === "none" ? [OVS_PACKAGE] : [OVS_PACKAGE, DOCKER_ENGINE_PACKAGE], services: hostServices(p), validators: hostValidators(p), states: ovsMeshStates(p) };
}

/** The Open vSwitch service's unit name on the host's family. */
export function ovsServiceName(osFormat: OsConfigFormat): string {
    return osFormat === "ifcfg" ? "openvswitch" : "openvswitch-switch";
}

/** The three live states of one host, in apply order. */
export function ovsMeshStates(p: HostMeshPlan, service = ovsServiceName(p.osConfig.format)): StateSpec[] {
    return [
        { name: `ovsdb records of mesh ${p.mesh}`, ...ovsdbScripts(p, service) },
        { name: `links of mesh ${p.mesh}`, ...linksScripts(p, service) },
        { name: `openflow rules of mesh ${p.mesh}`, ...flowsScripts(p, service) },
    ];
}

/** The OS network config and Docker's options on one host. */
function hostFiles(p: HostMeshPlan): FileSpec[] {
    const os = p.osConfig.format === "interfaces" ? [renderInterfaces(p)] : p.osConfig.format === "ifcfg" ? renderIfcfg(p) : [];
    const files: FileSpec[] = os.map((f) => ({ path: f.path, content: f.content, mode: f.mode }));
    if (p.docker.mode === "daemon-json") {
        // Only the mesh's keys: the engine merges them into the file and leaves the others alone.
        files.push({ path: DAEMON_JSON_PATH, content: renderJsonKeys(p.docker.daemonJson), merge: "json-keys", mode: "0644" });
    } else if (p.docker.mode === "default-file") {
        files.push({ path: DOCKER_DEFAULT_FILE_PATH, content: renderDockerOpts(p.docker.options), mode: "0644" });
    }
    return files;
}

function hostServices(p: HostMeshPlan): ServiceSpec[] {
    const services: ServiceSpec[] = [{ name: ovsServiceName(p.osConfig.format), onChange: "none", state: "running", enabled: true }];
    const docker = p.docker.mode === "daemon-json" ? DAEMON_JSON_PATH : p.docker.mode === "default-file" ? DOCKER_DEFAULT_FILE_PATH : undefined;
    // dockerd reads bridge, fixed-cidr and mtu only at start; hosts without Docker yet are left alone.
    if (docker) services.push({ name: "docker", onChange: "restart", onlyIfRunning: true, watch: [docker] });
    return services;
}

function hostValidators(p: HostMeshPlan): CommandSpec[] {
    const checks: CommandSpec[] = [];
    if (p.docker.mode === "daemon-json") {
        // Docker refuses "bip" next to "bridge"; hosts without dockerd would only find out when it is installed.
        const [ours, theirs] = "bip" in p.docker.daemonJson ? ["bip", "bridge"] : ["bridge", "bip"];
        checks.push({
            description: `daemon.json sets no "${theirs}" next to the mesh's "${ours}"`,
            command: `if grep -q '"${theirs}"[[:space:]]*:' {{staged:${DAEMON_JSON_PATH}}}; then echo '${DAEMON_JSON_PATH} sets "${theirs}", which Docker refuses together with "${ours}" (set by the mesh): remove it' >&2; exit 1; fi`,
        });
        checks.push(DAEMON_JSON_VALIDATOR);
    }
    if (p.osConfig.format === "interfaces") {
        const path = `${INTERFACES_DIR}/${p.bridge}`;
        checks.push({ description: "ifupdown reads the stanzas (ifquery)", command: `if command -v ifquery >/dev/null 2>&1; then ifquery -i {{staged:${path}}} --list -a >/dev/null; fi` });
    }
    return checks;
}
