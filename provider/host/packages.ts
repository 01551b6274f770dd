import { OnpremError, isOnpremError } from "../contract/errors";
import { commandBoundSeconds, run, runChecked } from "../ssh/exec";
import { PooledConnection } from "../ssh/pool";
import { reportProgress } from "../ssh/progress";
import { PackageSpec } from "../contract/desired";
import { forgetFacts, HostFacts } from "./facts";
import { withHostLock } from "./lock";

/** The package names for this host's family. */
export function packageNames(packages: readonly PackageSpec[], facts: HostFacts): string[] {
    return packages.map((p) => (facts.packageManager === "apt-get" ? p.apt : p.rpm) ?? p.name);
}

/**
 * How long an install waits at most for another package manager run to let go of its lock
 * (unattended-upgrades, an operator's apt-get) before it fails naming the holder; never more than half
 * the resource's `commandTimeoutSeconds`, which bounds the whole install.
 */
export const PACKAGE_LOCK_WAIT_SECONDS = 120;

/** The lock wait within a command bound of `boundSeconds`. */
export function lockWaitSeconds(boundSeconds: number): number {
    return Math.max(1, Math.min(PACKAGE_LOCK_WAIT_SECONDS, Math.floor(boundSeconds / 2)));
}

const MISSING_SCRIPT = `
pm=$1; shift
for p in "$@"; do
  case $pm in
    apt-get) dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p" ;;
    *) rpm -q "$p" >/dev/null 2>&1 || echo "$p" ;;
  esac
done
`;

/**
 * Installs "$@" with the host's package manager ($1), waiting at most $2 s for its lock. apt: a dpkg run
 * cut short earlier (power loss, a full disk) is finished first, as apt itself would ask; the package
 * lists are read again only when the ones on the host cannot serve (a fresh server has none, a mirror
 * moved on), and then every source must answer. After a failed install, dpkg is asked to finish what it
 * unpacked, so the host's package database is left consistent, and what it still reports is printed.
 * dpkg runs without a pty (Dpkg::Use-Pty=0): with one, apt starts it in a session of its own, which
 * the command bound's signal never reaches, and a cut install went on in the background holding the lock.
 */
export const INSTALL_SCRIPT = `
pm=$1; lock=$2; shift 2
case $pm in
  apt-get)
    export DEBIAN_FRONTEND=noninteractive
    set -- -y -q --no-install-recommends -o DPkg::Lock::Timeout="$lock" -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confold install "$@"
    if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
      echo "dpkg: finishing an interrupted earlier run first (dpkg --configure -a)"
      dpkg --force-confold --configure -a
    fi
    out=$(apt-get "$@" 2>&1); rc=$?; printf '%s\\n' "$out"
    if [ $rc != 0 ] && printf '%s\\n' "$out" | grep -qE '^E: (Unable to locate package|Package .* has no installation candidate|Failed to fetch|Version .* was not found)'; then
      echo "apt: reading the package lists again (apt-get update)"
      apt-get -q -o DPkg::Lock::Timeout="$lock" -o APT::Update::Error-Mode=any update && apt-get "$@"; rc=$?
    fi
    if [ $rc != 0 ]; then
      dpkg --force-confold --configure -a >/dev/null 2>&1
      audit=$(dpkg --audit 2>&1) && [ -z "$audit" ] || printf 'dpkg --audit after the failure:\\n%s\\n' "$audit"
    fi
    exit $rc ;;
  dnf|yum) "$pm" -y -q --setopt=install_weak_deps=False install "$@" ;;
  *) echo "no known package manager ($pm)" >&2; exit 1 ;;
esac
`;

/**
 * The lines of a failed install's output that say why: apt's and dpkg's errors (a missing package, an
 * unreachable mirror, a held lock, a full disk), in order, without repeats; the last lines otherwise.
 */
