import { FILE_MERGERS } from "../contract/mergers";
import { ConnectionSpec } from "../ssh/connection";
import { connect } from "../ssh/pool";
import { DesiredState, FileSpec } from "../contract/desired";
import { originalKey } from "./layout";
import { fillSecrets } from "../contract/secrets";
import { readFiles } from "./steps/prepare";
import { applyHostState } from "./transaction";

/**
 * Delete, for shared files: the resource gives its parts back. Parts the original file had get their
 * original values again, the others are removed, and other owners' parts stay as they are. Runs as an
 * ordinary transaction (validated, swapped, rolled back on failure); services are reloaded, not started.
 */
export async function releaseSharedFiles(connection: ConnectionSpec, resourceId: string, stateDirPath: string, shared: readonly FileSpec[], desired: DesiredState): Promise<void> {
    if (shared.length === 0) return;
    const conn = await connect(connection);
    const originalPath = (f: FileSpec) => `${stateDirPath}/orig/${originalKey(f.path)}`;
    const originals = await readFiles(conn, shared.map(originalPath));
    const files = shared.map((f) => {
        const merger = FILE_MERGERS[f.merge!];
        const parts = merger.parts(fillSecrets(f.content, desired.secrets));
        return { ...f, content: merger.originalParts(originals[originalPath(f)], parts, f.path), released: parts };
    });
    const services = desired.services.map(({ state: _s, enabled: _e, ...rest }) => rest);
    // Only the shared files: live states are removed by the restore that follows.
    await applyHostState(connection, resourceId, { ...desired, files, services, states: [], verifiers: [], packages: [], ensurePackages: false });
}
