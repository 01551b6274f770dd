/**
 * The values `derived.ts` may compute: pure functions of an input and the value kept from last time.
 * Each returns the previous value (or as much of it as still fits) so state, files and hosts stay put.
 */
import { assignSlots, SlotRequest } from "../plan/subnets";

/** Input of `meshSlots`: the mesh's hosts (explicit slots allowed) and the highest slot the network has. */
export interface MeshSlotsInput {
    hosts: SlotRequest[];
    maxSlot: number;
}

export const DERIVATIONS = {
    /**
     * Host name -> slot in the container network: a host keeps its slot while others come and go. A network
     * that holds no slot (input the component refuses anyway) keeps the previous value: a broken edit must
     * not forget every host's slot.
     */
    meshSlots: (input: MeshSlotsInput, previous: Record<string, number> | undefined): Record<string, number> =>
        Number.isInteger(input.maxSlot) && input.maxSlot >= 1
            ? Object.fromEntries(assignSlots(input.hosts, input.maxSlot, previous ?? {}).slots)
            : (previous ?? {}),
} satisfies Record<string, (input: never, previous: never) => unknown>;

export type DerivationName = keyof typeof DERIVATIONS;
