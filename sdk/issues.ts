/**
 * Bad input is reported through the children's `check`: the component renders nothing and hands its
 * children the list of broken rules, which the provider refuses before it connects anywhere. The
 * engine then stops the preview with one readable error per child.
 */
import type { Issue } from "../provider/plan/issue";

/** Each issue as one line that starts with the field: ``instances[0].virtualRouterId`: 300 is outside 1-255`. */
export function issueLines(what: string, issues: readonly Issue[]): string[] {
    return issues.map((i) => `${what}: ${i.message.startsWith("`") ? i.message : `\`${i.field}\`: ${i.message}`}`);
}
