/**
 * The rules for values that reach a host (issue 27): each rule table-driven with bad and good values, then
 * the one-line messages HostFile, HostConfig and the connection build from them, each naming its field and
 * the rule, and the order StaticInterface and DerivedValue check in: the input first, the host after.
 */
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { utils } from "ssh2";
import { validateHostConfig, validateHostFile } from "../../provider/contract/fileRules";
import { accountNameProblem, fileModeProblem, hostPathProblem, isDnsName, isHostName, isPortableName } from "../../provider/contract/inputRules";
import { FILE_MERGERS } from "../../provider/contract/mergers";
import * as derivedProvider from "../../provider/dynamic/derived";
import { parseStaticInterface } from "../../provider/plan/staticInterface/validate";
import { connectionProblems, ConnectionSpec } from "../../provider/ssh/connection";

const ONE_LINE = /^[^\n]+$/;

describe("hostPathProblem: absolute, normalised, no control characters, no ..", () => {
    const bad: [unknown, string][] = [
        ["etc/x", '"etc/x" is not an absolute path'],
        ["./x", '"./x" is not an absolute path'],
        ["", "must be an absolute path"],
        [undefined, "must be an absolute path"],
        ["/etc/../shadow", '"/etc/../shadow" is not normalised (no "//", "." or ".." segments, no trailing "/"): write "/shadow"'],
        ["/etc/./x", '"/etc/./x" is not normalised (no "//", "." or ".." segments, no trailing "/"): write "/etc/x"'],
        ["//etc/x", '"//etc/x" is not normalised (no "//", "." or ".." segments, no trailing "/"): write "/etc/x"'],
        ["/etc/x/", '"/etc/x/" is not normalised (no "//", "." or ".." segments, no trailing "/"): write "/etc/x"'],
        ["/etc/x\n/etc/y", '"/etc/x\\n/etc/y" holds control characters'],
        ["/etc/a\tb", '"/etc/a\\tb" holds control characters'],
        [`/etc/${"n".repeat(256)}`, "has a name longer than 255 bytes"],
        [`/${"d/".repeat(2048)}x`, "is longer than 4095 bytes"],
    ];
    for (const [path, rule] of bad) test(`refuses ${JSON.stringify(path)?.slice(0, 40)}`, () => assert.equal(hostPathProblem(path), rule));
    for (const path of ["/etc/x", "/", "/etc/keepalived/notify.sh", "/opt/data/my registry", "/etc/.hidden", "/etc/x..y"]) {
        test(`takes ${path}`, () => assert.equal(hostPathProblem(path), undefined));
    }
});

test("fileModeProblem: chmod's octal modes only", () => {
    for (const mode of ["644", "0644", "0600", "4755", "04755", "1777"]) assert.equal(fileModeProblem(mode), undefined, mode);
    for (const mode of ["rw-r--r--", "0999", "64", "007777", "0644 ", "u+x", 644]) {
        assert.equal(fileModeProblem(mode), `${JSON.stringify(mode)} is not an octal mode like "0644"`);
    }
});

test("accountNameProblem: a user or group by name, as chown takes it and stat prints it", () => {
    for (const name of ["root", "www-data", "_apt", "systemd-network", "Debian-exim", "a.b", "u".repeat(32)]) assert.equal(accountNameProblem(name), undefined, name);
    for (const name of ["root:root", "1000", "-r", "ro ot", "", ".x", "u".repeat(33), "us\ner", "user$", 0]) {
        assert.match(accountNameProblem(name) ?? "", /^.+ is not a user or group name \(a letter or _, then letters, digits, _ \. -; at most 32\)$/, String(name));
    }
    assert.equal(accountNameProblem("us\ner"), '"us\\ner" is not a user or group name (a letter or _, then letters, digits, _ . -; at most 32)');
});

