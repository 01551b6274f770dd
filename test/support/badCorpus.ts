/**
 * The bad-input corpus's good declarations, shared by the mocks suite and the CLI runs: each case breaks
 * a fresh copy. Connections hold a key that parses (the connection rules check it) and reach nothing.
 */
import { utils } from "ssh2";

const pair = utils.generateKeyPairSync("ed25519");
export const KEY = pair.private;
/** A pin in the right shape: the lab is never dialled, so its value does not matter. */
export const HOST_KEY = pair.public;
export const PASSWORD = "c0rpusPw";
/** Not a key, and holds the password: no refusal may quote it back. */
export const BAD_KEY = `not-a-pem-key-${PASSWORD}`;

/**
 * A real certificate (self-signed, IP SAN 10.0.0.11, valid until 2126; its key was thrown away): the
 * registry's certificate rules pass it, so a case about `tls.key` is refused by that one line only.
 */
const REGISTRY_CERT = [
    "-----BEGIN CERTIFICATE-----",
    "MIIBODCB3qADAgECAgEBMAoGCCqGSM49BAMCMBoxGDAWBgNVBAMTD2NvcnB1cyBy",
    "ZWdpc3RyeTAgFw0yNjAxMDEwMDAwMDBaGA8yMTI2MDEwMTAwMDAwMFowGjEYMBYG",
    "A1UEAxMPY29ycHVzIHJlZ2lzdHJ5MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
    "vH/riToW6+g0TzltHIPAQJdRx5vxypLyzY2r8vEACygQZVZ+7w1N5SD57Y7k7kK+",
    "eOEaPKyPMl85VG6/LwskuqMTMBEwDwYDVR0RBAgwBocECgAACzAKBggqhkjOPQQD",
    "AgNJADBGAiEAoKHW4HxKDU5xZOvi23LpUXmTBmMuv3lXnUSgyMwmVSICIQDeZEOr",
    "am1YhfIUky3zADW72CUyDL3xI2wQZoLCj5krPA==",
    "-----END CERTIFICATE-----",
    "",
].join("\n");

export const conn = (host: string, extra: Record<string, unknown> = {}) => ({ host, privateKey: KEY, hostKey: HOST_KEY, ...extra });

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const node = (name: string, address: string) => ({ name, connection: conn(address), address, interface: "eth0", interfaceCidr: `${address}/24` });
export const cluster = (vrid = 51, a = "10.0.0.11", b = "10.0.0.12", vip = "10.0.0.100"): Obj => ({
    nodes: [node("n1", a), node("n2", b)],
    instances: [{ name: "VI_1", virtualRouterId: vrid, master: "n1", vips: [vip], auth: { type: "PASS" } }],
    // Its hosts are never dialled: the listen for foreign VRRP routers would dial them at preview.
    foreignRouterCheck: "never",
});
const meshHost = (name: string, n: number) => ({ name, connection: conn(`10.0.0.${10 + n}`), underlayAddress: `10.0.1.${10 + n}/24` });
export const mesh = (): Obj => ({
    hosts: [meshHost("h1", 1), meshHost("h2", 2), meshHost("h3", 3)],
    tunnel: { type: "gre" },
    containerNetwork: "172.17.0.0/16",
    hostPrefixLength: 18,
    bridgeAddressBlock: "172.17.42.0/24",
    datapathType: "netdev",
    underlayBridge: { port: "eth1" },
});
export const iface = (): Obj => ({
    connection: conn("10.0.0.11"),
    device: "eth1",
    format: "interfaces",
    addresses: ["10.0.0.21/24"],
    gateway: "10.0.0.1",
    confirmTimeoutSeconds: 15,
});
// The corpus never dials a host: no port check at preview.
export const registry = (host = "10.0.0.11"): Obj => ({ connection: conn(host), address: host, users: [{ name: "alice" }], portCheck: "never" });
export const file = (): Obj => ({ connection: conn("10.0.0.11"), path: "/etc/corpus.conf", content: "pw={{secret:pw}}\n", mode: "0600" });
export const hostConfig = (): Obj => ({
    connection: conn("10.0.0.12"),
    kind: "corpus",
    files: [{ path: "/etc/docker/daemon.json", merge: "json-keys", content: '{\n  "mtu": 1450\n}\n' }, { path: "/etc/corpus-hc.conf", content: "x\n", owner: "root", group: "adm" }],
});

