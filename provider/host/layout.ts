import { createHash } from "crypto";
import * as path from "path";
import { STATE_ROOT } from "../contract/desired";

export { stateDir } from "../contract/desired";

/**
 * Where the engine keeps things on a host. Staged and backup copies sit beside their target so that
 * every swap and every restore is a rename within one filesystem, hence atomic.
 */

/** Directories the engine created on this host, for any resource: removed when they end up empty. */
export const CREATED_DIRS = `${STATE_ROOT}/created-dirs`;

export function stagedPath(target: string): string {
    return path.posix.join(path.posix.dirname(target), `.${path.posix.basename(target)}.onprem-new`);
}

export function backupPath(target: string): string {
    return path.posix.join(path.posix.dirname(target), `.${path.posix.basename(target)}.onprem-bak`);
}

/** Glob (unquoted tail) matching every temporary sibling the engine may leave after a cut connection. */
export function tempSiblingsGlob(target: string): { dir: string; prefix: string } {
    return { dir: path.posix.dirname(target), prefix: `.${path.posix.basename(target)}.onprem-` };
}

/** The name under which the original of `target` is kept in the state dir. */
export function originalKey(target: string): string {
    return createHash("sha256").update(target).digest("hex").slice(0, 20);
}

/** Where systemd reads units and their drop-ins: a file changed there counts only after a daemon-reload. */
const SYSTEMD_UNIT_DIRS = ["/etc/systemd/system/", "/run/systemd/system/", "/lib/systemd/system/", "/usr/lib/systemd/system/"];

/** Shell lines that reload systemd's units when `paths` hold one (on hosts where systemd runs). */
export function daemonReloadFor(paths: readonly string[], quiet = false): string[] {
    if (!paths.some((p) => SYSTEMD_UNIT_DIRS.some((d) => p.startsWith(d)))) return [];
    return [`if [ -d /run/systemd/system ]; then systemctl daemon-reload${quiet ? " >/dev/null 2>&1" : ""}; fi`];
}
