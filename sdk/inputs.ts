/**
 * From a resource's Args to the value its validator parses: one resolution for every resource
 * (`pulumi.output` unwraps Inputs deeply), so no SDK file copies its fields out by hand.
 */
import * as pulumi from "./pulumi";

/** The Args once every Input is known, without the `omit` fields (the connection goes to the host children alone). */
export function resolveInputs<T extends object, K extends keyof T = never>(args: T, omit: readonly K[] = []): pulumi.Output<pulumi.Unwrap<Omit<T, K>>> {
    const kept = Object.fromEntries(Object.entries(args).filter(([k]) => !omit.includes(k as K)));
    return pulumi.output(kept) as unknown as pulumi.Output<pulumi.Unwrap<Omit<T, K>>>;
}