export function installFailureCause(output: string): string {
    const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
    // While it waits for dpkg's lock, apt repeats "Waiting for cache lock: Could not get lock ... It is
    // held by process N (name)..." and ends with a line that names no holder: the last wait line says who.
    const holder = [...lines].reverse().find((l) => /Could not get lock .* held by process \d+/.test(l))?.replace(/^.*?(Could not get lock)/, "$1").replace(/\.{3}$/, "");
    const telling = lines.filter((l) => /^(E: |Err:|dpkg: error|dpkg: dependency problems|Error: |No match for argument|dpkg --audit after)/.test(l) || /No space left on device/.test(l));
    const picked = [...new Set(telling.length > 0 ? telling : lines.slice(-3))].filter((l) => !/^E: Could not get lock/.test(l));
    if (holder) picked.unshift(holder);
    // apt closes with a generic line ("Sub-process /usr/bin/dpkg returned an error code (1)") after the real cause.
    const specific = picked.filter((l) => !/^E: Sub-process .* returned an error code/.test(l));
    return (specific.length > 0 ? specific : picked).slice(0, 4).join("; ");
}

/**
 * Packages seen installed over each connection. A cluster's check and then its apply, on one host in one
 * deployment, ask for the same packages: the second asks the host no more. Nothing here removes
 * packages, and the config test that follows would fail on a checker gone missing.
 */
const installed = new WeakMap<PooledConnection, Set<string>>();

export interface InstalledPackages {
    names: string[];
    /** Wall time of the install, 0 when nothing was missing. */
    seconds: number;
}

export function nothingInstalled(): InstalledPackages {
    return { names: [], seconds: 0 };
}

/** How every report says what was installed: "installed keepalived, ipvsadm in 57.0 s". */
export function installedLine(i: InstalledPackages): string {
    return `installed ${i.names.join(", ")} in ${i.seconds.toFixed(1)} s`;
}

/**
 * Installs the packages the host lacks, and only those; returns what it installed and how long it took.
 * One install at a time per host: a cluster's config test (which takes no host lock) and another
 * resource's transaction would otherwise race for dpkg's lock, and the later one would wait out a long
 * install (Open vSwitch and dockerd take minutes on a slow host) and fail.
 */
export function ensurePackages(conn: PooledConnection, facts: HostFacts, packages: readonly PackageSpec[]): Promise<InstalledPackages> {
    if (packages.length === 0) return Promise.resolve(nothingInstalled());
    return withHostLock(`packages ${conn.key}`, () => installMissing(conn, facts, packages));
}

async function installMissing(conn: PooledConnection, facts: HostFacts, packages: readonly PackageSpec[]): Promise<InstalledPackages> {
    const names = packageNames(packages, facts);
    const seen = installed.get(conn) ?? new Set<string>();
    installed.set(conn, seen);
    const unknown = names.filter((n) => !seen.has(n));
    if (unknown.length === 0) return nothingInstalled();
    if (facts.packageManager === "none") {
        throw new OnpremError("Apply", `no known package manager to install ${names.join(", ")}`, { host: conn.target });
    }
    const missing = (await runChecked(conn, MISSING_SCRIPT, { args: [facts.packageManager, ...unknown], step: "check installed packages" })).stdout
        .split("\n")
        .filter(Boolean);
    let seconds = 0;
    if (missing.length > 0) {
        const list = missing.join(" ");
        reportProgress(`installing ${list} (${facts.packageManager})`);
        const started = Date.now();
        const result = await run(conn, INSTALL_SCRIPT, { args: [facts.packageManager, String(lockWaitSeconds(commandBoundSeconds())), ...missing], step: `install ${list}` }).catch((e: unknown) => {
            throw isOnpremError(e, "Timeout") ? new OnpremError("Timeout", `${e.detail}; no config file was staged`, { host: conn.target, cause: e }) : e;
        });
        seconds = (Date.now() - started) / 1000;
        if (result.code !== 0) {
            const output = `${result.stdout}${result.stderr}`;
            throw new OnpremError("Apply", `installing ${list} with ${facts.packageManager} failed (exit ${result.code}): ${installFailureCause(output)}; no config file was staged`, {
                host: conn.target,
                output,
            });
        }
        forgetFacts(conn);
        reportProgress(installedLine({ names: missing, seconds }));
    }
    for (const n of unknown) seen.add(n);
    return { names: missing, seconds };
}
