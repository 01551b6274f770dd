export { ConnectionArgs, ProxyConnectionArgs } from "./connection";
export { HostConfig, HostConfigArgs } from "./hostConfig";
export { HostFile, HostFileArgs } from "./hostFile";
export type { CommandSpec, FileSpec, PackageSpec, ServiceSpec, StateSpec } from "../provider/host/desired";
export { KeepalivedCluster, KeepalivedClusterArgs, KeepalivedNodeArgs, VrrpAuthArgs, VrrpInstanceArgs } from "./keepalivedCluster";
export type {
    GlobalDefsSpec, HealthCheckSpec, KeepalivedScriptFile, NotifySpec, RealServerSpec, TrackInterfaceSpec, TrackScriptRef, VipSpec,
    VirtualServerSpec, VrrpScriptSpec,
} from "../provider/plan/keepalivedModel";
export { StaticInterface, StaticInterfaceArgs } from "./staticInterface";
export type { StaticInterfaceFormat, StaticRouteSpec } from "../provider/plan/staticInterfaceModel";
