/**
 * The bad-input corpus (issue 14): every case must be refused at preview by exactly ONE line that names
 * the component (or its host resource), the field and the rule: no stack trace, no object dump, no
 * secret, once per component. All cases run under pulumi mocks through the components and the providers'
 * `check`; a few per component run through the real `pulumi preview`, with no SSH connection opened.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as clusterCheckProvider from "../../provider/dynamic/clusterCheck";
import * as derivedProvider from "../../provider/dynamic/derived";
import * as hostConfigProvider from "../../provider/dynamic/hostConfig";
import * as inputCheckProvider from "../../provider/dynamic/inputCheck";
import { UNKNOWN } from "../../provider/dynamic/unknown";
import { DockerRegistry, HostConfig, HostFile, KeepalivedCluster, OvsMesh, StaticInterface } from "../../sdk";
import { BAD_KEY, CASES, CorpusCase, good, PASSWORD } from "../support/badCorpus";

type Registered = { name: string; inputs: Record<string, unknown> };
let registered: Registered[] = [];
/** Derived values the provider's check refused ("name: reason"): the engine stops there, before anything that waits for their value. */
let derivedRefusals: string[] = [];
const mocks: pulumi.runtime.Mocks = {
    newResource: async (args) => {
        const inputs = unwrap(args.inputs) as Record<string, any>;
        registered.push({ name: args.name, inputs });
        // Derived values (mesh slots, certificates) are made in their provider's check at preview, as the engine would.
        if (typeof inputs.derivation === "string") {
            const checked = await derivedProvider.check(undefined, inputs as any);
            derivedRefusals.push(...(checked.failures ?? []).map((f) => `${args.name}: ${f.reason}`));
            return { id: `${args.name}-id`, state: { ...inputs, value: checked.failures ? UNKNOWN : (checked.inputs as any)?.value } };
        }
        return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
};

/** The engine hands a provider's `check` plain values: secrets unwrapped (mocks keep their wrapper). */
function unwrap(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unwrap(o.value);
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
}

/** Declares a case's components as the test program does. */
function declare(decl: CorpusCase["decl"], password: pulumi.Input<string>): pulumi.Resource[] {
    const out: pulumi.Resource[] = [];
    for (const [name, a] of Object.entries(decl.clusters ?? {})) {
        out.push(new KeepalivedCluster(name, { ...a, instances: a.instances.map((i: any) => ({ ...i, auth: i.auth && { ...i.auth, password } })) } as any));
    }
    for (const [name, a] of Object.entries(decl.meshes ?? {})) out.push(new OvsMesh(name, a as any));
    for (const [name, a] of Object.entries(decl.interfaces ?? {})) out.push(new StaticInterface(name, a as any));
    for (const [name, a] of Object.entries(decl.registries ?? {})) out.push(new DockerRegistry(name, { ...a, users: a.users?.map((u: any) => ({ name: u.name, password: u.password ?? password })) } as any));
    for (const [name, a] of Object.entries(decl.files ?? {})) out.push(new HostFile(name, { ...a, secrets: { pw: password } } as any));
    for (const [name, a] of Object.entries(decl.hostConfigs ?? {})) out.push(new HostConfig(name, a as any));
    return out;
}

/** The SDK's own count of RPCs in flight (registrations, outputs), which it awaits before exiting. */
const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;

/**
 * Lets the mocks see every registration (inputs resolve asynchronously), and lets every RPC of the case
 * finish before the next case replaces the mocks: a late one would name a resource the new mocks never saw.
 */
async function settle(): Promise<void> {
    let n = -1;
    while (n !== registered.length) {
        n = registered.length;
        await waitForRPCs();
        await new Promise((r) => setTimeout(r, 60));
    }
}

const isHostResource = (r: Registered) => "connection" in r.inputs && "files" in r.inputs && typeof r.inputs.key === "string";

/**
 * The lines the engine would print, in its order: a derived value's refused connection (what waits for
 * the value, input checks included, never runs), then the components' input checks; only when they pass,
 * the host resources' checks (a cluster's ClusterCheck before the HostConfigs that depend on it).
 */
async function refusals(): Promise<string[]> {
    if (derivedRefusals.length) return derivedRefusals;
    // A line that names its component (HostFile's, refused by its host resource) is shown as it is, as through the CLI.
    const named = (reason: string) => /^[A-Z]\w+ \S+: `/.test(reason);
    const lines = async (rs: Registered[], run: (i: any) => Promise<{ failures?: { reason: string }[] }>, prefix: (r: Registered) => string) =>
        (await Promise.all(rs.map(async (r) => ((await run(r.inputs)).failures ?? []).map((f) => (named(f.reason) ? f.reason : `${prefix(r)}${f.reason}`))))).flat();
    const inputs = await lines(registered.filter((r) => r.name.endsWith("-inputs")), (i) => inputCheckProvider.check({} as any, i), () => "");
    if (inputs.length) return inputs;
    const clusterChecks = registered.filter((r) => "connections" in r.inputs && "hosts" in r.inputs);
    const checked = await lines(clusterChecks, (i) => clusterCheckProvider.check({} as any, i), (r) => `${r.name}: `);
    if (checked.length) return checked;
    return lines(registered.filter(isHostResource), (i) => hostConfigProvider.check({} as any, i), (r) => `${r.name}: `);
}

const ONE_LINE = /^[^\n]{10,300}$/;
/** Values no refusal may quote back. */
const SECRETS = [PASSWORD, BAD_KEY];
/** A stack frame, an object dump, or a key's PEM header with its body after it (a bare header is a hint: `tls.key` names the one it wants). */
const DUMP = /\bat .*\(.*:\d+:\d+\)|\[object Object\]|\{"|PRIVATE KEY-----(\s|\\n)/;

test("the good declarations under mocks: no line refuses them", async () => {
    await pulumi.runtime.setMocks(mocks, "corpus", "good", true);
    registered = [];
    derivedRefusals = [];
    declare(good(), pulumi.secret(PASSWORD));
    await settle();
    assert.deepEqual(await refusals(), []);
});

test("bad-input corpus under mocks: each case is refused by exactly one line naming component, field and rule", async (t) => {
    assert.ok(CASES.length >= 103, `at least 103 cases (${CASES.length})`);
    let k = 0;
    for (const { what, decl, line } of CASES) {
        // A fresh stack per case: cross-component rules must see only the case's own components.
        await pulumi.runtime.setMocks(mocks, "corpus", `case${k++}`, true);
        registered = [];
        derivedRefusals = [];
        declare(decl, pulumi.secret(PASSWORD));
        await settle();
        const got = await refusals();
        assert.equal(got.length, 1, `${what}: exactly one line, got:\n${got.join("\n")}`);
        assert.match(got[0], line, what);
        assert.match(got[0], ONE_LINE, `${what}: one short line`);
        assert.doesNotMatch(got[0], DUMP, `${what}: no stack trace, dump or key`);
        for (const secret of SECRETS) assert.ok(!got[0].includes(secret), `${what}: no secret`);
    }
    t.diagnostic(`${CASES.length} bad declarations refused, one line each`);
});

test("unknown values at preview: a bad known field is still refused, an unknown one is left for `up`", async () => {
    await pulumi.runtime.setMocks(mocks, "corpus", "unknown", true);
    registered = [];
    derivedRefusals = [];
    const unknown = pulumi.output(pulumi.unknown) as pulumi.Output<any>;
    // A file whose content is not known yet (another resource's output) but whose path is wrong.
    declare({ files: { f: { connection: { host: "10.0.0.11", password: "x" }, path: "relative/x", content: unknown } } }, PASSWORD);
    await settle();
    // Mocks drop unknown values; the engine sends the provider its sentinel instead.
    for (const r of registered.filter(isHostResource)) for (const f of r.inputs.files as any[]) f.content ??= UNKNOWN;
    assert.deepEqual(await refusals(), ['HostFile f: `path`: "relative/x" is not an absolute path']);

    await pulumi.runtime.setMocks(mocks, "corpus", "unknown2", true);
    registered = [];
    derivedRefusals = [];
    // A VRID not known yet: nothing to refuse at preview, no exception, no line.
    const a = (await import("../support/badCorpus")).cluster();
    a.instances[0].virtualRouterId = unknown;
    declare({ clusters: { lb: a } }, PASSWORD);
    await settle();
    assert.deepEqual(await refusals(), []);
});

/**
 * Cases run through the CLI too, one preview each: the engine stops a preview at its first refused
 * resource (preview has no --continue-on-error), so cases cannot share a run. A preview takes seconds,
 * so per component only the most different: a rule across components, a former crash, a field nested
 * deep, a secret that must not leak, each kind of resource that refuses (component, host resource,
 * cluster check).
 */
const CLI_CASES = [
    "two clusters, one VRID, one segment", "no nodes (was a thrown stack trace)",
    "TCP Docker API without TLS", "two hosts, one name (was a thrown stack trace)",
    "device with a slash", "route via outside the subnets",
    "two registries, one host and port (new rule)", "registry port = SSH port (new rule)", "provided key not PEM",
    "relative path", "placeholder without a value",
    "privateKey that does not parse (new rule)", "cluster node's connection: bad hostKey, once (new rule)", "mesh host's connection: port 0",
    "path with .. (new rule)", "path with a newline, on one line (new rule)", "owner with a group (new rule)",
    "kind that names a directory outside the state root (new rule)", "shared JSON part with a trailing comma, on one line (new rule)",
    "host with the user in it (new rule)", "hostKey a private key, not quoted (new rule)",
    "auto, gateway outside: refused before the host is read (new rule)", "auto, bad connection user: refused before the host is read (new rule)",
];

test("bad-input corpus through `pulumi preview`: the good declarations preview cleanly; one line per case, no stack trace, no dump, no secret, no SSH connection", async (t) => {
    const { previewProject } = await import("../support/badInput");
    const { setObjectConfig } = await import("../support/pulumi");
    const { project, dials } = previewProject(t, "test/e2e/programs/bad-corpus");
    project.pulumi(["config", "set", "--secret", "password", "--", PASSWORD]);
    const declare = (decl: CorpusCase["decl"]) => setObjectConfig(project, { clusters: {}, meshes: {}, interfaces: {}, registries: {}, files: {}, hostConfigs: {}, ...decl });

    // What mocks cannot show: the engine accepts the good declarations, prints their rendered files, and warns.
    declare(good());
    const clean = project.pulumi(["preview", "--diff"], { allowFail: true });
    assert.equal(clean.code, 0, `the good declarations preview cleanly:\n${clean.out}`);
    assert.match(clean.out, /\/etc\/network\/interfaces\.d\/eth1/, "the interface's rendered file is shown");
    assert.match(clean.out, /warning: DockerRegistry plain: TLS is off/, "plain HTTP is allowed, with a warning");
    assert.doesNotMatch(clean.out, /DockerRegistry r: TLS is off/);

    for (const what of CLI_CASES) {
        const c = CASES.find((x) => x.what === what);
        assert.ok(c, `${what}: a corpus case`);
        declare(c.decl);
        const r = project.pulumi(["preview"], { allowFail: true });
        assert.notEqual(r.code, 0, `${what}: preview fails`);
        // Each refusal shows twice: as the resource's progress line and under Diagnostics.
        // A host resource's refusal is named by the engine ("resource 'f-file' has a problem: ..."); a component's names itself.
        const problems = [
            ...new Set(
                [...r.out.matchAll(/resource '([^']+)' has a problem: ([^\n]*)/g)].map(([, name, reason]) => (/^[A-Z]\w+ \S+: `/.test(reason) ? reason : `${name}: ${reason}`).trim()),
            ),
        ];
        assert.equal(problems.length, 1, `${what}: one line:\n${r.out}`);
        assert.match(problems[0], c.line, what);
        assert.doesNotMatch(r.out, /\n\s+at .*:\d+:\d+\)?\n|PRIVATE KEY-----(\s|\\n)|\[object Object\]|value \{/, `${what}: no stack trace, key, value or dump:\n${r.out}`);
        for (const secret of SECRETS) assert.ok(!r.out.includes(secret), `${what}: no secret`);
        t.diagnostic(`${what}: ${problems[0]}`);
    }
    assert.deepEqual(dials(), [], "no SSH connection was opened");
    t.diagnostic(`${CLI_CASES.length} bad declarations refused through the CLI, 0 SSH connections`);
});
