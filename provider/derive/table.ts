/**
 * The derivations by name, for the dynamic provider (derived.ts): pure functions of an input and the value
 * kept from last time. Each returns the previous value (or as much of it as still fits) so state, files and
 * hosts stay put. All are pure but `staticInterfaceFormat`, which reads a host once when it has nothing kept.
 */
import { assignSlots } from "../plan/ovs/subnets";
import type { ConnectionSpec } from "../ssh/connection";
import type { DerivationName, Derivations } from "./derivations";
import { digestKey } from "./digestKey";
import { htpasswdFile } from "./htpasswd";
import { staticInterfaceFormat } from "./staticInterfaceFormat";
import { registryTls } from "./tls";

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
