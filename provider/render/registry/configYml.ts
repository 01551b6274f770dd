/**
 * distribution 2.8's config.yml for a registry spec. Deterministic, no I/O; the proxy password appears
 * only as a `{{secret:NAME}}` placeholder.
 */
import type * as Yaml from "yaml";
import { placeholder } from "../../contract/secrets";
import { ParsedRegistry, REGISTRY_SECRET_PROXY_PASSWORD } from "../../plan/registry/model";
import { RegistryPaths, registryPaths } from "../../plan/registry/plan";
import { MANAGED_HEADER } from "../managedHeader";

/** The realm basic auth names in its challenge. */
const HTPASSWD_REALM = "registry";

/**
 * How long the registry lets requests in flight finish when it is stopped. Without it, distribution exits
 * at SIGTERM in the middle of a push: the client loses the answer to a manifest it may have stored.
 */
const REGISTRY_DRAIN_SECONDS = 10;

/** How long a stop waits for the registry container before killing it: the drain, and a margin to exit. */
export const REGISTRY_STOP_SECONDS = REGISTRY_DRAIN_SECONDS + 5;

/**
 * distribution 2.8's config.yml. Keys in a fixed order, 2-space indent, no line folding, the managed
 * header first, trailing newline. The proxy password is a double-quoted placeholder, filled in with
 * `proxyPasswordValue`. `readOnly` renders the copy served during garbage collection.
 */
export function renderRegistryConfig(spec: ParsedRegistry, paths: RegistryPaths = registryPaths(spec), options: { readOnly?: boolean } = {}): string {
    const proxy = spec.proxy;
    const storage: Record<string, unknown> = {
        filesystem: { rootdirectory: paths.storage },
        delete: { enabled: spec.deleteEnabled },
    };
    // Pulls keep working; pushes and deletes are refused while the collector runs (see the GC job).
    if (options.readOnly) storage.maintenance = { readonly: { enabled: true } };
    // A blob descriptor cache in front of a pull-through cache can keep answering for blobs the cache
    // has already expired (distribution issue 1356); a plain registry gains from it.
    if (!proxy) storage.cache = { blobdescriptor: "inmemory" };

    const http: Record<string, unknown> = {
        addr: paths.addr,
        draintimeout: `${REGISTRY_DRAIN_SECONDS}s`,
        headers: { "X-Content-Type-Options": ["nosniff"] },
    };
    if (spec.tls.mode !== "off") http.tls = { certificate: paths.certificate, key: paths.key };

    const config: Record<string, unknown> = {
        version: 0.1,
        log: { level: "info", fields: { service: "registry" } },
        storage,
        http,
    };
    if (spec.users.length > 0) config.auth = { htpasswd: { realm: HTPASSWD_REALM, path: paths.htpasswd } };
    if (proxy) {
        const p: Record<string, unknown> = { remoteurl: proxy.remoteUrl };
        if (proxy.username !== undefined) p.username = proxy.username;
        if (proxy.password !== undefined) p.password = placeholder(REGISTRY_SECRET_PROXY_PASSWORD);
        config.proxy = p;
    }
    config.health = { storagedriver: { enabled: true, interval: "10s", threshold: 3 } };

    // Loaded here: every program that imports this package would otherwise load it (35 ms) for registries it may not have.
    const { Document, Scalar, YAMLSeq } = require("yaml") as typeof Yaml;
    const doc = new Document(config);
    const headers = doc.getIn(["http", "headers", "X-Content-Type-Options"], true);
    if (headers instanceof YAMLSeq) headers.flow = true; // the form the registry's own sample config uses
    const password = doc.getIn(["proxy", "password"], true);
    if (password instanceof Scalar) password.type = Scalar.QUOTE_DOUBLE;
    const body = doc.toString({ indent: 2, indentSeq: true, lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false });
    return `${MANAGED_HEADER}\n${body}`;
}

/**
 * The value that replaces the proxy password's placeholder. It sits inside a double-quoted YAML string,
 * so it is escaped for one (JSON string escapes are valid YAML escapes): a password with `"`, `\\` or a
 * newline then still yields a config the registry parses to the exact password.
 */
export function proxyPasswordValue(password: string): string {
    return JSON.stringify(password).slice(1, -1);
}
