/**
 * Ports a registry cannot listen on because something else on its host does: the port SSH reaches the
 * host on (the deployment would lock itself out), and another registry the program declares on the same
 * host and port. Listen addresses overlap when either listens on all addresses or both are equal.
 */
import type { Issue } from "../../contract/issue";
import { parseIp } from "../../model/address";
import { DEFAULT_REGISTRY_PORT } from "./model";
import { isWildcard } from "./plan";

/** Where one registry listens, and where its host is reached over SSH. */
export interface RegistryEndpoint {
    /** The component's name. */
    name: string;
    /** `connection.host`: the host the registry runs on. */
    host: string;
    /** `connection.port` (22 when unset). */
    sshPort: number;
    /** The listen address; unset means all. */
    address?: string;
    port?: number;
}

/** Unset or a wildcard listens everywhere; a host given by name is compared as written. */
function overlaps(a?: string, b?: string): boolean {
    const [pa, pb] = [parseIp(a), parseIp(b)];
    if (a === undefined || b === undefined || (pa && isWildcard(pa)) || (pb && isWildcard(pb))) return true;
    return (pa?.address ?? a) === (pb?.address ?? b);
}

/** The registry's port against its own connection's port. */
export function sshPortConflict(e: RegistryEndpoint): Issue[] {
    const port = e.port ?? DEFAULT_REGISTRY_PORT;
    if (port !== e.sshPort || !overlaps(e.address, e.host)) return [];
    return [{ field: "port", message: `\`port\`: ${port} is the port SSH reaches ${e.host} on (\`connection.port\`); the registry would take it` }];
}

/** The issues of `mine` against the registries declared before it in the same run. */
export function endpointConflicts(before: RegistryEndpoint[], mine: RegistryEndpoint): Issue[] {
    const port = mine.port ?? DEFAULT_REGISTRY_PORT;
    const other = before.find((o) => o.name !== mine.name && o.host === mine.host && (o.port ?? DEFAULT_REGISTRY_PORT) === port && overlaps(o.address, mine.address));
    if (!other) return [];
    return [{ field: "port", message: `\`port\`: ${port} on ${mine.host} is also used by registry ${JSON.stringify(other.name)}` }];
}
