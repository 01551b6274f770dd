export { ConnectionArgs, ProxyConnectionArgs } from "./connection";
export { HostConfig, HostConfigArgs } from "./hostConfig";
export {
    Derivation, DerivationName, Derivations, DerivedValue, DerivedValueArgs, HtpasswdInput, HtpasswdUser, MeshSlotsInput, RegistryTlsInput, RegistryTlsState,
    SlotRequest, StaticInterfaceFacts, StaticInterfaceFormatInput, StaticInterfaceFormatValue,
} from "./derivedValue";
export { HostFile, HostFileArgs } from "./hostFile";
export {
    DockerRegistry, DockerRegistryArgs, DockerRegistryClientArgs, DockerRegistryGcArgs, DockerRegistryProxyArgs, DockerRegistryTlsArgs, DockerRegistryUserArgs,
    RegistryClientDockerConfig, RegistryRuntime,
} from "./dockerRegistry";
export type { CommandSpec, ConfirmSpec, FileSpec, PackageSpec, ServiceSpec, StateSpec } from "../provider/contract/desired";
export { KeepalivedCluster } from "./keepalivedCluster";
export type {
    ConnectCheckArgs, GlobalDefsArgs, HealthCheckArgs, HttpCheckUrlArgs, HttpGetCheckArgs, KeepalivedClusterArgs, KeepalivedNodeArgs, KeepalivedScriptFileArgs,
    LvsScheduler, MiscCheckArgs, NotifyArgs, RealServerArgs, SmtpCheckArgs, SorryServerArgs, TcpCheckArgs, TrackInterfaceArgs, TrackScriptRefArgs, VipArgs,
    VipScope, VirtualServerArgs, VrrpAuthArgs, VrrpInstanceArgs, VrrpScriptArgs,
} from "./keepalivedCluster";
export { StaticInterface, StaticInterfaceArgs, StaticInterfaceFormat, StaticRouteSpec } from "./staticInterface";
export { OvsMesh, OvsMeshArgs, OvsMeshHostArgs, OvsMeshHostOutput } from "./ovsMesh";
export type {
    DatapathType, DockerConfigMode, DockerSpec, DockerTlsSpec, FlowSpec, MeshTopology, OsConfigFormat, OsConfigSpec, OvsTunnelSpec, TunnelType, UnderlayBridgeSpec,
    VlanSpec,
} from "./ovsMesh";
