import * as pulumi from "@pulumi/pulumi";
import type { DERIVATIONS, DerivationName } from "../provider/dynamic/derivations";
import { providerShim } from "./providerShim";

type Derivation<N extends DerivationName> = (typeof DERIVATIONS)[N];

/** Inputs of `DerivedValue`. */
export interface DerivedValueArgs<N extends DerivationName> {
    /** Which derivation computes the value (see provider/dynamic/derivations.ts). */
    derivation: N;
    /** What the value is derived from; a change re-derives it, keeping what still fits. */
    input: pulumi.Input<Parameters<Derivation<N>>[0]>;
    /** Store the input and the value as secrets (keys, password hashes). Defaults to false. */
    secret?: boolean;
}

/**
 * A value computed from its input and its own previous value, then kept in state: host slots that must
 * not move when hosts are added, certificates and password hashes that must not change on every run.
 * It is known at preview (the provider derives it in `check`), so files rendered from it diff cleanly.
 */
export class DerivedValue<N extends DerivationName> extends pulumi.dynamic.Resource {
    declare readonly value: pulumi.Output<Awaited<ReturnType<Derivation<N>>>>;

    constructor(name: string, args: DerivedValueArgs<N>, opts?: pulumi.CustomResourceOptions) {
        const input = args.secret ? pulumi.secret(args.input) : args.input;
        super(
            providerShim("derivedProvider"),
            name,
            // A secret value starts as a secret placeholder: the engine keeps the secret mark of an input key
            // that `check` fills in only if the key was secret already (dynamic providers get plain values).
            { derivation: args.derivation, input, value: args.secret ? pulumi.secret("") : undefined },
            args.secret ? pulumi.mergeOptions(opts, { additionalSecretOutputs: ["input", "value"] }) : opts,
            "pulumi-onprem",
            "DerivedValue",
        );
    }
}
