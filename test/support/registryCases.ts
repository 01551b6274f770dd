/**
 * The registry cases the render goldens and the serve test share: seed 000's registry (storage on
 * /opt/data/registry, port 5000, authentication), done securely, plus a plain-HTTP one and a cache.
 */
import * as path from "node:path";
import type { Issue } from "../../provider/contract/issue";
import type { DockerRegistryInput } from "../../provider/plan/registry/args";
import type { ParsedRegistry } from "../../provider/plan/registry/model";
import { parseRegistry } from "../../provider/plan/registry/validate";

export const REGISTRY_GOLDEN_DIR = path.resolve(__dirname, "../golden/registry");

export const ALICE_PASSWORD = "alice-Pw-1";
export const BOB_PASSWORD = "bob:pw with spaces";
/** Quotes, a backslash and a colon: the YAML escaping of the proxy password must survive them. */
export const PROXY_PASSWORD = `to"ken\\with:'odd`;

/** Seed 000 on Debian's package: TLS generated for the registry's names, two users. */
export const nativeTls: DockerRegistryInput = {
    runtime: "native",
    address: "10.99.0.13",
    hostnames: ["registry.lab", "10.99.0.13"],
    tls: { mode: "generated" },
    users: [
        { name: "bob", password: BOB_PASSWORD },
        { name: "alice", password: ALICE_PASSWORD },
    ],
    deleteEnabled: true,
    clients: [{ name: "client1", dockerConfig: "certs-only" }],
};

/** Plain HTTP on all addresses, said out loud; clients get `insecure-registries`. */
export const tlsOff: DockerRegistryInput = {
    runtime: "native",
    hostnames: ["registry.lab"],
    tls: { mode: "off", insecure: true },
    clients: [{ name: "client1", dockerConfig: "daemon-json" }],
};

/** A Docker Hub pull-through cache in a container, with an upstream account and one local user. */
export const proxyCache: DockerRegistryInput = {
    runtime: "container",
    image: "registry:2.8.2",
    storagePath: "/opt/data/registry-cache",
    port: 5001,
    hostnames: ["mirror.lab"],
    tls: { mode: "generated", validityDays: 90 },
    users: [{ name: "alice", password: ALICE_PASSWORD }],
    proxy: { remoteUrl: "https://registry-1.docker.io", username: "mirror-bot", password: PROXY_PASSWORD },
    clients: [{ name: "client1", dockerConfig: "daemon-json" }],
};

export const goldenCases: { name: string; spec: DockerRegistryInput }[] = [
    { name: "native-tls-two-users", spec: nativeTls },
    { name: "tls-off-insecure", spec: tlsOff },
    { name: "proxy-cache", spec: proxyCache },
];

export const goldenPath = (file: string) => path.join(REGISTRY_GOLDEN_DIR, file);

/** The issues the parser finds in a registry's input; none when it parses. */
export function registryIssues(input: DockerRegistryInput, now?: Date): Issue[] {
    const result = parseRegistry(input, now);
    return result.ok ? [] : result.issues;
}

/** The registry a valid input parses to (a test's own input: issues are a mistake in the test). */
export function parsed(input: DockerRegistryInput, now?: Date): ParsedRegistry {
    const result = parseRegistry(input, now);
    if (!result.ok) throw new Error(result.issues.map((i) => i.message).join("\n"));
    return result.value;
}
