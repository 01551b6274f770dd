/**
 * Pulumi's mocks for unit tests of the components: every resource registered is kept by name with its
 * inputs, and its state is its inputs.
 */
import * as pulumi from "@pulumi/pulumi";

/** Every resource the program registered under the mocks: name -> inputs. */
export const registered = new Map<string, Record<string, unknown>>();

export const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
        registered.set(args.name, args.inputs);
        return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
};

/** An Output's value, once known. */
export const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

/** Lets a run's registrations finish before the mocks switch stacks (they forget the old run's resources). */
export const settleRegistrations = () => new Promise((r) => setTimeout(r, 500));
