import * as pulumi from "./pulumi";
import type { DerivationName, Derivations } from "../provider/derive/derivations";
import type { ConnectionArgs } from "./connection";
import { ShimResource } from "./providerShim";

export type {
    Derivation, DerivationName, Derivations, HtpasswdInput, HtpasswdUser, MeshSlotsInput, RegistryTlsInput, RegistryTlsState, SlotRequest,
    StaticInterfaceFacts, StaticInterfaceFormatInput, StaticInterfaceFormatValue,
} from "../provider/derive/derivations";

/** Inputs of `DerivedValue`. */
export interface DerivedValueArgs<N extends DerivationName> {
    /** Which derivation computes the value (see provider/dynamic/derivations.ts). */
    derivation: N;
    /** What the value is derived from; a change re-derives it, keeping what still fits. */
    input: pulumi.Input<Derivations[N]["input"]>;
    /** Store the input and the value as secrets (keys, password hashes). Defaults to false. */
    secret?: boolean;
    /** A host the derivation may read (read-only) when it keeps no value for it yet; passed as a secret, never kept in state. Defaults to none: nothing connects. */
    connection?: pulumi.Input<ConnectionArgs>;
}

/**
 * A value computed from its input and its own previous value, then kept in state: host slots that must
 * not move when hosts are added, certificates and password hashes that must not change on every run.
 * It is known at preview (the provider derives it in `check`), so files rendered from it diff cleanly.
 */
export class DerivedValue<N extends DerivationName> extends ShimResource {
    /** The derived value (known at preview, kept while it still fits). */
    declare readonly value: pulumi.Output<Derivations[N]["value"]>;

    constructor(name: string, args: DerivedValueArgs<N>, opts?: pulumi.CustomResourceOptions) {
        super(
            "derivedProvider",
            "DerivedValue",
            name,
            // A secret value starts as a secret placeholder: the engine keeps the secret mark of an input key
            // that `check` fills in only if the key was secret already (dynamic providers get plain values).
            () => ({
                derivation: args.derivation, input: args.secret ? pulumi.secret(args.input) : args.input, value: args.secret ? pulumi.secret("") : undefined,
                connection: args.connection === undefined ? undefined : pulumi.secret(args.connection),
            }),
            pulumi.mergeOptions(opts, { additionalSecretOutputs: [...(args.secret ? ["input", "value"] : []), ...(args.connection === undefined ? [] : ["connection"])] }),
        );
    }
}
