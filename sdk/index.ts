export { ConnectionArgs, ProxyConnectionArgs } from "./connection";
export { HostConfig, HostConfigArgs } from "./hostConfig";
export { DerivedValue, DerivedValueArgs } from "./derivedValue";
export { HostFile, HostFileArgs } from "./hostFile";
export type { CommandSpec, FileSpec, PackageSpec, ServiceSpec, StateSpec } from "../provider/host/desired";
export { KeepalivedCluster, KeepalivedClusterArgs, KeepalivedNodeArgs, VrrpAuthArgs, VrrpInstanceArgs } from "./keepalivedCluster";
export type {
    GlobalDefsSpec, HealthCheckSpec, KeepalivedScriptFile, NotifySpec, RealServerSpec, TrackInterfaceSpec, TrackScriptRef, VipSpec,
    VirtualServerSpec, VrrpScriptSpec,
} from "../provider/plan/keepalivedModel";
export { OvsMesh, OvsMeshArgs, OvsMeshHostArgs, OvsMeshHostOutput } from "./ovsMesh";
export type {
    DatapathType, DockerSpec, DockerTlsSpec, FlowSpec, MeshTopology, OsConfigFormat, OsConfigSpec, OvsTunnelSpec, TunnelType, UnderlayBridgeSpec,
    VlanSpec,
} from "../provider/plan/ovsModel";
