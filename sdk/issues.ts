import * as pulumi from "@pulumi/pulumi";

/**
 * Stops the program at preview with every rule the input breaks, each naming its field, before any
 * resource that would connect to a host is registered.
 */
export function failOnIssues(what: string, issues: readonly { field: string; message: string }[], resource: pulumi.Resource): true {
    if (issues.length === 0) return true;
    const lines = issues.map((i) => (i.message.startsWith("`") ? i.message : `\`${i.field}\`: ${i.message}`));
    throw new pulumi.ResourceError(`${what}: invalid input:\n  ${lines.join("\n  ")}`, resource);
}
