import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { HostSnapshot, ServiceWork, StagedChange } from "../changes";
import { StateSpec } from "../../contract/desired";
import { backupPath, CREATED_DIRS, daemonReloadFor, originalKey } from "../layout";
import { shellQuote as q } from "../../contract/shell";
import { TAKE_STAGING } from "./stage";
import { durable, renderInstallRecoveryUnit, renderRetireRecoveryUnit, renderSleeper, WATCHDOG_SCRIPT } from "../recovery";

/**
 * Stops a sleeping watchdog (its process group). SIGKILL, since it inherits the swap script's ignored
 * SIGTERM; only ever sent after taking `pending`, so a watchdog that is already rolling back is never hit.
 */
export const KILL_WATCHDOG = `{ [ -s "$S/txn/watchdog.pid" ] && kill -s KILL -- -"$(cat "$S/txn/watchdog.pid")" 2>/dev/null; true; }`;

function targetOf(c: StagedChange): string {
    return c.action === "write" ? c.file.path : c.path;
}

/**
 * Pure: the script that puts the host back as it was before this transaction. It is written to the host
 * before the swap, so the controller runs it on failure and a watchdog runs it if the controller vanishes.
 */
export function renderRollbackScript(
    stateDir: string,
    staged: readonly StagedChange[],
    snapshot: HostSnapshot,
    services: readonly ServiceWork[],
    states: readonly StateSpec[] = [],
): string {
    const lines = [
        "# pulumi-onprem: undo one transaction (written before the swap)",
        "trap '' HUP INT TERM PIPE",
        `S=${q(stateDir)}`,
        // Whoever renames `pending` first undoes the change: the controller here, or the watchdog before it calls this.
        `[ "$1" = watchdog ] || { mv -f "$S/txn/pending" "$S/txn/pending.rollback" 2>/dev/null || exit 0; ${KILL_WATCHDOG}; }`,
    ];
    const before = (w: ServiceWork) => snapshot.services[w.service.name] ?? { active: false, enabled: false };
    // Services that were not running go down first, while the config they started with is in place.
    for (const w of services.filter((w) => !before(w).active && !w.service.onlyIfRunning)) lines.push(`systemctl stop ${q(w.service.name)} >/dev/null 2>&1`);
    for (const w of services.filter((w) => w.enable && !before(w).enabled)) lines.push(`systemctl disable ${q(w.service.name)} >/dev/null 2>&1`);
    for (const c of staged) {
        const t = targetOf(c);
        const [b, tq] = [q(backupPath(t)), q(t)];
        // A backup that is still the target's own inode (cut between the link and the rename, or a rename
        // the power loss took back) is dropped: renaming a file onto itself leaves both names.
        const putBack = `if [ ${b} -ef ${tq} ]; then rm -f ${b}; else mv -f ${b} ${tq}; fi`;
        // Run again after a cut (the boot unit does), a target that existed and has no backup is already back.
        lines.push(snapshot.files[t]?.exists ? `if [ -e ${b} ]; then ${putBack}; fi` : `if [ -e ${b} ]; then ${putBack}; else rm -f ${tq}; fi`);
        // A cut before the rename leaves the staged copy: the list that named it was taken by the swap.
        if (c.staged) lines.push(`rm -f ${q(c.staged)}`);
    }
    for (const d of [...snapshot.missingDirs].sort((a, b) => b.length - a.length)) lines.push(`rmdir ${q(d)} 2>/dev/null`);
    lines.push(...daemonReloadFor(staged.map(targetOf), true));
    // Live states back as they were, last applied first.
    for (const s of [...states].reverse()) lines.push(`sh -c ${q(s.undo ?? s.remove)} >/dev/null 2>&1`);
    for (const w of services.filter((w) => before(w).active)) {
        const name = q(w.service.name);
        lines.push(
            w.trigger && w.service.onChange === "reload"
                ? `systemctl reload ${name} >/dev/null 2>&1 || systemctl restart ${name} >/dev/null 2>&1`
                : `systemctl restart ${name} >/dev/null 2>&1`,
        );
    }
    // Undoing the resource's first transaction leaves the host as if it never existed: no state directory either.
    lines.push(
        `if [ -e "$S/txn/first" ]; then rm -rf "$S"; ${renderRetireRecoveryUnit()}; else rm -f "$S/txn/pending" "$S/txn/pending.rollback" "$S/txn/pending.watchdog" "$S/txn/watchdog.pid" "$S/txn/${WATCHDOG_SCRIPT}" "$S/txn/staging.taken" "$S/txn/rollback.sh"; fi`,
        "exit 0",
        "",
    );
    return lines.join("\n");
}

/**
 * Pure: the checkpoint-and-swap script: rollback and watchdog armed (and on disk) before anything else, so a
 * cut at any line after it, a power loss included, is undone; originals kept once, backups linked, synced,
 * then renames.
 */
