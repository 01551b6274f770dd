import { runChecked } from "../../ssh/exec";
import { PooledConnection } from "../../ssh/pool";
import { HostSnapshot } from "../changes";
import { originalKey, tempSiblingsGlob } from "../layout";
import { DISCARD_STAGING } from "./stage";

/** Prints each file named in "$@" whole (base64, so any byte survives) or as absent: `T` and `N` lines. */
const READ_TEXTS = `for p in "$@"; do if [ -e "$p" ]; then printf 'T\\t%s\\t' "$p"; base64 -w0 < "$p"; echo; else printf 'N\\t%s\\n' "$p"; fi; done`;

/**
 * Reads the host before any change: an interrupted transaction of this resource is rolled back first,
 * stale staged copies (and directories their staging created) are removed, then each file's hash/mode/owner
 * (and the hash this resource last wrote there), the text of the files asked for whole (shared files,
 * base64 so any byte survives), and each service's state are read. One command; shell builtins where
 * they do the job, since every process costs the host a fork.
 */
const READ_SCRIPT = `
mode=$1; S=$2; nfiles=$3; nservices=$4; shift 4
if [ "$mode" = apply ]; then ${DISCARD_STAGING}; fi
[ -d "$S" ] && echo P
if [ "$mode" = apply ] && [ -e "$S/txn/pending" ]; then sh "$S/txn/rollback.sh" >/dev/null 2>&1; echo R; fi
i=0
while [ $i -lt $nfiles ]; do
  p=$1; d=$2; pre=$3; k=$4; shift 4; i=$((i+1))
  [ "$mode" = apply ] && rm -f "$d/$pre"* 2>/dev/null
  if [ -e "$p" ]; then
    h=$(sha256sum < "$p"); w=; [ -e "$S/written/$k" ] && read -r w < "$S/written/$k"
    printf 'F\\t%s\\t%s\\t%s\\t%s\\n' "$p" "\${h%% *}" "$(stat -c '%a\t%U\t%G' "$p")" "$w"
  else
    printf 'A\\t%s\\n' "$p"
  fi
  while [ ! -d "$d" ]; do printf 'D\\t%s\\n' "$d"; d=\${d%/*}; d=\${d:-/}; done
done
i=0
while [ $i -lt $nservices ]; do
  s=$1; shift; i=$((i+1))
  a=inactive; e=disabled
  systemctl is-active -q "$s" 2>/dev/null && a=active
  systemctl is-enabled -q "$s" 2>/dev/null && e=enabled
  printf 'S\\t%s\\t%s\\t%s\\n' "$s" "$a" "$e"
done
${READ_TEXTS}
`;

/** What to read: the files' states, the files wanted whole (`texts`), the services' states. */
export interface ReadRequest {
    paths: readonly string[];
    texts?: readonly string[];
    services: readonly string[];
}

export function prepare(conn: PooledConnection, stateDir: string, request: ReadRequest): Promise<HostSnapshot> {
    return readHost(conn, "apply", stateDir, request);
}

/** The same reading for `refresh`: no recovery, no clean-up, nothing on the host changes. */
export function prepareReadOnly(conn: PooledConnection, stateDir: string, request: ReadRequest): Promise<HostSnapshot> {
    return readHost(conn, "read", stateDir, request);
}

async function readHost(conn: PooledConnection, mode: "apply" | "read", stateDir: string, request: ReadRequest): Promise<HostSnapshot> {
    const { script, args } = renderRead(mode, stateDir, request);
    const { stdout } = await runChecked(conn, script, { args, step: "read current state" });
    return parseSnapshot(stdout);
}

/** Pure: the read command (script and arguments); its output is for `parseSnapshot`. */
export function renderRead(mode: "apply" | "read", stateDir: string, { paths, texts = [], services }: ReadRequest): { script: string; args: string[] } {
    const args = [mode, stateDir, String(paths.length), String(services.length)];
    for (const p of paths) {
        const { dir, prefix } = tempSiblingsGlob(p);
        args.push(p, dir, prefix, originalKey(p));
    }
    args.push(...services, ...texts);
    return { script: READ_SCRIPT, args };
}

/** Pure: the prepare script's output to a snapshot. */
export function parseSnapshot(text: string): HostSnapshot {
    const snap: HostSnapshot = { present: false, files: {}, texts: {}, services: {}, missingDirs: [], recovered: false };
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
            case "T":
                snap.texts[f[1]] = Buffer.from(f[2], "base64").toString("utf8");
                break;
            case "N":
                snap.texts[f[1]] = undefined;
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

/** The text of each file, undefined when it does not exist: one command for all. */
export async function readFiles(conn: PooledConnection, paths: readonly string[]): Promise<Record<string, string | undefined>> {
    if (paths.length === 0) return {};
    const { stdout } = await runChecked(conn, READ_TEXTS, { args: paths, step: `read ${paths.join(", ")}` });
    return parseSnapshot(stdout).texts;
}
