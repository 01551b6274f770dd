import * as pulumi from "@pulumi/pulumi";
import {
    DockerRegistry,
    DockerRegistryArgs,
    HostConfig,
    HostConfigArgs,
    HostFile,
    HostFileArgs,
    KeepalivedCluster,
    KeepalivedClusterArgs,
    OvsMesh,
    OvsMeshArgs,
    StaticInterface,
    StaticInterfaceArgs,
} from "pulumi-onprem";

// Each key is optional: {name: args} per component. Passwords come from the secret `password` (a registry
// user may give its own), so a refusal can be searched for it. `unknown: [names]` makes those HostFiles'
// content unknown at preview.
const config = new pulumi.Config();
const password = config.getSecret("password") ?? pulumi.secret("unset");
const each = <A>(key: string, make: (name: string, args: A) => void) => {
    for (const [name, args] of Object.entries(config.getObject<Record<string, A>>(key) ?? {})) make(name, args);
};
type Auth = { auth?: { type: "PASS" | "AH" } };
each<KeepalivedClusterArgs & { instances: Auth[] }>("clusters", (name, args) =>
    new KeepalivedCluster(name, { ...args, instances: args.instances.map((i) => ({ ...i, auth: i.auth && { type: i.auth.type, password } })) } as KeepalivedClusterArgs),
);
each<OvsMeshArgs>("meshes", (name, args) => new OvsMesh(name, args));
each<StaticInterfaceArgs>("interfaces", (name, args) => new StaticInterface(name, args));
each<DockerRegistryArgs & { users?: { name: string; password?: string }[] }>("registries", (name, args) =>
    new DockerRegistry(name, { ...args, users: args.users?.map((u) => ({ name: u.name, password: u.password ?? password })) }),
);
// A placeholder `{{secret:pw}}` in a file is filled from `password`.
each<HostFileArgs>("files", (name, args) => new HostFile(name, { ...args, secrets: { pw: password } }));
each<HostConfigArgs>("hostConfigs", (name, args) => new HostConfig(name, args));
