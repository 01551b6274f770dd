/**
 * The hosts' Docker daemon options as OvsMesh would own them, read from /etc/docker/daemon.json and the
 * legacy /etc/default/docker (DOCKER_OPTS, seed 003), merged into the mesh's `docker` and each host's
 * bridge address, slice and MTU. Pure. What the mesh cannot carry is said with the reason.
 */
import type { Unwrap } from "@pulumi/pulumi/output";
import { parseCidr, type ParsedCidr } from "../model/address";
import type { DockerConfigMode, DockerSpec, DockerTlsSpec } from "../plan/ovs/args";
import { DEFAULT_DOCKER_BRIDGE } from "../plan/ovs/model";
import { agree, type Say } from "./ovsMeshNotes";

/** The options of one place (daemon.json or DOCKER_OPTS), by dockerd's names. */
interface DockerRead {
    bip?: string;
    bridge?: string;
    fixedCidr?: string;
    mtu?: number;
    hosts?: string[];
    tlsverify?: boolean;
    tls: Partial<Unwrap<DockerTlsSpec>>;
    /** Whether any key the mesh owns is set: the place the mesh's options are in. */
    owned: boolean;
    /** Options or lines the mesh cannot carry from this place, each with why. */
    lost: { what: string; why: string }[];
}

/** daemon.json keys the mesh owns; the mesh merges them and leaves every other key as it is. */
const OWNED_JSON = ["bip", "bridge", "fixed-cidr", "mtu", "hosts", "tlsverify", "tlscacert", "tlscert", "tlskey"];
/** dockerd flags and the daemon.json key each sets. */
const FLAGS: Record<string, string> = {
    "--bip": "bip",
    "-b": "bridge",
    "--bridge": "bridge",
    "--fixed-cidr": "fixed-cidr",
    "--mtu": "mtu",
    "-H": "hosts",
    "--host": "hosts",
    "--tlsverify": "tlsverify",
    "--tlscacert": "tlscacert",
    "--tlscert": "tlscert",
    "--tlskey": "tlskey",
};
const TLS_KEYS: Record<string, keyof DockerTlsSpec> = { tlscacert: "caCert", tlscert: "cert", tlskey: "key" };

/** What the mesh's Docker options say, per host where they differ by host. */
interface DockerMerge {
    /** The mesh's `docker`; undefined when nothing is to be said (all defaults). */
    spec?: Unwrap<DockerSpec>;
    /** The Docker bridge's address: as the bridge holds it, else dockerd's `bip`. */
    bridgeCidrs: Map<string, ParsedCidr>;
    fixedCidrs: Map<string, string>;
    mtus: Map<string, number>;
}

/**
 * Merges each host's Docker options: the place that holds the mesh's keys gives `docker.mode`, the
 * options there the listeners, TLS, slice and MTU. `bridgeAddresses` are the Docker bridge's live ones.
 */