/**
 * Every good declaration at once, refused by nothing: the cases' refusals come from what they break.
 * The second registry, plain HTTP without users, is allowed with a warning.
 */
export const good = (): CorpusCase["decl"] => ({
    clusters: { lb: cluster() },
    meshes: { m1: mesh() },
    interfaces: { si: iface() },
    registries: { r: registry(), plain: { ...registry("10.0.0.12"), users: undefined, tls: { mode: "off", insecure: true } } },
    files: { f: file() },
    hostConfigs: { hc: hostConfig() },
});

/**
 * One bad declaration: the components (by kind, name -> args), and the one line the refusal must be.
 * Passwords are the shared `PASSWORD`, unless a registry user gives its own.
 */
export interface CorpusCase {
    what: string;
    decl: Partial<Record<"clusters" | "meshes" | "interfaces" | "registries" | "files" | "hostConfigs", Record<string, Obj>>>;
    line: RegExp;
}

const one = <K extends keyof CorpusCase["decl"]>(kind: K, name: string, make: () => Obj, breakIt: (a: Obj) => void): CorpusCase["decl"] => {
    const a = make();
    breakIt(a);
    return { [kind]: { [name]: a } };
};
const c = (what: string, decl: CorpusCase["decl"], line: RegExp): CorpusCase => ({ what, decl, line });
const ka = (b: (a: Obj) => void) => one("clusters", "lb", () => cluster(), b);
const om = (b: (a: Obj) => void) => one("meshes", "m1", mesh, b);
const si = (b: (a: Obj) => void) => one("interfaces", "si", iface, b);
const dr = (b: (a: Obj) => void) => one("registries", "r", () => registry(), b);
const hf = (b: (a: Obj) => void) => one("files", "f", file, b);
const hc = (b: (a: Obj) => void) => one("hostConfigs", "hc", hostConfig, b);

