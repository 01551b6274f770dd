/**
 * Bad input is reported once per component, at preview, before anything connects: the component
 * validates into one list of issues, hands the lines to one `InputCheck` child whose `check` refuses
 * them, and makes every host child depend on it. Problems found while constructing (an empty host
 * list, duplicate names) go into the same list: a component never throws for bad input.
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

/**
 * Reports `issues` for the component `what` ("KeepalivedCluster lb") once, through one child named
 * `${name}-inputs`; returns it for the host children's `dependsOn`.
 */
export function checkInputs(parent: pulumi.ComponentResource, name: string, what: string, issues: pulumi.Input<readonly Issue[]>): pulumi.Resource {
    const errors = pulumi.unsecret(pulumi.output(issues).apply((list) => issueLines(what, list)));
    return new InputCheck(`${name}-inputs`, errors, { parent });
}
