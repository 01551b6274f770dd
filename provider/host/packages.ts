import { OnpremError } from "../contract/errors";
import { runChecked } from "../ssh/exec";
import { PooledConnection } from "../ssh/pool";
import { PackageSpec } from "../contract/desired";
import { HostFacts } from "./facts";

/** The package names for this host's family. */
export function packageNames(packages: readonly PackageSpec[], facts: HostFacts): string[] {
    return packages.map((p) => (facts.packageManager === "apt-get" ? p.apt : p.rpm) ?? p.name);
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

const INSTALL_SCRIPT = `
pm=$1; shift
case $pm in
  apt-get) export DEBIAN_FRONTEND=noninteractive
           apt-get install -y -q --no-install-recommends "$@" || { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; } ;;
  *) "$pm" -y -q install "$@" ;;
esac
`;

/**
 * Packages seen installed over each connection. A cluster's check and then its apply, on one host in one
 * deployment, ask for the same packages: the second asks the host no more. Nothing here removes
 * packages, and the config test that follows would fail on a checker gone missing.
 */
const installed = new WeakMap<PooledConnection, Set<string>>();

/** Installs the packages the host lacks, and only those; returns what it installed. */
export async function ensurePackages(conn: PooledConnection, facts: HostFacts, packages: readonly PackageSpec[]): Promise<string[]> {
    if (packages.length === 0) return [];
    const names = packageNames(packages, facts);
    if (facts.packageManager === "none") {
        throw new OnpremError("Apply", `no known package manager to install ${names.join(", ")}`, { host: conn.target });
    }
    const seen = installed.get(conn) ?? new Set<string>();
    installed.set(conn, seen);
    const unknown = names.filter((n) => !seen.has(n));
    if (unknown.length === 0) return [];
    const missing = (await runChecked(conn, MISSING_SCRIPT, { args: [facts.packageManager, ...unknown], step: "check installed packages" })).stdout
        .split("\n")
        .filter(Boolean);
    if (missing.length > 0) await runChecked(conn, INSTALL_SCRIPT, { args: [facts.packageManager, ...missing], step: `install ${missing.join(", ")}` });
    for (const n of unknown) seen.add(n);
    return missing;
}