export const CASES: CorpusCase[] = [
    // KeepalivedCluster
    c("VRID 300", ka((a) => (a.instances[0].virtualRouterId = 300)), /^KeepalivedCluster lb: `instances\[0\]\.virtualRouterId`: 300 is outside 1-255$/),
    c("VRID 0", ka((a) => (a.instances[0].virtualRouterId = 0)), /^KeepalivedCluster lb: `instances\[0\]\.virtualRouterId`: 0 is outside 1-255$/),
    c("VIP outside the subnet", ka((a) => (a.instances[0].vips = ["192.0.2.10"])), /^KeepalivedCluster lb: `instances\[0\]\.vips\[0\]`: .*192\.0\.2\.10/),
    c("VIP not an address", ka((a) => (a.instances[0].vips = ["10.0.0.300"])), /^KeepalivedCluster lb: `instances\[0\]\.vips\[0\]`/),
    c("no VIP", ka((a) => (a.instances[0].vips = [])), /^KeepalivedCluster lb: `instances\[0\]\.vips`: at least one VIP is needed$/),
    c("master not a node", ka((a) => (a.instances[0].master = "n9")), /^KeepalivedCluster lb: `instances\[0\]\.master`: "n9" is not in `nodes`/),
    c("priority 255", ka((a) => { delete a.instances[0].master; a.instances[0].priorities = { n1: 255, n2: 100 }; }), /^KeepalivedCluster lb: `instances\[0\]\.priorities\.n1`/),
    c("master and priorities", ka((a) => (a.instances[0].priorities = { n1: 100, n2: 90 })), /^KeepalivedCluster lb: `instances\[0\]\.master`: cannot be set together with `priorities`/),
    c("foreign-router check not a choice", ka((a) => (a.foreignRouterCheck = "sometimes")), /^KeepalivedCluster lb: `foreignRouterCheck`: "sometimes" is not "firstUp", "always", "never"$/),
    c("duplicate VRID in one cluster", ka((a) => a.instances.push({ name: "VI_2", virtualRouterId: 51, master: "n2", vips: ["10.0.0.101"] })), /^KeepalivedCluster lb: `instances\[1\]\.virtualRouterId`: 51 is also used by instances\[0\]/),
    c("node address not an IP", ka((a) => (a.nodes[1].address = "not-an-ip")), /^KeepalivedCluster lb: `nodes\[1\]\.address`/),
    c("advert interval 0", ka((a) => (a.instances[0].advertInt = 0)), /^KeepalivedCluster lb: `instances\[0\]\.advertInt`/),
    c("no nodes (was a thrown stack trace)", ka((a) => { a.nodes = []; a.instances = [{ name: "VI_1", virtualRouterId: 51, vips: ["10.0.0.100"] }]; }), /^KeepalivedCluster lb: `nodes`: at least one node is needed$/),
    c("two clusters, one VRID, one segment", { clusters: { lb: cluster(), lb2: cluster(51, "10.0.0.13", "10.0.0.14", "10.0.0.120") } }, /^KeepalivedCluster lb2: `instances\[0\]\.virtualRouterId`: 51 on segment 10\.0\.0\.0\/24 is also used by cluster "lb"/),
    c("priorities not distinct", ka((a) => { delete a.instances[0].master; a.instances[0].priorities = { n1: 100, n2: 100 }; }), /^KeepalivedCluster lb: `instances\[0\]\.priorities\.n2`: 100 equals n1's; priorities within an instance must differ$/),
    c("unicast with vrrp_strict", ka((a) => { a.instances[0].unicast = true; delete a.instances[0].auth; a.globalDefs = { vrrpStrict: true }; }), /^KeepalivedCluster lb: `instances\[0\]\.unicast`: is not allowed with `globalDefs\.vrrpStrict`/),
    c("two nodes, one name", ka((a) => (a.nodes[1].name = "n1")), /^KeepalivedCluster lb: `nodes\[1\]\.name`: "n1" is already the name of nodes\[0\]$/),
    c("track script not absolute", ka((a) => { a.scripts = { chk: { script: "test -f /x" } }; a.globalDefs = { enableScriptSecurity: true }; a.instances[0].trackScripts = ["chk"]; }), /^KeepalivedCluster lb: `scripts\.chk\.script`: "test -f \/x" must start with an absolute path/),
    c("maintenance names no node", ka((a) => (a.maintenance = ["n9"])), /^KeepalivedCluster lb: `maintenance\[0\]`: "n9" is not a node of this cluster \(nodes: n1, n2\)/),
    c("maintenance on every node", ka((a) => (a.maintenance = ["n1", "n2"])), /^KeepalivedCluster lb: `maintenance`: puts every node \(n1, n2\) in maintenance, which would leave the VIPs of VI_1 with no holder/),
    // OvsMesh
    c("TCP Docker API without TLS", om((a) => (a.docker = { hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"] })), /^OvsMesh m1: `docker\.hosts\[1\]`: tcp:\/\/0\.0\.0\.0:2375 would expose the Docker API without TLS/),
    c("MTU above what GRE leaves", om((a) => (a.mtu = 1480)), /^OvsMesh m1: `mtu`: 1480/),
    c("network too small", om((a) => (a.hostPrefixLength = 17)), /^OvsMesh m1: `containerNetwork`: 172\.17\.0\.0\/16 in \/17 slices holds 1 hosts/),
    c("unknown tunnel type", om((a) => (a.tunnel = { type: "ipip" })), /^OvsMesh m1: `tunnel\.type`: "ipip" is not one of gre, vxlan, geneve/),
    c("VNI beyond 24 bits", om((a) => (a.tunnel = { type: "vxlan", key: 16777216 })), /^OvsMesh m1: `tunnel\.key`: 16777216 is outside 0-16777215/),
    c("two hosts, one underlay address", om((a) => (a.hosts[2].underlayAddress = a.hosts[0].underlayAddress)), /^OvsMesh m1: `hosts\[2\]\.underlayAddress`: 10\.0\.1\.11 is also hosts\[0\]'s underlay address/),
    c("STP off on a looped mesh", om((a) => (a.stp = false)), /^OvsMesh m1: `stp`: false, but a full-mesh of 3 hosts has loops/),
    c("no hosts (was a thrown stack trace)", om((a) => (a.hosts = [])), /^OvsMesh m1: `hosts`: at least one host is needed/),
    c("two hosts, one name (was a thrown stack trace)", om((a) => (a.hosts[2].name = "h1")), /^OvsMesh m1: `hosts\[2\]\.name`: "h1" is also hosts\[0\]'s name/),
    c("flow sets the cookie", om((a) => (a.flows = [{ priority: 5, match: "cookie=0x1,ip", actions: "drop" }])), /^OvsMesh m1: `flows\[0\]\.match`: sets cookie/),
    c("bridge block outside slice 0", om((a) => (a.bridgeAddressBlock = "172.17.200.0/24")), /^OvsMesh m1: `bridgeAddressBlock`: 172\.17\.200\.0\/24 must lie inside 172\.17\.0\.0\/18/),
    c("netdev underlay without a prefix", om((a) => (a.hosts[1].underlayAddress = "10.0.1.12")), /^OvsMesh m1: `hosts\[1\]\.underlayAddress`: needs a prefix length/),
    c("two hosts on one slot", om((a) => { a.hosts[0].slot = 2; a.hosts[1].slot = 2; }), /^OvsMesh m1: `hosts\[1\]\.slot`: slot 2 is also set on hosts\[0\]/),
    // StaticInterface
    c("prefix 33", si((a) => { a.addresses = ["10.0.0.21/33"]; delete a.gateway; }), /^StaticInterface si: `addresses\[0\]`: "10\.0\.0\.21\/33": prefix length "33" is outside 1-32$/),
    c("no prefix", si((a) => { a.addresses = ["10.0.0.21"]; delete a.gateway; }), /^StaticInterface si: `addresses\[0\]`: "10\.0\.0\.21" has no prefix length/),
    c("gateway outside", si((a) => (a.gateway = "192.0.2.1")), /^StaticInterface si: `gateway`: 192\.0\.2\.1 is outside the interface's IPv4 subnets/),
    c("device with a slash", si((a) => (a.device = "eth1/evil")), /^StaticInterface si: `device`: "eth1\/evil" is not a valid interface name/),
    c("MTU 60", si((a) => (a.mtu = 60)), /^StaticInterface si: `mtu`: 60 is outside 68-65535/),
    c("four DNS servers", si((a) => (a.dns = ["10.0.0.53", "10.0.0.54", "10.0.0.55", "10.0.0.56"])), /^StaticInterface si: `dns`: has 4 servers/),
    c("unknown format", si((a) => (a.format = "yaml")), /^StaticInterface si: `format`: "yaml" is not one of ifcfg, interfaces, netplan, networkmanager/),
    c("confirm timeout 3", si((a) => (a.confirmTimeoutSeconds = 3)), /^StaticInterface si: `confirmTimeoutSeconds`: 3 is not a whole number of seconds of at least 10/),
    c("route destination with host bits", si((a) => (a.routes = [{ destination: "10.90.0.1/16", via: "10.0.0.1" }])), /^StaticInterface si: `routes\[0\]\.destination`: 10\.90\.0\.1\/16 has host bits set/),
    c("duplicate address", si((a) => (a.addresses = ["10.0.0.21/24", "10.0.0.21/24"])), /^StaticInterface si: `addresses\[1\]`: 10\.0\.0\.21 is already addresses\[0\]/),
    c("MTU below 1280 with IPv6", si((a) => { a.addresses = ["10.0.0.21/24", "2001:db8::21/64"]; a.mtu = 1200; }), /^StaticInterface si: `mtu`: 1200 is below 1280, the IPv6 minimum/),
    c("network address as host address", si((a) => { a.addresses = ["10.0.0.0/24"]; delete a.gateway; }), /^StaticInterface si: `addresses\[0\]`: 10\.0\.0\.0\/24 is the network address of 10\.0\.0\.0\/24/),
    c("route via outside the subnets", si((a) => (a.routes = [{ destination: "10.90.0.0/16", via: "172.16.0.1" }])), /^StaticInterface si: `routes\[0\]\.via`: 172\.16\.0\.1 is outside/),
    c("nmControlled on netplan", si((a) => { a.format = "netplan"; a.nmControlled = true; }), /^StaticInterface si: `nmControlled`: applies to format "ifcfg" only/),
    // format "auto" reads the host at preview: bad input is refused first, and nothing is read
    c("auto, gateway outside: refused before the host is read (new rule)", si((a) => { a.format = "auto"; a.gateway = "192.0.2.1"; }), /^StaticInterface si: `gateway`: 192\.0\.2\.1 is outside the interface's IPv4 subnets/),
    c("auto, device with a slash: refused before the host is read (new rule)", si((a) => { a.format = "auto"; a.device = "eth1/evil"; }), /^StaticInterface si: `device`: "eth1\/evil" is not a valid interface name/),
    c("auto, bad connection user: refused before the host is read (new rule)", si((a) => { a.format = "auto"; a.connection.user = "ro ot"; }), /^si-format: `connection\.user`: "ro ot" is not a user or group name/),
    // DockerRegistry
    c("port 70000", dr((a) => (a.port = 70000)), /^DockerRegistry r: `port`: 70000 is outside 1-65535$/),
    c("port check not a choice (new rule)", dr((a) => (a.portCheck = "always")), /^DockerRegistry r: `portCheck`: "always" is not "firstUp" or "never"$/),
    c("user name with ':'", dr((a) => (a.users[0].name = "al:ice")), /^DockerRegistry r: `users\[0\]\.name`: "al:ice" holds ":"/),
    c("proxy URL not a URL", dr((a) => (a.proxy = { remoteUrl: "not a url" })), /^DockerRegistry r: `proxy\.remoteUrl`: "not a url" is not a URL/),
    c("TLS off with users", dr((a) => (a.tls = { mode: "off", insecure: true })), /^DockerRegistry r: `users`: need TLS/),
    c("TLS off not acknowledged", dr((a) => { a.tls = { mode: "off" }; delete a.users; }), /^DockerRegistry r: `tls\.insecure`: must be true/),
    c("address not an IP", dr((a) => { a.address = "10.0.0.300"; a.hostnames = ["registry.lab"]; }), /^DockerRegistry r: `address`: "10\.0\.0\.300" is not a bare IP address/),
    c("two clients, one name", dr((a) => (a.clients = [{ name: "c1", connection: conn("10.0.0.12") }, { name: "c1", connection: conn("10.0.0.13") }])), /^DockerRegistry r: `clients\[1\]\.name`: "c1" is already clients\[0\]/),
    c("registry port = SSH port (new rule)", dr((a) => (a.port = 22)), /^DockerRegistry r: `port`: 22 is the port SSH reaches 10\.0\.0\.11 on/),
    c("registry port = custom SSH port (new rule)", dr((a) => { a.port = 2222; a.connection.port = 2222; }), /^DockerRegistry r: `port`: 2222 is the port SSH reaches/),
    c("two registries, one host and port (new rule)", { registries: { r: registry(), r2: { ...registry(), address: undefined, hostnames: ["r2.lab"] } } }, /^DockerRegistry r2: `port`: 5000 on 10\.0\.0\.11 is also used by registry "r"$/),
    c("empty password", dr((a) => a.users.push({ name: "bob", password: "" })), /^DockerRegistry r: `users\[1\]\.password`: is empty$/),
    c("no name for the certificate", dr((a) => { delete a.address; }), /^DockerRegistry r: `hostnames`: is empty and `address` is unset/),
    c("provided key not PEM", dr((a) => (a.tls = { mode: "provided", certificate: REGISTRY_CERT, key: BAD_KEY })), /^DockerRegistry r: `tls\.key`: is not one PEM private key/),
    c("certs-only client without TLS", dr((a) => { a.tls = { mode: "off", insecure: true }; delete a.users; a.clients = [{ name: "c1", connection: conn("10.0.0.12"), dockerConfig: "certs-only" }]; }), /^DockerRegistry r: `clients\[0\]\.dockerConfig`: is "certs-only" but TLS is off/),
    // HostFile: its own fields, as a component (the placeholder's value is the host resource's check)
    c("relative path", hf((a) => (a.path = "etc/x")), /^HostFile f: `path`: "etc\/x" is not an absolute path$/),
    c("mode not octal", hf((a) => (a.mode = "rw-r--r--")), /^HostFile f: `mode`: "rw-r--r--" is not an octal mode like "0644"$/),
    c("mode 0999", hf((a) => (a.mode = "0999")), /^HostFile f: `mode`: "0999" is not an octal mode/),
    c("placeholder without a value", hf((a) => (a.content = "x={{secret:nope}}\n")), /^f-file: `files\[0\]\.content`: placeholder \{\{secret:nope\}\} has no value in `secrets`$/),
    c("path with .. (new rule)", hf((a) => (a.path = "/etc/../shadow")), /^HostFile f: `path`: "\/etc\/\.\.\/shadow" is not normalised \(no "\/\/", "\." or "\.\." segments, no trailing "\/"\): write "\/shadow"$/),
    c("path with // (new rule)", hf((a) => (a.path = "/etc//corpus.conf")), /^HostFile f: `path`: "\/etc\/\/corpus\.conf" is not normalised .*: write "\/etc\/corpus\.conf"$/),
    c("path with a trailing / (new rule)", hf((a) => (a.path = "/etc/corpus/")), /^HostFile f: `path`: "\/etc\/corpus\/" is not normalised/),
    c("path with a newline, on one line (new rule)", hf((a) => (a.path = "/etc/corpus\n.conf")), /^HostFile f: `path`: "\/etc\/corpus\\n\.conf" holds control characters$/),
    c("path the root directory (new rule)", hf((a) => (a.path = "/")), /^HostFile f: `path`: "\/" is the root directory, not a file$/),
    c("owner with a group (new rule)", hf((a) => (a.owner = "root:root")), /^HostFile f: `owner`: "root:root" is not a user or group name \(a letter or _, then letters, digits, _ \. -; at most 32\)$/),
    c("group by number (new rule)", hf((a) => (a.group = "0")), /^HostFile f: `group`: "0" is not a user or group name/),
    c("owner an option (new rule)", hf((a) => (a.owner = "-R")), /^HostFile f: `owner`: "-R" is not a user or group name/),
    // HostConfig (refused by its own check, before connecting)
    c("kind that names a directory outside the state root (new rule)", hc((a) => (a.kind = "../../etc")), /^hc: `kind`: "\.\.\/\.\.\/etc" is not a valid name .*: it names the resource's state directory on the host$/),
    c("HostConfig path with .. (new rule)", hc((a) => (a.files[1].path = "/etc/x/../../corpus")), /^hc: `files\[1\]\.path`: "\/etc\/x\/\.\.\/\.\.\/corpus" is not normalised .*: write "\/corpus"$/),
    c("HostConfig owner with a space (new rule)", hc((a) => (a.files[1].owner = "ro ot")), /^hc: `files\[1\]\.owner`: "ro ot" is not a user or group name/),
    c("HostConfig one path twice", hc((a) => (a.files[1].path = "/etc/docker/daemon.json")), /^hc: `files\[1\]\.path`: \/etc\/docker\/daemon\.json is already files\[0\]$/),
    c("shared JSON part with a trailing comma, on one line (new rule)", hc((a) => (a.files[0].content = '{\n  "mtu": 1450,\n}\n')), /^hc: `files\[0\]\.content`: is not valid JSON \(Expected double-quoted property name at line 3, column 1\)$/),
    c("shared JSON part an array (new rule)", hc((a) => (a.files[0].content = '["mtu"]\n')), /^hc: `files\[0\]\.content`: is not a JSON object/),
    // The connection (any resource; shown on HostFile)
    c("no host", hf((a) => (a.connection.host = "")), /^f-file: `connection\.host` is required$/),
    c("host with the user in it (new rule)", hf((a) => (a.connection.host = "root@10.0.0.11")), /^f-file: `connection\.host`: "root@10\.0\.0\.11" is neither an IP address nor a host name/),
    c("host with the port in it (new rule)", hf((a) => (a.connection.host = "10.0.0.11:2222")), /^f-file: `connection\.host`: "10\.0\.0\.11:2222" is neither an IP address nor a host name/),
    c("host not an address (new rule)", hf((a) => (a.connection.host = "10.0.0.300")), /^f-file: `connection\.host`: "10\.0\.0\.300" is neither/),
    c("user with a space (new rule)", hf((a) => (a.connection.user = "de ploy")), /^f-file: `connection\.user`: "de ploy" is not a user or group name/),
    c("SSH port 0", hf((a) => (a.connection.port = 0)), /^f-file: `connection\.port`: 0 is outside 1-65535$/),
    c("SSH port 65536", hf((a) => (a.connection.port = 65536)), /^f-file: `connection\.port`: 65536 is outside 1-65535$/),
    c("dialErrorLimit -2", hf((a) => (a.connection.dialErrorLimit = -2)), /^f-file: `connection\.dialErrorLimit`: must be a whole number >= -1$/),
    c("perDialTimeout 1.5", hf((a) => (a.connection.perDialTimeout = 1.5)), /^f-file: `connection\.perDialTimeout`: must be a whole number >= 0$/),
    c("commandTimeoutSeconds 0 (new rule)", hf((a) => (a.connection.commandTimeoutSeconds = 0)), /^f-file: `connection\.commandTimeoutSeconds`: must be a whole number >= 1$/),
    c("no credentials", hf((a) => { delete a.connection.privateKey; }), /^f-file: `connection`: give one of `password`, `privateKey` or `agentSocketPath`$/),
    c("hostKey neither key line nor fingerprint (new rule)", hf((a) => (a.connection.hostKey = "AAAAC3NzaC1lZDI1NTE5")), /^f-file: `connection\.hostKey`: is neither an OpenSSH public key line/),
    c("hostKey fingerprint too short (new rule)", hf((a) => (a.connection.hostKey = "SHA256:abc")), /^f-file: `connection\.hostKey`: is neither/),
    c("hostKey type not its blob's (new rule)", hf((a) => (a.connection.hostKey = `ssh-rsa ${HOST_KEY.split(" ")[1]}`)), /^f-file: `connection\.hostKey`: is neither/),
    c("privateKey that does not parse (new rule)", hf((a) => (a.connection.privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n")), /^f-file: `connection\.privateKey`: is not an OpenSSH, PEM or PPK private key$/),
    c("privateKey the public key (new rule)", hf((a) => (a.connection.privateKey = HOST_KEY)), /^f-file: `connection\.privateKey`: is a public key; give the private key/),
    c("hostKey a private key, not quoted (new rule)", hf((a) => (a.connection.hostKey = KEY)), /^f-file: `connection\.hostKey`: is a private key; pin the host's public key/),
    c("hostKey a known_hosts line (new rule)", hf((a) => (a.connection.hostKey = `10.0.0.11 ${HOST_KEY}`)), /^f-file: `connection\.hostKey`: is a known_hosts line/),
    c("privateKey a path, not the key (new rule)", hf((a) => (a.connection.privateKey = "~/.ssh/id_ed25519")), /^f-file: `connection\.privateKey`: is not an OpenSSH, PEM or PPK private key$/),
    c("proxy without host", hf((a) => (a.connection.proxy = { privateKey: KEY })), /^f-file: `connection\.proxy\.host` is required$/),
    c("proxy hostKey malformed (new rule)", hf((a) => (a.connection.proxy = { host: "10.0.0.1", privateKey: KEY, hostKey: "yes" })), /^f-file: `connection\.proxy\.hostKey`: is neither/),
    c("cluster node's connection: bad hostKey, once (new rule)", ka((a) => (a.nodes[1].connection.hostKey = "not a key")), /^lb-check: n2: `connection\.hostKey`: is neither/),
    c("mesh host's connection: port 0", om((a) => (a.hosts[0].connection.port = 0)), /^m1-h1(-[a-z]+)?: `connection\.port`: 0 is outside 1-65535$/),
];