test("isPortableName: names that become file or directory names on the host", () => {
    for (const name of ["file", "static-interface", "n1", "VI_1", "a.b", "_x", "a".repeat(64)]) assert.ok(isPortableName(name), name);
    for (const name of ["", ".", "..", "../etc", "a/b", "-a", ".hidden", "a b", "a".repeat(65), 1]) assert.ok(!isPortableName(name), String(name));
});

test("isDnsName and isHostName: a name or a bare address, no port, user, scheme or spaces", () => {
    for (const name of ["localhost", "db1", "registry.lab", "a-b.example.com"]) assert.ok(isDnsName(name) && isHostName(name), name);
    for (const ip of ["10.0.0.11", "fd00::13", "::1"]) assert.ok(!isDnsName(ip) && isHostName(ip), ip);
    for (const bad of ["", "10.0.0.300", "root@10.0.0.11", "10.0.0.11:22", "ssh://h", "h ", " h", "a_b.lab", "-h", "h-", "a..b", "[::1]", "fe80::1%eth0"]) {
        assert.ok(!isHostName(bad), bad);
    }
});

describe("a shared JSON file's part: refused on one line, without the file's text", () => {
    const { problem } = FILE_MERGERS["json-keys"];
    const cases: [string, string][] = [
        ['{\n  "mtu": 1450,\n}\n', "is not valid JSON (Expected double-quoted property name at line 3, column 1)"],
        ['{\n  "mtu": \n}\n', "is not valid JSON (Unexpected token '}')"],
        ['{"mtu": 1450} {"bip": "x"}', "is not valid JSON (Unexpected non-whitespace character after JSON at line 1, column 15)"],
        ["", "is not valid JSON (Unexpected end of JSON input)"],
        ['["mtu"]', "is not a JSON object (its keys are what the resource sets in the shared file)"],
        ["1450", "is not a JSON object (its keys are what the resource sets in the shared file)"],
    ];
    for (const [text, rule] of cases) {
        test(JSON.stringify(text), () => {
            assert.equal(problem(text), rule);
            assert.match(rule, ONE_LINE);
        });
    }
    test("an object, placeholders in its strings included", () => assert.equal(problem('{"mtu": 1450, "token": "{{secret:t}}"}\n'), undefined));
});

