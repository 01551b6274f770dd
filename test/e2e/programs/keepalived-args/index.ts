import * as pulumi from "@pulumi/pulumi";
import { KeepalivedCluster, KeepalivedClusterArgs } from "pulumi-onprem";

// `clusters`: {name: args}; each instance's `auth.password` comes from the secret `password`.
const config = new pulumi.Config();
const clusters = config.requireObject<Record<string, KeepalivedClusterArgs>>("clusters");
const password = config.requireSecret("password");
for (const [name, args] of Object.entries(clusters)) {
    for (const instance of args.instances) if (instance.auth) instance.auth.password = password;
    new KeepalivedCluster(name, args);
}
