/**
 * From `KeepalivedClusterArgs` (Inputs, possibly Outputs of other resources) to the plain input the
 * parser takes, twice: once whole (secret when a password is), once with the passwords masked, so the
 * rendered files stay readable in previews. Also the masters the child order needs at construction.
 */
import * as pulumi from "./pulumi";
import type { KeepalivedClusterArgs, KeepalivedClusterInput, VrrpInstanceArgs } from "../provider/plan/keepalived/args";
import { KEEPALIVED_SECRET_PATHS } from "../provider/plan/keepalived/model";
import { instancePriorities, rankNodes } from "../provider/plan/keepalived/priorities";
import { maskSecrets, resolveInputs } from "./inputs";

export interface ResolvedSpec {
    /** With the passwords: for validation and the secrets map only. */
    spec: pulumi.Output<KeepalivedClusterInput>;
    /** Without them: what is planned and rendered. Secret only when a field other than a password is. */
    publicSpec: pulumi.Output<KeepalivedClusterInput>;
}

export function resolveSpec(args: KeepalivedClusterArgs): ResolvedSpec {
    // Masked before anything resolves, so a secret password does not make the whole spec secret.
    return { spec: resolveCluster(args), publicSpec: resolveCluster(maskSecrets(args, KEEPALIVED_SECRET_PATHS)) };
}

function resolveCluster(args: KeepalivedClusterArgs): pulumi.Output<KeepalivedClusterInput> {
    const nodes = pulumi.all(args.nodes.map((n) => resolveInputs(n, ["connection"])));
    return pulumi.all([resolveInputs(args, ["nodes", "ensurePackages", "verifyVips", "foreignRouterCheck"]), nodes]).apply(([rest, ns]) => ({ ...rest, nodes: ns }));
}

/**
 * The nodes that master an instance, known when the program runs: the child order (backups first,
 * masters last) cannot wait for an Output. An instance whose `master` or `priorities` is not a plain
 * value yet counts the first node as its master, as the planner does when neither is given.
 */
export function intendedMasters(args: KeepalivedClusterArgs): Set<string> {
    const names = args.nodes.map((n) => n.name);
    const plain = (v: unknown) => !pulumi.Output.isInstance(v) && !(v instanceof Promise);
    const masterOf = (instance: pulumi.Input<VrrpInstanceArgs>): string => {
        if (!plain(instance)) return names[0];
        const { master, priorities } = instance as VrrpInstanceArgs;
        if (master !== undefined) return typeof master === "string" ? master : names[0];
        if (priorities === undefined) return names[0];
        if (!plain(priorities) || !Object.values(priorities).every((p) => typeof p === "number")) return names[0];
        return rankNodes(names, instancePriorities(names, { priorities: priorities as Record<string, number> }))[0] ?? names[0];
    };
    return new Set(plain(args.instances) ? (args.instances as pulumi.Input<VrrpInstanceArgs>[]).map(masterOf) : [names[0]]);
}
