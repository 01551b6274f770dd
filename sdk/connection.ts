// Declared where the provider side's input types can name it too (a resource's Args hold a connection).
export type { ConnectionArgs, ProxyConnectionArgs } from "../provider/contract/connection";
