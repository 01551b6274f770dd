import * as pulumi from "@pulumi/pulumi";
import { KeepalivedCluster, KeepalivedClusterArgs, VrrpInstanceArgs } from "pulumi-onprem";

// `clusters`: {name: args}; each instance's `auth.password` comes from the secret `password`.
type Instance = Omit<VrrpInstanceArgs, "auth"> & { auth?: { type: "PASS" | "AH" } };
type ClusterConfig = Omit<KeepalivedClusterArgs, "instances"> & { instances: Instance[] };
const config = new pulumi.Config();
const clusters = config.requireObject<Record<string, ClusterConfig>>("clusters");
const password = config.requireSecret("password");
for (const [name, args] of Object.entries(clusters)) {
    new KeepalivedCluster(name, { ...args, instances: args.instances.map((i) => ({ ...i, auth: i.auth && { type: i.auth.type, password } })) });
}
