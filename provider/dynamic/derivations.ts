/**
 * The values `derived.ts` may compute: pure functions of an input and the value kept from last time.
 * Each returns the previous value (or as much of it as still fits) so state, files and hosts stay put.
 */
import { assignSlots, SlotRequest } from "../plan/subnets";
import { htpasswdFile, HtpasswdUser } from "../render/htpasswd";
import { RegistryTlsInput, RegistryTlsState, registryTls } from "../render/tls";

/** Input of `meshSlots`: the mesh's hosts (explicit slots allowed) and the highest slot the network has. */
export interface MeshSlotsInput {
    hosts: SlotRequest[];
    maxSlot: number;
}

export const DERIVATIONS = {
    /** Host name -> slot in the container network: a host keeps its slot while others come and go. */
    meshSlots: (input: MeshSlotsInput, previous: Record<string, number> | undefined): Record<string, number> =>
        Object.fromEntries(assignSlots(input.hosts, input.maxSlot, previous ?? {}).slots),
    /** A registry's htpasswd file: a user's line is kept while it still verifies the password, so the file changes only with the users. */
    htpasswd: (input: { users: HtpasswdUser[] }, previous: string | undefined): string => htpasswdFile(input.users, { previous }),
    /** A registry's CA and server certificate: kept until the names change or expiry nears; the CA outlives server reissues. */
    registryTls: (input: RegistryTlsInput, previous: RegistryTlsState | undefined): Promise<RegistryTlsState> => registryTls(input, previous),
} satisfies Record<string, (input: never, previous: never) => unknown>;

export type DerivationName = keyof typeof DERIVATIONS;
