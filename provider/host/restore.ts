import { runChecked } from "../ssh/exec";
import { ConnectionSpec } from "../ssh/connection";
import { connect } from "../ssh/pool";
import { ServiceSpec, StateSpec } from "../contract/desired";
import { CREATED_DIRS, daemonReloadFor, originalKey, stagedPath } from "./layout";
import { withHostLock } from "./lock";
import { renderRetireRecoveryUnit } from "./recovery";
import { shellQuote as q } from "../contract/shell";

/**
 * Pure: the delete script. Each file gets its original back (bytes, mode, owner, by rename) or is
 * removed if it did not exist before; directories we created go if empty; services return to the
 * state they had before the resource first touched them. Unknown paths are left alone.
 */
export function renderRestoreScript(
    stateDir: string,
    paths: readonly string[],
    services: readonly ServiceSpec[],
    shared: readonly { path: string; empty: string }[] = [],
    states: readonly StateSpec[] = [],
): string {
    const lines = [
        "trap '' HUP INT TERM PIPE",
        `S=${q(stateDir)}`,
        `[ -d "$S" ] || { echo gone; exit 0; }`,
        `[ -e "$S/txn/pending" ] && sh "$S/txn/rollback.sh" >/dev/null 2>&1`,
        "set -e",
    ];
    // Stop what the resource started while its config is still in place (an init script may refuse
    // to stop a daemon whose config is gone); restart the others only once the files are back.
    const svcFile = (s: ServiceSpec) => `"$S/orig/svc.${s.name.replace(/[^A-Za-z0-9@._-]/g, "_")}"`;
    // A daemon acted on only while it runs was never started or enabled by the resource: left as it is.
    for (const s of services.filter((s) => !s.onlyIfRunning)) {
        lines.push(
            `if [ -e ${svcFile(s)} ]; then read -r was en < ${svcFile(s)}; else was=active; en=enabled; fi`,
            `[ "$was" = inactive ] && { systemctl stop ${q(s.name)} || true; }`,
            `[ "$en" = disabled ] && { systemctl disable ${q(s.name)} >/dev/null 2>&1 || true; }`,
        );
    }
    // Live states go while the services that may use them are stopped or not yet reloaded.
    for (const s of [...states].reverse()) lines.push(`sh -c ${q(s.remove)}`);
    // Shared files already had the resource's parts taken out; one the engine created goes once empty.
    for (const { path, empty } of shared) {
        const o = `"$S/orig/${originalKey(path)}"`;
        lines.push(`if [ -e ${o}.absent ] && printf '%s' ${q(empty)} | cmp -s - ${q(path)}; then rm -f ${q(path)}; fi`);
    }
    for (const p of paths.filter((p) => !shared.some((s) => s.path === p))) {
        const o = `"$S/orig/${originalKey(p)}"`;
        lines.push(`if [ -e ${o} ]; then cp -a ${o} ${q(stagedPath(p))} && mv -f ${q(stagedPath(p))} ${q(p)}; elif [ -e ${o}.absent ]; then rm -f ${q(p)}; fi`);
    }
    lines.push(...daemonReloadFor(paths));
    const dirs = q(CREATED_DIRS);
    lines.push(
        `if [ -e ${dirs} ]; then`,
        `  sort -r ${dirs} | while read -r d; do rmdir "$d" 2>/dev/null || true; done`,
        `  while read -r d; do [ -d "$d" ] && echo "$d"; done < ${dirs} > ${dirs}.new || true`,
        `  mv -f ${dirs}.new ${dirs}`,
        "fi",
    );
    for (const s of services) {
        if (s.onChange === "none") continue;
        lines.push(
            `if [ -e ${svcFile(s)} ]; then read -r was en < ${svcFile(s)}; else was=active; fi`,
            s.onlyIfRunning
                ? `if [ "$was" = active ] && systemctl is-active -q ${q(s.name)}; then systemctl ${s.onChange === "reload" ? "reload" : "restart"} ${q(s.name)}; fi`
                : `[ "$was" = active ] && systemctl ${s.onChange === "reload" ? "reload-or-restart" : "restart"} ${q(s.name)}`,
        );
    }
    lines.push(`rm -rf "$S"`, renderRetireRecoveryUnit(), "echo restored", "");
    return lines.join("\n");
}

/** Puts the host back as it was before the resource existed. */
export async function restoreHost(
    connection: ConnectionSpec,
    stateDirPath: string,
    paths: readonly string[],
    services: readonly ServiceSpec[],
    shared: readonly { path: string; empty: string }[] = [],
    states: readonly StateSpec[] = [],
): Promise<"restored" | "gone"> {
    const conn = await connect(connection);
    return withHostLock(conn.key, async () => {
        const { stdout } = await runChecked(conn, renderRestoreScript(stateDirPath, paths, services, shared, states), { step: "restore the previous state" });
        return stdout.trim() === "gone" ? "gone" : "restored";
    });
}
