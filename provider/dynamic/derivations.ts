/**
 * The values `derived.ts` may compute: pure functions of an input and the value kept from last time.
 * Each returns the previous value (or as much of it as still fits) so state, files and hosts stay put.
 */
import { assignSlots, SlotRequest } from "../plan/subnets";

export type { SlotRequest } from "../plan/subnets";

/** Input of `meshSlots`. */
export interface MeshSlotsInput {
    /** The mesh's hosts, by name, with their explicit slots where set. */
    hosts: SlotRequest[];
    /** The highest slot the container network has room for. */
    maxSlot: number;
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
    /** Host name -> slot in the container network: a host keeps its slot while others come and go. */
    meshSlots: Derivation<MeshSlotsInput, Record<string, number>>;
}

/** The names of the derivations `DerivedValue` can compute. */
export type DerivationName = keyof Derivations;

type Derive<N extends DerivationName> = (input: Derivations[N]["input"], previous: Derivations[N]["value"] | undefined) => Derivations[N]["value"] | Promise<Derivations[N]["value"]>;

export const DERIVATIONS: { [N in DerivationName]: Derive<N> } = {
    meshSlots: (input, previous) => Object.fromEntries(assignSlots(input.hosts, input.maxSlot, previous ?? {}).slots),
};
