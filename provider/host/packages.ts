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

/** Installs the packages the host lacks, and only those; returns what it installed. */
export async function ensurePackages(conn: PooledConnection, facts: HostFacts, packages: readonly PackageSpec[]): Promise<string[]> {
    if (packages.length === 0) return [];
    const names = packageNames(packages, facts);
    if (facts.packageManager === "none") {
        throw new OnpremError("Apply", `no known package manager to install ${names.join(", ")}`, { host: conn.target });
    }
    const missing = (await runChecked(conn, MISSING_SCRIPT, { args: [facts.packageManager, ...names], step: "check installed packages" })).stdout
        .split("\n")
        .filter(Boolean);
    if (missing.length === 0) return [];
    await runChecked(conn, INSTALL_SCRIPT, { args: [facts.packageManager, ...missing], step: `install ${missing.join(", ")}` });
    return missing;
}
