/**
 * From `KeepalivedClusterArgs` (Inputs, possibly Outputs of other resources) to the plain spec the
 * planner takes, twice: once whole (secret when a password is), once without the passwords, so the
 * rendered files stay readable in previews. Also the masters the child order needs at construction.
 */
import * as pulumi from "./pulumi";
import type { KeepalivedClusterSpec } from "../provider/plan/keepalived/model";
import { instancePriorities, rankNodes } from "../provider/plan/keepalived/priorities";
import type { KeepalivedClusterArgs, VrrpInstanceArgs } from "./keepalivedClusterTypes";

/** Stands in for a password in the spec that renders: the renderer never reads it. */
const REDACTED = "********";

export interface ResolvedSpec {
    /** With the passwords: for validation and the secrets map only. */
    spec: pulumi.Output<KeepalivedClusterSpec>;
    /** Without them: what is planned and rendered. Secret only when a field other than a password is. */
    publicSpec: pulumi.Output<KeepalivedClusterSpec>;
}

export function resolveSpec(args: KeepalivedClusterArgs): ResolvedSpec {
    const nodes = pulumi.all(
        args.nodes.map((n) =>
            pulumi
                .all([n.address, n.interface, n.interfaceCidr, n.routerId])
                .apply(([address, iface, interfaceCidr, routerId]) => strip({ name: n.name, address, interface: iface, interfaceCidr, routerId })),
        ),
    );
    const rest = { virtualServers: args.virtualServers, globalDefs: args.globalDefs, scripts: args.scripts, scriptFiles: args.scriptFiles, maintenance: args.maintenance };
    const specOf = (instances: pulumi.Input<unknown>) =>
        pulumi.all([nodes, pulumi.output({ instances, ...rest })]).apply(([ns, r]) => strip({ nodes: ns, ...r }) as unknown as KeepalivedClusterSpec);
    return { spec: specOf(args.instances), publicSpec: specOf(withoutPasswords(args.instances)) };
}

/**
 * The instances with each password replaced before anything resolves, so a secret password does not
 * make the whole spec secret. Where an instance or its `auth` is itself an Output, it is resolved as a
 * whole and stays secret if the password is: conservative, the files are then hidden in previews.
 */
function withoutPasswords(instances: pulumi.Input<pulumi.Input<VrrpInstanceArgs>[]>): pulumi.Input<unknown> {
    return mapInput(instances, (list) =>
        list.map((item) =>
            mapInput(item, (instance) => ({
                ...instance,
                auth: instance.auth === undefined ? undefined : mapInput(instance.auth, (auth) => ({ type: auth.type, password: REDACTED })),
            })),
        ),
    );
}

/** `f` on the value, now when it is plain, or once it resolves. */
function mapInput<T, U>(value: pulumi.Input<T>, f: (v: T) => U): pulumi.Input<U> {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) {
        return pulumi.output(value).apply((v) => pulumi.output(f(v as T)) as pulumi.Output<U>) as pulumi.Output<U>;
    }
    return f(value as T);
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

function strip<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
