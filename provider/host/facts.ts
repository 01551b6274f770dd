import { PooledConnection } from "../ssh/pool";
import { runChecked } from "../ssh/exec";

/** What the engine needs to know about a host before it renders commands for it. */
export interface HostFacts {
    hostname: string;
    osFamily: "debian" | "rhel" | "other";
    osId: string;
    osVersion: string;
    /** systemd as PID 1, or only a `systemctl` command (a shim or a container), or neither. */
    init: "systemd" | "systemctl" | "sysv";
    packageManager: "apt-get" | "dnf" | "yum" | "none";
    /** Tools found on PATH, by name. */
    tools: Record<string, boolean>;
}

const PROBED_TOOLS = [
    "systemctl", "keepalived", "ovs-vsctl", "dockerd", "docker", "ifup", "nmcli", "netplan",
    "ip", "sha256sum", "setsid", "sudo", "curl", "docker-registry", "skopeo",
] as const;

const FACTS_SCRIPT = `
. /etc/os-release 2>/dev/null || true
printf 'id=%s\\nversion=%s\\nlike=%s\\nhostname=%s\\n' "\${ID:-}" "\${VERSION_ID:-}" "\${ID_LIKE:-}" "$(hostname)"
if [ -d /run/systemd/system ]; then echo init=systemd; elif command -v systemctl >/dev/null 2>&1; then echo init=systemctl; else echo init=sysv; fi
for t in "$@"; do if command -v "$t" >/dev/null 2>&1; then echo "tool=$t"; fi; done
`;

const cache = new WeakMap<PooledConnection, Promise<HostFacts>>();

/** Facts are read once per connection: one command. */
export function hostFacts(conn: PooledConnection): Promise<HostFacts> {
    let facts = cache.get(conn);
    if (!facts) {
        facts = runChecked(conn, FACTS_SCRIPT, { args: [...PROBED_TOOLS, "apt-get", "dnf", "yum"], step: "read host facts" }).then((r) =>
            parseFacts(r.stdout),
        );
        cache.set(conn, facts);
        facts.catch(() => cache.delete(conn));
    }
    return facts;
}

/** Drops what was read over `conn`: a package install changed the tools the host has. */
export function forgetFacts(conn: PooledConnection): void {
    cache.delete(conn);
}

/** Pure: the facts script's output to facts. */
export function parseFacts(text: string): HostFacts {
    const kv = new Map<string, string>();
    const tools: Record<string, boolean> = {};
    for (const line of text.split("\n")) {
        const i = line.indexOf("=");
        if (i < 0) continue;
        const [k, v] = [line.slice(0, i), line.slice(i + 1)];
        if (k === "tool") tools[v] = true;
        else kv.set(k, v);
    }
    const id = kv.get("id") ?? "";
    const like = (kv.get("like") ?? "").split(/\s+/);
    const family = id === "debian" || id === "ubuntu" || like.includes("debian")
        ? "debian"
        : ["rhel", "centos", "rocky", "almalinux", "fedora", "ol"].includes(id) || like.includes("rhel") || like.includes("fedora")
            ? "rhel"
            : "other";
    const packageManager = tools["apt-get"] ? "apt-get" : tools["dnf"] ? "dnf" : tools["yum"] ? "yum" : "none";
    for (const pm of ["apt-get", "dnf", "yum"]) delete tools[pm];
    return {
        hostname: kv.get("hostname") ?? "",
        osFamily: family,
        osId: id,
        osVersion: kv.get("version") ?? "",
        init: (kv.get("init") as HostFacts["init"]) ?? "sysv",
        packageManager,
        tools,
    };
}
