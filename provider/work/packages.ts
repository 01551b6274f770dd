/**
 * The packages the resources install on a host that lacks them, by name per family. Debian's names are
 * proven on real machines (the VM lab's bare servers); the RHEL-family names are rendered only.
 */
import { PackageSpec } from "../contract/desired";

export const KEEPALIVED_PACKAGE: PackageSpec = { name: "keepalived" };
/** The IPVS admin tool beside keepalived's virtual servers: how operators read the LVS table. */
export const IPVSADM_PACKAGE: PackageSpec = { name: "ipvsadm" };
export const OVS_PACKAGE: PackageSpec = { name: "openvswitch-switch", rpm: "openvswitch" };
/** dockerd: Debian's own build; RHEL-family hosts need Docker's repository for `docker-ce`. */
export const DOCKER_ENGINE_PACKAGE: PackageSpec = { name: "docker.io", rpm: "docker-ce" };
export const REGISTRY_PACKAGE: PackageSpec = { name: "docker-registry" };
/** The registry's health check asks `/v2/` with curl. */
export const CURL_PACKAGE: PackageSpec = { name: "curl" };
