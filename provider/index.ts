/**
 * What the SDK's dynamic resources name in the one-line `require` they store as `__provider`
 * (`pulumi-onprem/provider`, see sdk/providerShim.ts): state holds no copy of this code.
 */
import * as clusterCheck from "./dynamic/clusterCheck";
import * as derived from "./dynamic/derived";
import * as hostCheck from "./dynamic/hostCheck";
import * as hostConfig from "./dynamic/hostConfig";
import * as inputCheck from "./dynamic/inputCheck";

export const hostConfigProvider = {
    check: hostConfig.check,
    diff: hostConfig.diff,
    create: hostConfig.create,
    read: hostConfig.read,
    update: hostConfig.update,
    delete: hostConfig.remove,
};

export const clusterCheckProvider = {
    check: clusterCheck.check,
    diff: clusterCheck.diff,
    create: clusterCheck.create,
    update: clusterCheck.update,
    delete: clusterCheck.remove,
};

/** The per-host check of earlier versions: stacks made by them still name it when they delete it. */
export const hostCheckProvider = {
    check: hostCheck.check,
    diff: hostCheck.diff,
    create: hostCheck.create,
    update: hostCheck.update,
    delete: hostCheck.remove,
};

export const inputCheckProvider = {
    check: inputCheck.check,
    diff: inputCheck.diff,
    create: inputCheck.create,
    update: inputCheck.update,
    delete: inputCheck.remove,
};

export const derivedProvider = {
    check: derived.check,
    diff: derived.diff,
    create: derived.create,
    update: derived.update,
    delete: derived.remove,
};

export { OnpremError } from "./contract/errors";
export { sshStats } from "./ssh/stats";
