import * as pulumi from "@pulumi/pulumi";

type ShimName = "hostConfigProvider" | "clusterCheckProvider" | "derivedProvider" | "inputCheckProvider";

/** One object per name: Pulumi serializes a provider once per object, and each serialization parses its code. */
const shims = new Map<ShimName, pulumi.dynamic.ResourceProvider>();

/**
 * A dynamic provider as the engine serializes it: methods that capture only the export's name and
 * load the implementation by package name at run time. State then holds a few short `require` lines
 * (no copy of this package's code), and an old stack runs the installed version's code.
 */
export function providerShim(exportName: ShimName): pulumi.dynamic.ResourceProvider {
    let shim = shims.get(exportName);
    if (!shim) shims.set(exportName, (shim = makeShim(exportName)));
    return shim;
}

function makeShim(exportName: ShimName): pulumi.dynamic.ResourceProvider {
    return {
        async check(olds, news) {
            return require("pulumi-onprem/provider")[exportName].check(olds, news);
        },
        async diff(id, olds, news) {
            return require("pulumi-onprem/provider")[exportName].diff(id, olds, news);
        },
        async create(inputs) {
            return require("pulumi-onprem/provider")[exportName].create(inputs);
        },
        async read(id, props) {
            const impl = require("pulumi-onprem/provider")[exportName];
            return impl.read ? impl.read(id, props) : { id, props };
        },
        async update(id, olds, news) {
            return require("pulumi-onprem/provider")[exportName].update(id, olds, news);
        },
        async delete(id, props) {
            return require("pulumi-onprem/provider")[exportName].delete(id, props);
        },
    };
}

/**
 * While a dynamic resource is constructed, Pulumi records a stack trace on every promise it makes for
 * the resource's properties (shown only in its promise-leak report), each one mapped through source
 * maps: most of the program's CPU per resource. Returns the function that puts the limit back.
 * `PULUMI_DEBUG_PROMISE_LEAKS` keeps the traces. The resource's own source position is unaffected
 * (Pulumi lifts the limit to read it).
 */
export function pausePromiseTraces(): () => void {
    if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return () => undefined;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    return () => {
        Error.stackTraceLimit = limit;
    };
}
