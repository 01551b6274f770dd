/**
 * The values `derived.ts` may compute, as types: what each is computed from and what it computes. The
 * SDK names these, so this file reaches no code that connects; the functions are in table.ts.
 */
import type { SlotRequest } from "../plan/ovs/subnets";
import type { HtpasswdUser } from "./htpasswd";
import type { StaticInterfaceFormatInput, StaticInterfaceFormatValue } from "./staticInterfaceFacts";
import type { RegistryTlsInput, RegistryTlsState } from "./tls";

export type { HtpasswdUser } from "./htpasswd";
export type { RegistryTlsInput, RegistryTlsState } from "./tls";
export type { SlotRequest } from "../plan/ovs/subnets";
export type { StaticInterfaceFacts, StaticInterfaceFormatInput, StaticInterfaceFormatValue } from "./staticInterfaceFacts";

/** Input of `meshSlots`. */
export interface MeshSlotsInput {
    /** The mesh's hosts, by name, with their explicit slots where set. */
    hosts: SlotRequest[];
    /** The highest slot the container network has room for. */
    maxSlot: number;
}

/** Input of `htpasswd`. */
export interface HtpasswdInput {
    /** The accounts, with their passwords in clear (the derived resource is secret). */
    users: HtpasswdUser[];
}

/** One derivation's types. */
export interface Derivation<I, V> {
    /** What it is computed from. */
    input: I;
    /** What it computes. */
    value: V;
}

/** Every derivation by name. */
export interface Derivations {
    /**
     * Host name -> slot in the container network: a host keeps its slot while others come and go. A network
     * that holds no slot (input the component refuses anyway) keeps the previous value: a broken edit must
     * not forget every host's slot.
     */
    meshSlots: Derivation<MeshSlotsInput, Record<string, number>>;
    /** A registry's htpasswd file: a user's line is kept while it still verifies the password, so the file changes only with the users. */
    htpasswd: Derivation<HtpasswdInput, string>;
    /** A registry's CA and server certificate: kept until the names change or expiry nears; the CA outlives server reissues. */
    registryTls: Derivation<RegistryTlsInput, RegistryTlsState>;
    /** A registry's HMAC key for the container's config digest (a secret): random once, then kept; its input is empty. */
    registryConfigKey: Derivation<Record<string, never>, string>;
    /** A StaticInterface's host facts for `format: "auto"`: read once over `connection` (read-only) and kept; an explicit format reads nothing. */
    staticInterfaceFormat: Derivation<StaticInterfaceFormatInput, StaticInterfaceFormatValue>;
}

/** The names of the derivations `DerivedValue` can compute. */
export type DerivationName = keyof Derivations;
