import * as pulumi from "./pulumi";
import type { Issue } from "../provider/contract/issue";
import type { DockerRegistryArgs, DockerRegistryInput, RegistryRuntime } from "../provider/plan/registry/args";
import { DEFAULT_REGISTRY_CERT_VALIDITY_DAYS, ParsedRegistry, REGISTRY_SECRET_PATHS } from "../provider/plan/registry/model";
import { registrySans, registryUrl } from "../provider/plan/registry/plan";
import { endpointConflicts, RegistryEndpoint, sshPortConflict } from "../provider/plan/registry/endpointConflicts";
import { parseRegistry } from "../provider/plan/registry/validate";
import {
    configDigest,
    filesByPath,
    registryClientWork,
    registryFiles,
    registryHostFiles,
    registryHostWork,
    RegistryHostWork,
    registrySecrets,
    RegistryTlsMaterial,
} from "../provider/work/dockerRegistry";
import { DerivedValue } from "./derivedValue";
import { ClusterCheck, HostConfig } from "./hostConfig";
import { maskSecrets, resolveInputs } from "./inputs";
import { checkInputs } from "./issues";
import { perRun } from "./perRun";

export type {
    DockerRegistryArgs, DockerRegistryClientArgs, DockerRegistryGcArgs, DockerRegistryProxyArgs, DockerRegistryTlsArgs, DockerRegistryUserArgs,
    RegistryClientDockerConfig, RegistryRuntime,
} from "../provider/plan/registry/args";

/** What the host children are made from once the input passed validation. */
interface Resolved {
    spec: ParsedRegistry;
    material: RegistryTlsMaterial | undefined;
}

/**
 * A private Docker registry on one host, with persistent storage, TLS and htpasswd users, and the Docker
 * daemons of its client hosts set up to trust it. Config, certificates and htpasswd are rendered in the
 * program (previews show them, secrets as placeholders); the certificate and the password hashes are
 * derived once and kept, so an unchanged program changes nothing on the hosts.
 */
export class DockerRegistry extends pulumi.ComponentResource {
    /** "https://host:port" as clients reach it (the first hostname, else the address); empty when the registry has no name. */
    readonly url: pulumi.Output<string>;
    /** The CA clients must trust, PEM (public); undefined unless the certificate is generated. */
    readonly caCertificate: pulumi.Output<string | undefined>;
    /** What lands where: "registry" and "client-<name>" -> path -> text (config.yml, certificates, CA files, daemon.json keys); secrets are placeholders. */
    readonly files: pulumi.Output<Record<string, Record<string, string>>>;