describe("HostConfig and HostFile: one issue per broken rule, naming the field as the resource calls it", () => {
    const file = { path: "/etc/app.conf", content: "x\n" };
    test("good files and kind: no issue", () => {
        assert.deepEqual(validateHostConfig({ kind: "file", files: [file, { path: "/etc/docker/daemon.json", content: '{"mtu": 1450}\n', merge: "json-keys", mode: "0644", owner: "root", group: "docker" }] }), []);
        assert.deepEqual(validateHostFile({ path: "/etc/app.conf", mode: "0600", owner: "app", group: "app" }), []);
    });
    const hostConfigCases: [string, Record<string, unknown>, string, string][] = [
        ["kind that climbs out of the state root", { kind: "../../etc" }, "kind", '`kind`: "../../etc" is not a valid name (letters, digits, _ . -, not starting with . or -; at most 64): it names the resource\'s state directory on the host'],
        ["path with ..", { files: [{ ...file, path: "/etc/../x" }] }, "files[0].path", '`files[0].path`: "/etc/../x" is not normalised (no "//", "." or ".." segments, no trailing "/"): write "/x"'],
        ["the root as a file", { files: [{ ...file, path: "/" }] }, "files[0].path", '`files[0].path`: "/" is the root directory, not a file'],
        ["one path twice", { files: [file, { ...file }] }, "files[1].path", "`files[1].path`: /etc/app.conf is already files[0]"],
        ["owner with a group", { files: [{ ...file, owner: "root:root" }] }, "files[0].owner", '`files[0].owner`: "root:root" is not a user or group name (a letter or _, then letters, digits, _ . -; at most 32)'],
        ["numeric group", { files: [{ ...file, group: "1000" }] }, "files[0].group", '`files[0].group`: "1000" is not a user or group name (a letter or _, then letters, digits, _ . -; at most 32)'],
        ["symbolic mode", { files: [{ ...file, mode: "u=rw" }] }, "files[0].mode", '`files[0].mode`: "u=rw" is not an octal mode like "0644"'],
        ["unknown merge", { files: [{ ...file, merge: "yaml-keys" }] }, "files[0].merge", '`files[0].merge`: "yaml-keys" is not one of json-keys'],
        ["shared part with a trailing comma", { files: [{ ...file, merge: "json-keys", content: '{\n  "mtu": 1450,\n}\n' }] }, "files[0].content", "`files[0].content`: is not valid JSON (Expected double-quoted property name at line 3, column 1)"],
        ["content not a string", { files: [{ path: "/etc/x", content: 5 }] }, "files[0].content", "`files[0].content`: must be a string"],
        ["files not a list", { files: "x" }, "files", "`files`: must be a list of files"],
    ];
    for (const [what, change, field, message] of hostConfigCases) {
        test(`HostConfig: ${what}`, () => {
            const issues = validateHostConfig({ kind: "file", files: [file], ...change });
            assert.deepEqual(issues, [{ field, message }]);
            assert.match(message, ONE_LINE);
        });
    }
    test("HostFile: its own field names", () => {
        assert.deepEqual(validateHostFile({ path: "etc/x" }), [{ field: "path", message: '`path`: "etc/x" is not an absolute path' }]);
        assert.deepEqual(validateHostFile({ path: "/etc/x", owner: "-R" }), [{ field: "owner", message: '`owner`: "-R" is not a user or group name (a letter or _, then letters, digits, _ . -; at most 32)' }]);
        assert.deepEqual(validateHostFile({ path: "/etc/x", mode: "0999" }).map((i) => i.field), ["mode"]);
    });
});