export function renderSwapScript(stateDir: string, staged: readonly StagedChange[], snapshot: HostSnapshot, services: readonly ServiceWork[], timeoutSeconds: number): string {
    // The deadline runs from `pending`'s mtime: a controller still at work renews it (see `keepFresh`).
    const watchdog = renderSleeper(stateDir, "pending", timeoutSeconds, `mv -f "$m" "$S/txn/pending.watchdog" 2>/dev/null && sh "$S/txn/rollback.sh" watchdog`);
    const lines = [
        "trap '' HUP INT TERM PIPE # finish the swap even if the connection drops now",
        "set -e",
        `S=${q(stateDir)}`,
        // No originals kept yet: the resource's first transaction (its rollback removes the state directory).
        `if [ -d "$S/orig" ]; then first=no; else first=yes; fi`,
        `mkdir -p "$S/orig" "$S/txn"`,
        `if [ $first = yes ]; then : > "$S/txn/first"; fi`,
        `cat > "$S/txn/rollback.sh"`,
        `cat > "$S/txn/${WATCHDOG_SCRIPT}.new" <<'ONPREM_SLEEPER'`,
        watchdog.trimEnd(),
        "ONPREM_SLEEPER",
        `mv -f "$S/txn/${WATCHDOG_SCRIPT}.new" "$S/txn/${WATCHDOG_SCRIPT}"`,
        ...renderInstallRecoveryUnit(stateDir),
        `: > "$S/txn/pending"`,
        durable([`"$S/txn/rollback.sh"`, `"$S/txn/${WATCHDOG_SCRIPT}"`, `"$S/txn/pending"`, `"$S/txn"`]),
        `setsid sh "$S/txn/${WATCHDOG_SCRIPT}" </dev/null >/dev/null 2>&1 &`,
        `echo $! > "$S/txn/watchdog.pid"`,
    ];
    // The staged copies are the swap's from here on: the host's cleaner must not remove them any more
    // (the rollback does, if the swap is cut before it renames them).
    if (staged.length > 0) {
        const gone = `{ echo "the host removed the staged copies: the controller was silent for longer than the rollback timeout before the swap" >&2; exit 3; }`;
        lines.push(`${TAKE_STAGING} || { [ -e "$S/txn/staging.cleaning" ] && ${gone}; true; }`, `rm -f "$S/txn/staging.taken"`);
        for (const c of staged) if (c.staged) lines.push(`[ -e ${q(c.staged)} ] || ${gone}`);
    }
    const kept: string[] = [];
    for (const c of staged) {
        const t = targetOf(c);
        const o = `"$S/orig/${originalKey(t)}"`;
        // What was there before the resource first touched this path, kept for delete.
        lines.push(`[ -e ${o} ] || [ -e ${o}.absent ] || { if [ -e ${q(t)} ]; then cp -a ${q(t)} ${o}; else : > ${o}.absent; fi; }`);
        // This transaction's backup: a hard link to the current inode, restored by a rename.
        lines.push(`rm -f ${q(backupPath(t))}; if [ -e ${q(t)} ]; then ln ${q(t)} ${q(backupPath(t))}; fi`);
        kept.push(o, q(backupPath(t)));
    }
    // Host-wide, not per resource: whichever resource leaves a directory empty removes it.
    for (const d of snapshot.missingDirs) lines.push(`grep -qxF ${q(d)} ${q(CREATED_DIRS)} 2>/dev/null || echo ${q(d)} >> ${q(CREATED_DIRS)}`);
    for (const w of services) {
        const before = snapshot.services[w.service.name] ?? { active: false, enabled: false };
        const file = `"$S/orig/svc.${w.service.name.replace(/[^A-Za-z0-9@._-]/g, "_")}"`;
        lines.push(`[ -e ${file} ] || echo ${before.active ? "active" : "inactive"} ${before.enabled ? "enabled" : "disabled"} > ${file}`);
        kept.push(file);
    }
    if (kept.length > 0) lines.push(`set -- "$S/orig"; for f in ${kept.join(" ")}; do [ ! -e "$f" ] || set -- "$@" "$f"; done`, durable(['"$@"']));
    for (const c of staged) {
        const t = targetOf(c);
        lines.push(c.removes ? `rm -f ${q(t)}` : `mv -f ${q(c.staged!)} ${q(t)}`);
    }
    // Before the states and services that follow use them.
    lines.push(...daemonReloadFor(staged.map(targetOf)));
    return lines.join("\n") + "\n";
}

/** Arms the rollback (script + watchdog) and swaps the staged files into place. One command. */
export async function checkpointAndSwap(
    conn: PooledConnection,
    stateDir: string,
    staged: readonly StagedChange[],
    snapshot: HostSnapshot,
    services: readonly ServiceWork[],
    timeoutSeconds: number,
    states: readonly StateSpec[] = [],
): Promise<void> {
    await runChecked(conn, renderSwapScript(stateDir, staged, snapshot, services, timeoutSeconds), {
        stdin: renderRollbackScript(stateDir, staged, snapshot, services, states),
        step: "swap files into place",
    });
}

/**
 * While the controller works through a transaction (stage, validate; apply, activate, verify), it renews
 * the deadline of the host's own clean-up (`marker`'s mtime) every quarter of the timeout: the cleaner and
 * the watchdog are for a controller that vanished, not for a slow host (a dockerd restart under load can
 * take minutes). Returns the function that stops the renewal.
 */
export function keepFresh(conn: PooledConnection, marker: string, timeoutSeconds: number): () => void {
    const timer = setInterval(() => {
        // -c: never recreate it once a rollback, the commit or the cleaner took it.
        runChecked(conn, `touch -c "$1"`, { args: [marker], step: "renew the rollback deadline" }).catch(() => undefined);
    }, Math.max(1, timeoutSeconds / 4) * 1000);
    timer.unref();
    return () => clearInterval(timer);
}