    constructor(name: string, args: DockerRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-onprem:index:DockerRegistry", name, {}, opts);
        const tls = args.tls ?? { mode: "generated" as const };
        if (tls.mode === "off") {
            pulumi.log.warn(`DockerRegistry ${name}: TLS is off: images travel in clear text and every client lists the registry in insecure-registries`, this);
        }
        const clients = args.clients ?? [];
        // Child names come from client names: a duplicate gets no child of its own, and validation reports it.
        const uniqueClients = clients.filter((c, i) => clients.findIndex((o) => o.name === c.name) === i);

        const input: pulumi.Output<DockerRegistryInput> = pulumi
            .all([resolveInputs(args, ["connection", "ensurePackages", "clients"]), pulumi.all(clients.map((c) => resolveInputs(c, ["connection"])))])
            .apply(([rest, cs]) => ({ ...rest, clients: cs }));
        // With the secrets: for the issues and the secret values only. Issues name fields and rules, never
        // secret values: safe to show.
        const parsed = input.apply((i) => parseRegistry(i));
        const issues = pulumi.unsecret(pulumi.all([parsed.apply((p) => (p.ok ? [] : p.issues)), this.portIssues(name, args)]).apply(([a, b]) => [...a, ...b]));
        const secretValue = parsed.apply((p) => (p.ok ? p.value : undefined));
        // The copy files are rendered from: its secrets masked, so it may be shown.
        const publicValue = pulumi.unsecret(secretValue.apply((v) => v && maskSecrets(v, REGISTRY_SECRET_PATHS)));
        const inputs = checkInputs(this, name, `DockerRegistry ${name}`, issues);
        const after = { parent: this, dependsOn: [inputs] };

        const htpasswd = (args.users ?? []).length > 0 ? this.htpasswd(name, input, issues, after) : undefined;
        const generated = tls.mode === "generated" ? this.certificates(name, publicValue, issues, tls.validityDays, after) : undefined;
        const material: pulumi.Output<RegistryTlsMaterial | undefined> =
            generated !== undefined
                ? pulumi.unsecret(generated.apply((g) => ({ certificate: g.certificate, caCertificate: g.caCertificate })))
                : tls.mode === "provided"
                  ? pulumi.unsecret(pulumi.output(tls.certificate)).apply((certificate) => ({ certificate }))
                  : pulumi.output(undefined);
        const tlsKey = generated !== undefined ? generated.apply((g) => g.key) : tls.mode === "provided" ? pulumi.secret(tls.key) : pulumi.output(undefined);
        const secrets = pulumi
            .all([secretValue, issues, htpasswd, tlsKey])
            .apply(([spec, found, file, key]) => (found.length > 0 || !spec ? {} : registrySecrets(spec, { htpasswd: file, tlsKey: key })));

        // Bad input renders nothing: the InputCheck child refuses it before any host child runs.
        const resolved: pulumi.Output<Resolved | undefined> = pulumi
            .all([issues, publicValue, material])
            .apply(([found, spec, mat]) => (found.length > 0 || !spec ? undefined : { spec, material: mat }));
        const digest = this.containerDigest(name, args.runtime, resolved, secrets, after);
        const registryWork = pulumi.all([resolved, digest]).apply(([r, d]) => (r ? registryHostWork(r.spec, r.material, d) : undefined));
        const field = <K extends keyof RegistryHostWork>(w: pulumi.Output<RegistryHostWork | undefined>, k: K) => w.apply((x) => (x ? x[k] : []) as RegistryHostWork[K]);

        // Before the registry host's first change, at preview too: nothing else listens on its port.
        const check = new ClusterCheck(
            `${name}-check`,
            {
                kind: "docker-registry",
                hosts: { [name]: { connection: args.connection, kind: "docker-registry", files: [], validators: [], services: [], ensurePackages: false } },
                probes: field(registryWork, "probes").apply((probes) => ({ [name]: probes })),
            },
            after,
        );
        new HostConfig(
            `${name}-registry`,
            {
                connection: args.connection,
                kind: "docker-registry",
                files: field(registryWork, "files"),
                secrets,
                packages: field(registryWork, "packages"),
                ensurePackages: args.ensurePackages,
                services: field(registryWork, "services"),
                states: field(registryWork, "states"),
                validators: field(registryWork, "validators"),
                verifiers: field(registryWork, "verifiers"),
            },
            { parent: this, dependsOn: [inputs, check] },
        );

        const clientWork = (clientName: string) =>
            resolved.apply((r) => (r ? registryClientWork(r.spec, r.spec.clients.find((c) => c.name === clientName)!, r.material?.caCertificate) : undefined));
        const clientWorks = uniqueClients.map((client) => {
            const work = clientWork(client.name);
            new HostConfig(
                `${name}-client-${client.name}`,
                {
                    connection: client.connection,
                    kind: "docker-registry-client",
                    files: field(work, "files"),
                    services: field(work, "services"),
                    validators: field(work, "validators"),
                    ensurePackages: false,
                },
                after,
            );
            return work.apply((w): [string, Record<string, string>] => [`client-${client.name}`, filesByPath(w?.files ?? [])]);
        });

        this.url = resolved.apply((r) => (r ? registryUrl(r.spec) : ""));
        this.caCertificate = material.apply((m) => m?.caCertificate);
        // The registry host's files without the container digest: rendering them needs no secret.
        const registryFilesText = resolved.apply((r) => (r ? filesByPath(registryHostFiles(r.spec, r.material)) : {}));
        this.files = pulumi
            .all([registryFilesText, pulumi.all(clientWorks)])
            .apply(([registry, perClient]): Record<string, Record<string, string>> => ({ registry, ...Object.fromEntries(perClient) }));
        this.registerOutputs({ url: this.url, caCertificate: this.caCertificate, files: this.files });
    }

