export { ConnectionArgs, ProxyConnectionArgs } from "./connection";
export { HostConfig, HostConfigArgs } from "./hostConfig";
export { HostFile, HostFileArgs } from "./hostFile";
export type { CommandSpec, FileSpec, PackageSpec, ServiceSpec } from "../provider/host/desired";
