import { STATE_ROOT } from "../contract/desired";
import { RECOVERY_UNIT_NAME, RECOVERY_UNIT_PATH, renderRecoveryUnit } from "../contract/recoveryUnit";
import { shellQuote as q } from "../contract/shell";
import { stagedPath } from "./layout";

/**
 * The host's own clean-up survives a reboot. The staging cleaner and the watchdog are plain processes,
 * so a power loss ends them; their bodies are kept as scripts in the transaction's directory (the
 * timeout inside), and at boot a unit of the engine starts every one whose list is still there. Each
 * counts its deadline from its list's mtime, so a reboot neither shortens nor restarts the window.
 */

/** In `$S/txn/`: the staging cleaner's body while `staging` exists, the watchdog's while `pending` does. */
export const CLEANER_SCRIPT = "cleaner.sh";
export const WATCHDOG_SCRIPT = "watchdog.sh";

/**
 * Pure, shell: the body of a sleeper that waits until `list` (in `$S/txn`) is `timeoutSeconds` older than
 * its last renewal, then runs `act` (which must take the list first, so the controller and it never both act).
 * No fixed first sleep: re-armed after a boot, it acts at once when the deadline has passed.
 */
export function renderSleeper(stateDir: string, list: string, timeoutSeconds: number, act: string): string {
    return [
        `S=${q(stateDir)}`,
        `m="$S/txn/${list}"`,
        `while r=$(( ${timeoutSeconds} - $(date +%s) + $(stat -c %Y "$m" 2>/dev/null || echo 0) )); [ "$r" -gt 0 ]; do sleep "$r"; done`,
        act,
        "",
    ].join("\n");
}

/**
 * Pure, shell: starts the sleepers of every transaction under `root` whose list is still there, each in its
 * own session with its pid where the commit and the swap look for it, then waits for them (systemd keeps
 * the unit's processes only while its main one runs). A rollback or a clean-up the cut stopped part way
 * runs again from its start: both are idempotent. One complete command a line, no single quote: it goes into
 * the unit's ExecStart as it is.
 */
export function renderRearmScript(root: string = STATE_ROOT): string {
    if (!/^\/[A-Za-z0-9._/-]+$/.test(root)) throw new Error(`state root ${root}: plain path characters only`);
    return [
        `for t in ${root}/*/txn; do`,
        `[ -d "$t" ] || continue;`,
        `for p in pending.rollback pending.watchdog; do [ -e "$t/$p" ] && mv -f "$t/$p" "$t/pending"; done;`,
        `[ -e "$t/staging.cleaning" ] && mv -f "$t/staging.cleaning" "$t/staging";`,
        `if [ -e "$t/staging" ] && [ -e "$t/${CLEANER_SCRIPT}" ]; then setsid sh "$t/${CLEANER_SCRIPT}" </dev/null >/dev/null 2>&1 & echo $! > "$t/cleaner.pid"; fi;`,
        `if [ -e "$t/pending" ] && [ -e "$t/${WATCHDOG_SCRIPT}" ]; then setsid sh "$t/${WATCHDOG_SCRIPT}" </dev/null >/dev/null 2>&1 & echo $! > "$t/watchdog.pid"; fi;`,
        "done;",
        "wait",
    ].join("\n");
}

/**
 * Pure, shell: on a systemd host, installs the boot-time re-arm unit unless it is there as rendered (one
 * file, replaced by a rename, enabled), before the first sleeper of a transaction is armed. Only for the
 * engine's own state root (a test's scratch state dir is none of the host's). Never fails the step.
 */
export function renderInstallRecoveryUnit(stateDir: string): string[] {
    if (!stateDir.startsWith(`${STATE_ROOT}/`)) return [];
    const u = q(RECOVERY_UNIT_PATH);
    const tmp = q(stagedPath(RECOVERY_UNIT_PATH));
    const unit = renderRecoveryUnit(renderRearmScript(STATE_ROOT), STATE_ROOT);
    return [
        `if [ -d /run/systemd/system ]; then u=${q(unit)}`,
        `  printf '%s' "$u" | cmp -s - ${u} || { printf '%s' "$u" > ${tmp} && sync -- ${tmp} 2>/dev/null; mv -f ${tmp} ${u} && systemctl enable --quiet ${RECOVERY_UNIT_NAME} >/dev/null 2>&1; } || true`,
        "fi",
    ];
}

/**
 * Pure, shell: removes the unit once no resource keeps state under the state root (the last one left the
 * host, or the first one's first transaction was undone): the engine leaves nothing of its own behind.
 */
export function renderRetireRecoveryUnit(): string {
    return `if [ -e ${q(RECOVERY_UNIT_PATH)} ] && ! ls -d ${STATE_ROOT}/*/ >/dev/null 2>&1; then systemctl disable --quiet ${RECOVERY_UNIT_NAME} >/dev/null 2>&1 || true; rm -f ${q(RECOVERY_UNIT_PATH)}; fi`;
}

/**
 * Pure, shell: makes `paths` durable before what follows relies on them (a power loss keeps what was
 * synced: the list of staged copies before they exist, the rollback before the swap, the commit). File by
 * file, so a host with busy disks is not flushed whole; a filesystem that refuses fsync on one gets a sync.
 */
export function durable(paths: readonly string[]): string {
    return `sync -- ${paths.join(" ")} 2>/dev/null || sync`;
}
