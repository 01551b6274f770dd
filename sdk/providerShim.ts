import * as pulumi from "@pulumi/pulumi";

/**
 * A dynamic provider as the engine serializes it: methods that capture only the export's name and
 * load the implementation by package name at run time. State then holds a few short `require` lines
 * (no copy of this package's code), and an old stack runs the installed version's code.
 */
export function providerShim(exportName: "hostConfigProvider" | "hostCheckProvider" | "derivedProvider" | "inputCheckProvider"): pulumi.dynamic.ResourceProvider {
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
