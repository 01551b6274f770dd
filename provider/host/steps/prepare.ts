import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { HostSnapshot } from "../changes";
import { originalKey, tempSiblingsGlob } from "../layout";
import { DISCARD_STAGING } from "./stage";

/**
 * Reads the host before any change: an interrupted transaction of this resource is rolled back first,
 * stale staged copies (and directories their staging created) are removed, then each file's hash/mode/owner
 * (and the hash this resource last wrote there) and each service's state are read.
 * One command.
 */
const READ_SCRIPT = `
mode=$1; S=$2; nfiles=$3; shift 3
if [ "$mode" = apply ]; then ${DISCARD_STAGING}; fi
[ -d "$S" ] && echo P
if [ "$mode" = apply ] && [ -e "$S/txn/pending" ]; then sh "$S/txn/rollback.sh" >/dev/null 2>&1; echo R; fi
i=0
while [ $i -lt $nfiles ]; do
  p=$1; d=$2; pre=$3; k=$4; shift 4; i=$((i+1))
  [ "$mode" = apply ] && rm -f "$d/$pre"* 2>/dev/null
  if [ -e "$p" ]; then
    printf 'F\\t%s\\t%s\\t%s\\t%s\\n' "$p" "$(sha256sum < "$p" | cut -d' ' -f1)" "$(stat -c '%a\t%U\t%G' "$p")" "$(cat "$S/written/$k" 2>/dev/null)"
  else
    printf 'A\\t%s\\n' "$p"
  fi
  while [ ! -d "$d" ]; do printf 'D\\t%s\\n' "$d"; d=$(dirname "$d"); done
done
for s in "$@"; do
  a=inactive; e=disabled
  systemctl is-active -q "$s" 2>/dev/null && a=active
  systemctl is-enabled -q "$s" 2>/dev/null && e=enabled
  printf 'S\\t%s\\t%s\\t%s\\n' "$s" "$a" "$e"
done
`;

export function prepare(conn: PooledConnection, stateDir: string, paths: readonly string[], services: readonly string[]): Promise<HostSnapshot> {
    return readHost(conn, "apply", stateDir, paths, services);
}

/** The same reading for `refresh`: no recovery, no clean-up, nothing on the host changes. */
export function prepareReadOnly(conn: PooledConnection, stateDir: string, paths: readonly string[], services: readonly string[]): Promise<HostSnapshot> {
    return readHost(conn, "read", stateDir, paths, services);
}

async function readHost(conn: PooledConnection, mode: "apply" | "read", stateDir: string, paths: readonly string[], services: readonly string[]): Promise<HostSnapshot> {
    const args = [mode, stateDir, String(paths.length)];
    for (const p of paths) {
        const { dir, prefix } = tempSiblingsGlob(p);
        args.push(p, dir, prefix, originalKey(p));
    }
    args.push(...services);
    const { stdout } = await runChecked(conn, READ_SCRIPT, { args, step: "read current state" });
    return parseSnapshot(stdout);
}

/** Pure: the prepare script's output to a snapshot. */
export function parseSnapshot(text: string): HostSnapshot {
    const snap: HostSnapshot = { present: false, files: {}, services: {}, missingDirs: [], recovered: false };
    for (const line of text.split("\n")) {
        const f = line.split("\t");
        switch (f[0]) {
            case "P":
                snap.present = true;
                break;
            case "R":
                snap.recovered = true;
                break;
            case "F":
                snap.files[f[1]] = { exists: true, sha256: f[2], mode: f[3], owner: f[4], group: f[5], ...(f[6] ? { lastWritten: f[6] } : {}) };
                break;
            case "A":
                snap.files[f[1]] = { exists: false };
                break;
            case "D":
                if (!snap.missingDirs.includes(f[1])) snap.missingDirs.push(f[1]);
                break;
            case "S":
                snap.services[f[1]] = { active: f[2] === "active", enabled: f[3] === "enabled" };
                break;
        }
    }
    return snap;
}

/** The text of each file that exists (one command each; used for shared files, which are small). */
export async function readFiles(conn: PooledConnection, paths: readonly string[]): Promise<Record<string, string | undefined>> {
    const out: Record<string, string | undefined> = {};
    for (const path of paths) {
        const r = await runChecked(conn, `if [ -e "$1" ]; then echo present; cat "$1"; else echo absent; fi`, { args: [path], step: `read ${path}` });
        const [marker, ...rest] = r.stdout.split("\n");
        out[path] = marker === "present" ? rest.join("\n") : undefined;
    }
    return out;
}