    /** Ports taken on the registry's host: by SSH, or by a registry declared before this one in the run. */
    private portIssues(name: string, args: DockerRegistryArgs): pulumi.Output<Issue[]> {
        const declared = perRun<pulumi.Output<RegistryEndpoint>>("DockerRegistry");
        const before = declared.slice();
        // Host and ports only: the rest of the connection (keys) stays secret and unread.
        const mine = pulumi.unsecret(
            pulumi.all([pulumi.output(args.connection).apply((c) => ({ host: c.host, sshPort: c.port ?? 22 })), args.address, args.port]).apply(
                ([c, address, port]): RegistryEndpoint => JSON.parse(JSON.stringify({ name, host: c.host, sshPort: c.sshPort, address, port })),
            ),
        );
        declared.push(mine);
        return pulumi.all([pulumi.all(before), mine]).apply(([others, me]) => [...sshPortConflict(me), ...endpointConflicts(others, me)]);
    }

    /** The htpasswd file, derived once and kept while each line still verifies its user's password. */
    private htpasswd(name: string, secretInput: pulumi.Output<DockerRegistryInput>, issues: pulumi.Output<Issue[]>, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
        // Only users without an issue: a broken entry is reported by the input check, never hashed.
        const input = pulumi.all([secretInput, issues]).apply(([spec, found]) => ({
            users: (spec.users ?? []).filter((_, i) => !found.some((f) => f.field.startsWith(`users[${i}].`))),
        }));
        return new DerivedValue(`${name}-htpasswd`, { derivation: "htpasswd", input, secret: true }, opts).value;
    }

    /** The generated CA and server certificate, kept until the names change or expiry nears. */
    private certificates(name: string, spec: pulumi.Output<ParsedRegistry | undefined>, issues: pulumi.Output<Issue[]>, validityDays: pulumi.Input<number> | undefined, opts: pulumi.CustomResourceOptions) {
        const input = pulumi.all([spec, issues, validityDays]).apply(([s, found, days]) => {
            // With broken input, no names: the derivation then keeps what it had and issues nothing.
            const sans = found.length > 0 || !s ? { dnsNames: [], ipAddresses: [] } : registrySans(s);
            return { caCommonName: `${name} registry CA`, ...sans, validityDays: found.length > 0 || days === undefined ? DEFAULT_REGISTRY_CERT_VALIDITY_DAYS : days };
        });
        return new DerivedValue(`${name}-tls`, { derivation: "registryTls", input, secret: true }, opts).value;
    }

    /**
     * The container's config digest (see `configDigest`): an HMAC under a key made once and kept as a
     * secret, so the digest may be shown. Only a registry that may run as a container gets the key; the
     * native runtime needs no digest.
     */
    private containerDigest(
        name: string,
        runtime: pulumi.Input<RegistryRuntime> | undefined,
        resolved: pulumi.Output<Resolved | undefined>,
        secrets: pulumi.Output<Record<string, string>>,
        opts: pulumi.CustomResourceOptions,
    ): pulumi.Output<string> {
        if (runtime === undefined || runtime === "native") return pulumi.output("");
        const key = new DerivedValue(`${name}-config-key`, { derivation: "registryConfigKey", input: {}, secret: true }, opts).value;
        return pulumi.unsecret(
            pulumi.all([resolved, secrets, key]).apply(([r, s, k]) => (r && r.spec.runtime === "container" ? configDigest(registryFiles(r.spec, r.material), s, k) : "")),
        );
    }
}