export function readDocker(
    hosts: readonly { name: string; daemonJson?: string; dockerDefault?: string }[],
    dockerBridge: string,
    bridgeAddresses: (host: string) => readonly string[],
    say: Say,
): DockerMerge {
    const out: DockerMerge = { bridgeCidrs: new Map(), fixedCidrs: new Map(), mtus: new Map() };
    const modes: { host: string; value: DockerConfigMode }[] = [];
    const listeners: { host: string; value: string[] | undefined }[] = [];
    const tlss: { host: string; value: Unwrap<DockerTlsSpec> | undefined }[] = [];
    for (const h of hosts) {
        const leftOut = (subject: string, why: string) => say({ host: h.name, kind: "unexpressed", subject, why });
        const adoption = (subject: string, why: string) => say({ host: h.name, kind: "adoption", subject, why });
        const json = h.daemonJson !== undefined ? readDaemonJson(h.daemonJson) : undefined;
        if (h.daemonJson !== undefined && json === undefined) leftOut("/etc/docker/daemon.json", "not a JSON object, which dockerd refuses: nothing read from it");
        const opts = h.dockerDefault !== undefined ? readDockerDefault(h.dockerDefault) : undefined;
        if (json?.owned && opts?.owned) leftOut("DOCKER_OPTS", "the mesh's options are in daemon.json too, which dockerd refuses for a flag set twice: read from daemon.json only");
        const place = json?.owned ? json : opts?.owned ? opts : undefined;
        modes.push({ host: h.name, value: place === undefined ? "none" : place === json ? "daemon-json" : "default-file" });
        for (const l of place?.lost ?? []) leftOut(l.what, l.why);

        const live = bridgeAddresses(h.name).flatMap((a) => parseCidr(a) ?? []);
        for (const extra of live.slice(1)) leftOut(`${dockerBridge} address ${extra.cidr}`, "a second address: the mesh gives the Docker bridge one");
        const bip = place?.bip !== undefined ? parseCidr(place.bip) : undefined;
        if (place?.bip !== undefined && bip === undefined) leftOut(`bip ${place.bip}`, "not an address with a prefix length");
        if (live[0] !== undefined && bip !== undefined && bip.cidr !== live[0].cidr) adoption(`bip ${bip.cidr}`, `${dockerBridge} holds ${live[0].cidr}, which the mesh keeps`);
        const cidr = live[0] ?? bip;
        if (cidr !== undefined) out.bridgeCidrs.set(h.name, cidr);
        if (place?.bridge !== undefined && place.bridge !== dockerBridge) leftOut(`bridge ${place.bridge}`, `dockerd's bridge is not ${dockerBridge}, the Linux bridge above the mesh's`);
        else if (place?.bridge !== undefined && dockerBridge === DEFAULT_DOCKER_BRIDGE) adoption(`bridge ${place.bridge}`, `the mesh tells dockerd docker0's address as bip instead (dockerd resets docker0's address at each start otherwise)`);
        else if (place?.bip !== undefined && dockerBridge !== DEFAULT_DOCKER_BRIDGE) adoption(`bip ${place.bip}`, `the mesh tells dockerd the bridge's name (bridge ${dockerBridge}) instead: a bridge other than docker0 keeps its own address`);
        if (place?.fixedCidr !== undefined) out.fixedCidrs.set(h.name, place.fixedCidr);
        if (place?.mtu !== undefined) out.mtus.set(h.name, place.mtu);

        const { caCert, cert, key } = place?.tls ?? {};
        const tls = place?.tlsverify && caCert && cert && key ? { caCert, cert, key } : undefined;
        if (!tls && (place?.tlsverify || caCert || cert || key)) leftOut("tlsverify", "TLS without all of tlsverify, tlscacert, tlscert and tlskey: the mesh sets them together");
        const kept = (place?.hosts ?? []).filter((l) => {
            if (!tls && l.startsWith("tcp://")) leftOut(`API listener ${l}`, "TCP without TLS, which the validator refuses: root on this host for anyone who reaches it");
            return tls || !l.startsWith("tcp://");
        });
        listeners.push({ host: h.name, value: kept.length > 0 ? kept : undefined });
        tlss.push({ host: h.name, value: tls });
    }
    const mode = agree(modes, "Docker options in", say);
    const listen = agree(listeners, "docker.hosts", say);
    const tls = agree(tlss, "docker.tls", say);
    if (mode !== undefined || listen !== undefined || tls !== undefined) out.spec = { ...(mode ? { mode } : {}), ...(listen ? { hosts: listen } : {}), ...(tls ? { tls } : {}) };
    return out;
}

/** The mesh's keys in daemon.json; undefined when the file is not a JSON object. */
function readDaemonJson(text: string): DockerRead | undefined {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        return undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const out = empty();
    for (const [key, value] of Object.entries(parsed)) {
        if (!OWNED_JSON.includes(key)) continue; // not the mesh's: kept as it is by the key merge
        set(out, key, value, `"${key}"`);
    }
    return out;
}