describe("the connection: host, user and key material of the expected kind", () => {
    const pair = utils.generateKeyPairSync("ed25519");
    const good: ConnectionSpec = { host: "10.0.0.11", user: "deploy", privateKey: pair.private, hostKey: pair.public };
    const reasons = (change: Partial<ConnectionSpec>) => connectionProblems({ ...good, ...change }).map((p) => p.reason);
    test("a good connection: no problem", () => {
        assert.deepEqual(reasons({}), []);
        assert.deepEqual(reasons({ host: "db1.lab", hostKey: `${pair.public} root@db1` }), []);
        assert.deepEqual(reasons({ host: "fd00::11", hostKey: "SHA256:" + "A".repeat(43) }), []);
    });
    const cases: [string, Partial<ConnectionSpec>, string][] = [
        ["host with a user", { host: "root@10.0.0.11" }, '`connection.host`: "root@10.0.0.11" is neither an IP address nor a host name (give the port and user in `port` and `user`)'],
        ["host with a port", { host: "10.0.0.11:22" }, '`connection.host`: "10.0.0.11:22" is neither an IP address nor a host name (give the port and user in `port` and `user`)'],
        ["host with a space", { host: "10.0.0.11 " }, '`connection.host`: "10.0.0.11 " is neither an IP address nor a host name (give the port and user in `port` and `user`)'],
        ["user with a space", { user: "de ploy" }, '`connection.user`: "de ploy" is not a user or group name (a letter or _, then letters, digits, _ . -; at most 32)'],
        ["privateKey that is the public key", { privateKey: pair.public }, "`connection.privateKey`: is a public key; give the private key (the key file without .pub)"],
        ["hostKey that is a private key", { hostKey: pair.private }, "`connection.hostKey`: is a private key; pin the host's public key (`ssh-keyscan -t ed25519 HOST`) or its SHA256 fingerprint"],
        ["hostKey as a known_hosts line", { hostKey: `10.0.0.11 ${pair.public}` }, '`connection.hostKey`: is a known_hosts line; give the key without the host names ("ssh-ed25519 AAAA...")'],
        ["hostKey in PEM", { hostKey: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----" }, '`connection.hostKey`: is neither an OpenSSH public key line ("ssh-ed25519 AAAA...") nor a "SHA256:" fingerprint'],
        ["hostKey whose type is not its blob's", { hostKey: `ssh-rsa ${pair.public.split(" ")[1]}` }, '`connection.hostKey`: is neither an OpenSSH public key line ("ssh-ed25519 AAAA...") nor a "SHA256:" fingerprint'],
    ];
    for (const [what, change, reason] of cases) {
        test(what, () => {
            const got = reasons(change);
            assert.deepEqual(got, [reason]);
            // Key material is described, never quoted.
            assert.ok(!got[0].includes(pair.private.split("\n")[1]) && !got[0].includes(pair.public.split(" ")[1]), got[0]);
        });
    }
    test("the proxy: the same rules under its own field", () => {
        assert.deepEqual(reasons({ proxy: { host: "jump host", privateKey: pair.private } }), [
            '`connection.proxy.host`: "jump host" is neither an IP address nor a host name (give the port and user in `port` and `user`)',
        ]);
    });
});

describe("StaticInterface reads the host for `auto` only after its input passed", () => {
    const spec = { device: "eth1", addresses: ["10.0.0.21/24"], gateway: "10.0.0.1" };
    test("before the read: a bad gateway is found with `auto`; rules that depend on the format wait for it", () => {
        assert.deepEqual(staticInterfaceIssues({ ...spec, format: "auto", gateway: "192.0.2.1" }).map((i) => i.message), [
            "`gateway`: 192.0.2.1 is outside the interface's IPv4 subnets (10.0.0.0/24)",
        ]);
        assert.deepEqual(staticInterfaceIssues({ ...spec, format: "auto", nmControlled: true, dns: ["2001:db8::53"] }), []);
        assert.deepEqual(staticInterfaceIssues({ ...spec, format: "netplan", nmControlled: true }).map((i) => i.field), ["nmControlled"]);
        assert.deepEqual(staticInterfaceIssues({ ...spec, format: "yaml" as "auto" }).map((i) => i.message), [
            '`format`: "yaml" is not one of ifcfg, interfaces, netplan, networkmanager, auto',
        ]);
    });
    test("DerivedValue: a bad connection field is refused before the derivation dials with it", async () => {
        // Were the rule skipped, the read would dial a closed local port and fail there instead.
        const connection = { host: "127.0.0.1", port: 1, user: "ro ot", password: "pw", hostKey: "SHA256:" + "A".repeat(43), dialErrorLimit: 1 };
        const r = await derivedProvider.check(undefined, { derivation: "staticInterfaceFormat", input: { format: "auto", target: "ro ot@127.0.0.1:1" }, connection });
        assert.deepEqual(r.failures, [{ property: "", reason: '`connection.user`: "ro ot" is not a user or group name (a letter or _, then letters, digits, _ . -; at most 32)' }]);
    });
    test("DerivedValue: a host that cannot be read is one line, not a stack trace", async () => {
        const connection = { host: "127.0.0.1", port: 1, user: "root", password: "pw", hostKey: "SHA256:" + "A".repeat(43), dialErrorLimit: 1, perDialTimeout: 5 };
        const r = await derivedProvider.check(undefined, { derivation: "staticInterfaceFormat", input: { format: "auto", target: "root@127.0.0.1:1" }, connection });
        assert.equal(r.failures?.length, 1);
        assert.match(r.failures![0].reason, /^`format`: "auto" reads the host's OS to choose the format and could not \(set `format` to skip the read\): /);
        assert.match(r.failures![0].reason, ONE_LINE);
    });
});

/** The issues the static interface parser finds (none when it parses). */
function staticInterfaceIssues(input: Parameters<typeof parseStaticInterface>[0]) {
    const parsed = parseStaticInterface(input);
    return parsed.ok ? [] : parsed.issues;
}
