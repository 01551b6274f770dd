/**
 * Bad input is reported once per component, at preview, before anything connects: the component
 * validates into one list of issues, hands the lines to one `InputCheck` child whose `check` refuses
 * them, and makes every host child depend on it. Problems found while constructing (an empty host
 * list, duplicate names) go into the same list: a component never throws for bad input. A component
 * with one host child and nothing else to hold back (HostFile) hands the same lines to that child's
 * `inputErrors`: one resource fewer per component, the same line.
 */
import * as pulumi from "./pulumi";
import type { Issue } from "../provider/contract/issue";
import { ShimResource } from "./providerShim";

/** Each issue as one line that starts with the component and the field: "KeepalivedCluster lb: `instances[0].virtualRouterId`: 300 is outside 1-255". */
function issueLines(what: string, issues: readonly Issue[]): string[] {
    return issues.map((i) => `${what}: ${i.message.startsWith("`") ? i.message : `\`${i.field}\`: ${i.message}`}`);
}

/** The resource that refuses a component's bad input at preview (see the module comment). */
class InputCheck extends ShimResource {
    constructor(name: string, errors: pulumi.Input<string[]>, opts: pulumi.CustomResourceOptions) {
        super("inputCheckProvider", "InputCheck", name, () => ({ errors }), opts);
    }
}

/** `issues` of the component `what` as the lines a check refuses them with; never secret (they quote no secret). */
export function inputErrorLines(what: string, issues: pulumi.Input<readonly Issue[]>): pulumi.Output<string[]> {
    return pulumi.unsecret(pulumi.output(issues).apply((list) => issueLines(what, list)));
}

/**
 * Reports `issues` for the component `what` ("KeepalivedCluster lb") once, through one child named
 * `${name}-inputs`; returns it for the host children's `dependsOn`.
 */
export function checkInputs(parent: pulumi.ComponentResource, name: string, what: string, issues: pulumi.Input<readonly Issue[]>): pulumi.Resource {
    return new InputCheck(`${name}-inputs`, inputErrorLines(what, issues), { parent });
}