/**
 * The DOCKER_OPTS of /etc/default/docker, with `$NAME` expanded from the plain assignments before it
 * (seed 003 writes `--fixed-cidr=$CIDR`). Every other line is lost when the mesh writes the file, since
 * it writes one DOCKER_OPTS line (render/docker/dockerOpts.ts): those are listed too.
 */
function readDockerDefault(text: string): DockerRead {
    const out = empty();
    // undefined: an assignment the importer cannot evaluate (a command substitution, an unknown name).
    const vars = new Map<string, string | undefined>();
    let opts: string | undefined;
    let rest = text;
    // NAME=value, NAME="value" (may span lines) or NAME='value', at the start of a line.
    const assignment = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s;]*))/gm;
    for (const m of text.matchAll(assignment)) {
        const mine = m[1] === "DOCKER_OPTS";
        const value = m[3] ?? expand(m[2] ?? m[4] ?? "", vars, mine ? out : undefined);
        vars.set(m[1], value);
        if (mine) {
            opts = value ?? "";
            rest = rest.replace(m[0], "");
        }
    }
    const others = rest
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
    if (others.length > 0) {
        out.lost.push({ what: `/etc/default/docker: ${others.length} line(s) beside DOCKER_OPTS (${others[0]}${others.length > 1 ? ", ..." : ""})`, why: "the mesh writes the file as one DOCKER_OPTS line" });
    }
    const words = (opts ?? "").split(/\s+/).filter((w) => w !== "");
    for (let i = 0; i < words.length; i++) {
        const eq = words[i].indexOf("=");
        const flag = eq > 0 ? words[i].slice(0, eq) : words[i];
        const key = FLAGS[flag];
        if (key === undefined) {
            out.lost.push({ what: `DOCKER_OPTS ${words[i]}`, why: "a dockerd flag OvsMesh does not set; the mesh's DOCKER_OPTS line would drop it" });
            continue;
        }
        if (key === "tlsverify") {
            set(out, key, eq > 0 ? words[i].slice(eq + 1) !== "false" : true, flag);
        } else if (eq > 0) {
            set(out, key, words[i].slice(eq + 1), flag);
        } else if (i + 1 < words.length) {
            set(out, key, words[++i], flag);
        }
    }
    return out;
}

function empty(): DockerRead {
    return { tls: {}, owned: false, lost: [] };
}

/** Records one owned option; `mtu` from DOCKER_OPTS is text, from daemon.json a number. */
function set(out: DockerRead, key: string, value: unknown, source: string): void {
    out.owned = true;
    const text = typeof value === "string" ? value : undefined;
    switch (key) {
        case "hosts":
            out.hosts = [...(out.hosts ?? []), ...(Array.isArray(value) ? value.map(String) : text !== undefined ? [text] : [])];
            return;
        case "mtu": {
            const n = typeof value === "number" ? value : Number(text);
            if (Number.isInteger(n)) out.mtu = n;
            else out.lost.push({ what: `${source} ${JSON.stringify(value)}`, why: "not an integer MTU" });
            return;
        }
        case "tlsverify":
            out.tlsverify = value === true;
            return;
        case "bip":
            out.bip = text;
            return;
        case "bridge":
            out.bridge = text;
            return;
        case "fixed-cidr":
            out.fixedCidr = text;
            return;
        default:
            if (text !== undefined) out.tls[TLS_KEYS[key]] = text;
    }
}

/**
 * `$NAME` and `${NAME}` from earlier assignments. A `$` it cannot resolve makes the value undefined, or,
 * in DOCKER_OPTS itself (`report`), stays as written and is reported.
 */
function expand(value: string, vars: ReadonlyMap<string, string | undefined>, report?: DockerRead): string | undefined {
    let unresolved = false;
    const text = value.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(.?))/g, (whole, braced?: string, bare?: string) => {
        const name = braced ?? bare;
        const known = name !== undefined ? vars.get(name) : undefined;
        if (known !== undefined) return known;
        unresolved = true;
        report?.lost.push({ what: `DOCKER_OPTS ${whole}`, why: "a shell expansion the importer cannot evaluate without running the file" });
        return whole;
    });
    return unresolved && !report ? undefined : text;
}
