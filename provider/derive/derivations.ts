/**
 * The values `derived.ts` may compute: pure functions of an input and the value kept from last time.
 * Each returns the previous value (or as much of it as still fits) so state, files and hosts stay put.
 * All are pure but `staticInterfaceFormat`, which reads a host once when it has nothing kept.
 */
import { assignSlots, SlotRequest } from "../plan/ovs/subnets";
import type { ConnectionSpec } from "../ssh/connection";
import { digestKey } from "./digestKey";
import { htpasswdFile, HtpasswdUser } from "./htpasswd";
import { staticInterfaceFormat, StaticInterfaceFormatInput, StaticInterfaceFormatValue } from "./staticInterfaceFormat";
import { RegistryTlsInput, RegistryTlsState, registryTls } from "./tls";

export type { HtpasswdUser } from "./htpasswd";
export type { RegistryTlsInput, RegistryTlsState } from "./tls";
export type { SlotRequest } from "../plan/ovs/subnets";
export type { StaticInterfaceFacts, StaticInterfaceFormatInput, StaticInterfaceFormatValue } from "./staticInterfaceFormat";

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

/**
 * A derivation. `connection` is the host the value may be read from (DerivedValue's `connection`, when
 * given and known); a derivation that needs it while it is not known yet returns undefined: not known yet.
 */
type Derive<N extends DerivationName> = (
    input: Derivations[N]["input"],
    previous: Derivations[N]["value"] | undefined,
    connection?: ConnectionSpec,
) => Derivations[N]["value"] | undefined | Promise<Derivations[N]["value"] | undefined>;

export const DERIVATIONS: { [N in DerivationName]: Derive<N> } = {
    meshSlots: (input, previous) =>
        Number.isInteger(input.maxSlot) && input.maxSlot >= 1 ? Object.fromEntries(assignSlots(input.hosts, input.maxSlot, previous ?? {}).slots) : (previous ?? {}),
    htpasswd: (input, previous) => htpasswdFile(input.users, { previous }),
    registryTls: (input, previous) => registryTls(input, previous),
    registryConfigKey: (_input, previous) => digestKey(previous),
    staticInterfaceFormat: (input, previous, connection) => staticInterfaceFormat(input, previous, connection),
};
