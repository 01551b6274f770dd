/**
 * A registry client's part of /etc/docker/daemon.json: the keys it owns, as the "json-keys" merge takes
 * them. The registry owns whole keys (`insecure-registries`, `registry-mirrors`): a list the host had
 * under such a key is replaced while the registry exists and comes back on delete.
 */
import { renderJsonKeys } from "../../contract/jsonKeys";
import type { ClientDaemonEntries } from "../../plan/registry/plan";

/** The owned keys with entries, as JSON text; undefined when the client owns none (certs-only, or TLS on without a Docker Hub cache). */
export function renderClientDaemonJson(entries: ClientDaemonEntries): string | undefined {
    const owned = Object.fromEntries(Object.entries(entries).filter(([, list]) => list.length > 0));
    return Object.keys(owned).length > 0 ? renderJsonKeys(owned) : undefined;
}
