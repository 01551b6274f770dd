import * as pulumi from "@pulumi/pulumi";
import { DockerRegistry, DockerRegistryArgs } from "pulumi-onprem";

// `registry`: the args; each user's password comes from the secret object `passwords` (a missing one is empty).
const config = new pulumi.Config();
const args = config.requireObject<DockerRegistryArgs>("registry");
const passwords = config.requireSecretObject<Record<string, string>>("passwords");
const registry = new DockerRegistry("r", {
    ...args,
    users: args.users?.map((u) => ({ name: u.name, password: passwords.apply((p) => p[u.name as string] ?? "") })),
});
export const url = registry.url;
