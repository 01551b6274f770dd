import * as pulumi from "./pulumi";

type ShimName = "hostConfigProvider" | "clusterCheckProvider" | "derivedProvider" | "inputCheckProvider";

/**
 * A resource of Pulumi's Node.js dynamic provider whose implementation lives in this package: what the
 * engine stores as `__provider` is one `require` line (by package name, so an old stack runs the installed
 * version's code), written here rather than by Pulumi's closure serializer. State keeps about 80 bytes per
 * resource instead of the serializer's 2.6 KB (twice: inputs and outputs), the engine and both Node
 * processes move less over gRPC on every call, and a program never loads the serializer.
 * The engine and `@pulumi/pulumi/dynamic` see the same type token and the same reserved input.
 */
export abstract class ShimResource extends pulumi.CustomResource {
    /** `props` is a function so that the outputs it makes are made with promise traces paused too. */
    protected constructor(exportName: ShimName, type: string, name: string, props: () => pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        const resume = pausePromiseTraces();
        try {
            super(`pulumi-nodejs:dynamic/pulumi-onprem:${type}`, name, { ...props(), __provider: providerText(exportName) }, opts);
        } finally {
            resume();
        }
    }
}

/** The module the dynamic-provider host loads; its `handler()` returns the provider object. */
function providerText(exportName: ShimName): string {
    return `exports.handler = () => require("pulumi-onprem/provider").${exportName};\n`;
}

/**
 * While a dynamic resource is constructed, Pulumi records a stack trace on every promise it makes for
 * the resource's properties (shown only in its promise-leak report), each one mapped through source
 * maps: most of the program's CPU per resource. Returns the function that puts the limit back.
 * `PULUMI_DEBUG_PROMISE_LEAKS` keeps the traces. The resource's own source position is unaffected
 * (Pulumi lifts the limit to read it).
 */
function pausePromiseTraces(): () => void {
    if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return () => undefined;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    return () => {
        Error.stackTraceLimit = limit;
    };
}
