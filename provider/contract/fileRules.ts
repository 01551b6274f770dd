/**
 * The rules for what HostConfig and HostFile hand the host engine, checked before anything connects:
 * each file's path, mode, owner and group, a shared file's part, and the kind that names the resource's
 * state directory on the host. Each issue's message starts with its field in backticks. The components
 * check their own inputs before they render files; these rules hold for files written by hand too.
 */
import type { FileSpec } from "./desired";
import { accountNameProblem, fileModeProblem, hostPathProblem, isPortableName } from "./inputRules";
import { type Issue, quoted as q } from "./issue";
import { FILE_MERGERS } from "./mergers";

type Add = (field: string, rule: string) => void;

/** The fields of a file that `validateFile` checks; a missing `content` is left to the caller. */
type FileFields = Partial<Pick<FileSpec, "path" | "mode" | "owner" | "group" | "merge" | "content">>;

/** One file's rules; `at` names a field as the resource calls it (HostFile: `path`; HostConfig: `files[0].path`). */
function validateFile(file: FileFields, at: (field: keyof FileFields) => string, add: Add): void {
    const pathProblem = file.path === "/" ? '"/" is the root directory, not a file' : hostPathProblem(file.path);
    if (pathProblem) add(at("path"), pathProblem);
    if (file.mode !== undefined) {
        const problem = fileModeProblem(file.mode);
        if (problem) add(at("mode"), problem);
    }
    for (const key of ["owner", "group"] as const) {
        const problem = file[key] === undefined ? undefined : accountNameProblem(file[key]);
        if (problem) add(at(key), problem);
    }
    if (file.merge !== undefined) {
        if (!Object.hasOwn(FILE_MERGERS, file.merge)) {
            add(at("merge"), `${q(file.merge)} is not one of ${Object.keys(FILE_MERGERS).join(", ")}`);
        } else if (typeof file.content === "string") {
            const problem = FILE_MERGERS[file.merge].problem(file.content);
            if (problem) add(at("content"), problem);
        }
    }
}

/** Every broken rule in a HostConfig's `kind` and `files`; empty when the engine can take them. */
export function validateHostConfig(spec: { kind: unknown; files: unknown }): Issue[] {
    const issues: Issue[] = [];
    const add: Add = (field, rule) => issues.push({ field, message: `\`${field}\`: ${rule}` });
    if (!isPortableName(spec.kind)) {
        add("kind", `${q(spec.kind)} is not a valid name (letters, digits, _ . -, not starting with . or -; at most 64): it names the resource's state directory on the host`);
    }
    if (!Array.isArray(spec.files)) {
        add("files", "must be a list of files");
        return issues;
    }
    const seen = new Map<string, number>();
    spec.files.forEach((raw: unknown, i) => {
        if (typeof raw !== "object" || raw === null) {
            add(`files[${i}]`, "must be an object with a `path` and a `content`");
            return;
        }
        const file = raw as FileFields;
        validateFile(file, (field) => `files[${i}].${field}`, add);
        if (typeof file.content !== "string") add(`files[${i}].content`, "must be a string");
        if (typeof file.path !== "string") return;
        if (seen.has(file.path)) add(`files[${i}].path`, `${file.path} is already files[${seen.get(file.path)}]`);
        else seen.set(file.path, i);
    });
    return issues;
}

/** Every broken rule in a HostFile's own fields (its content is the caller's: it may be unknown at preview). */
export function validateHostFile(file: Omit<FileFields, "merge" | "content">): Issue[] {
    const issues: Issue[] = [];
    validateFile(file, (field) => field, (field, rule) => issues.push({ field, message: `\`${field}\`: ${rule}` }));
    return issues;
}
