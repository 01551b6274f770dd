export { ConnectionArgs, ProxyConnectionArgs } from "./connection";
export { HostConfig, HostConfigArgs } from "./hostConfig";
export {
    Derivation, DerivationName, Derivations, DerivedValue, DerivedValueArgs, HtpasswdInput, HtpasswdUser, MeshSlotsInput, RegistryTlsInput, RegistryTlsState,
    SlotRequest,
} from "./derivedValue";
export { HostFile, HostFileArgs } from "./hostFile";
export {
    DockerRegistry, DockerRegistryArgs, DockerRegistryClientArgs, DockerRegistryProxyArgs, DockerRegistryTlsArgs, DockerRegistryUserArgs,
} from "./dockerRegistry";
export type { RegistryClientDockerConfig, RegistryRuntime } from "../provider/plan/registryModel";
export type { CommandSpec, ConfirmSpec, FileSpec, PackageSpec, ServiceSpec, StateSpec } from "../provider/contract/desired";
export { KeepalivedCluster, KeepalivedClusterArgs, KeepalivedNodeArgs, VrrpAuthArgs, VrrpInstanceArgs } from "./keepalivedCluster";
export type {
    GlobalDefsSpec, HealthCheckSpec, HttpCheckUrl, HttpGetCheckSpec, LvsScheduler, MiscCheckSpec, SmtpCheckSpec, SorryServerSpec, TcpCheckSpec,
    VipScope, VrrpAuthSpec, VrrpInstanceSpec, ConnectCheckOptions, KeepalivedScriptFile, NotifySpec, RealServerSpec, TrackInterfaceSpec, TrackScriptRef, VipSpec,
    VirtualServerSpec, VrrpScriptSpec,
} from "../provider/plan/keepalivedModel";
export { StaticInterface, StaticInterfaceArgs } from "./staticInterface";
export type { StaticInterfaceFormat, StaticRouteSpec } from "../provider/plan/staticInterfaceModel";
export { OvsMesh, OvsMeshArgs, OvsMeshHostArgs, OvsMeshHostOutput } from "./ovsMesh";
export type {
    DatapathType, DockerConfigMode, DockerSpec, DockerTlsSpec, FlowSpec, MeshTopology, OsConfigFormat, OsConfigSpec, OvsTunnelSpec, TunnelType, UnderlayBridgeSpec,
    VlanSpec,
} from "./ovsMeshTypes";
