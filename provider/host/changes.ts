import { createHash } from "crypto";
import { DEFAULT_FILE_MODE, DesiredState, FileSpec, ServiceSpec, StateSpec } from "../contract/desired";
import { FILE_MERGERS } from "../contract/mergers";
import { fillSecrets } from "../contract/secrets";

/** A file as the host has it now. */
interface FileState {
    exists: boolean;
    sha256?: string;
    mode?: string;
    owner?: string;
    group?: string;
    /** The hash of what this resource last wrote there: a different hash now means a hand edit. */
    lastWritten?: string;
}

interface ServiceState {
    active: boolean;
    enabled: boolean;
}

/** The host as read by `prepare`, before anything changes. */
export interface HostSnapshot {
    /** The resource's state directory exists on the host. */
    present: boolean;
    files: Record<string, FileState>;
    /** The text of each file read whole (shared files, merged with the declared part); undefined when absent. */
    texts: Record<string, string | undefined>;
    services: Record<string, ServiceState>;
    /** Parent directories that do not exist yet (staging will create them). */
    missingDirs: string[];
    /** An earlier transaction had been cut off and was rolled back first. */
    recovered: boolean;
    /** Each live state's `read` output (normalised), by name. */
    states?: Record<string, string>;
}

export type FileChange =
    | { action: "write"; file: FileSpec; filled: string; reason: "absent" | "content" | "mode" | "owner" }
    | { action: "restore"; path: string };

/** A change as staging left it: the copy beside its target, or for a restore with no original, a removal. */
export type StagedChange = FileChange & { staged?: string; removes?: boolean };

export interface ServiceWork {
    service: ServiceSpec;
    /** Apply `onChange` because a watched file changed. */
    trigger: boolean;
    start: boolean;
    stop: boolean;
    enable: boolean;
}

export interface ChangePlan {
    files: FileChange[];
    services: ServiceWork[];
    /** Live states that do not read as expected. */
    states: StateSpec[];
}

/** Trailing blanks and blank lines do not count when comparing a state with what it should be. */
export function normalState(text: string): string {
    return text.split("\n").map((l) => l.trimEnd()).join("\n").trim();
}

export function sha256(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}

export function normalMode(mode: string | undefined): string {
    return (parseInt(mode ?? DEFAULT_FILE_MODE, 8) & 0o7777).toString(8);
}

/**
 * Pure: what must change on the host to reach `desired`, given what it has now. `dropped` are paths the
 * resource managed before and no longer wants: their originals come back. Shared (merged) files are
 * planned from their text in `snapshot.texts`.
 */
export function planChanges(desired: DesiredState, snapshot: HostSnapshot, dropped: readonly string[] = []): ChangePlan {
    const files: FileChange[] = [];
    for (const file of desired.files) {
        const filled = fileText(file, desired.secrets, snapshot.texts[file.path]);
        const now = snapshot.files[file.path] ?? { exists: false };
        const reason = !now.exists
            ? "absent"
            : now.sha256 !== sha256(filled)
              ? "content"
              : now.mode !== normalMode(file.mode)
                ? "mode"
                : now.owner !== (file.owner ?? "root") || now.group !== (file.group ?? "root")
                  ? "owner"
                  : undefined;
        if (reason) files.push({ action: "write", file, filled, reason });
    }
    for (const path of dropped) files.push({ action: "restore", path });

    const changed = new Set(files.map((c) => (c.action === "write" ? c.file.path : c.path)));
    const services: ServiceWork[] = [];
    for (const service of desired.services) {
        const now = snapshot.services[service.name] ?? { active: false, enabled: false };
        const watched = service.watch ?? desired.files.map((f) => f.path);
        const trigger = (service.onChange ?? "restart") !== "none" && watched.some((p) => changed.has(p)) && service.state !== "stopped";
        const work: ServiceWork = {
            service,
            trigger,
            start: service.state === "running" && !now.active && !trigger,
            stop: service.state === "stopped" && now.active,
            enable: service.enabled === true && !now.enabled,
        };
        if (work.trigger || work.start || work.stop || work.enable) services.push(work);
    }
    const states = desired.states.filter((s) => snapshot.states?.[s.name] !== normalState(s.expected));
    return { files, services, states };
}

/** The bytes a file should hold: its content with secrets filled in, merged into the current text if shared. */
function fileText(file: FileSpec, secrets: Readonly<Record<string, string>>, current: string | undefined): string {
    const filled = fillSecrets(file.content, secrets);
    return file.merge ? FILE_MERGERS[file.merge].merge(current, filled, file.released ?? [], file.path) : filled;
}

/** Pure: paths this plan overwrites that someone changed on the host since the resource last wrote them (shared files aside: other owners change those). */
export function driftReplaced(plan: ChangePlan, snapshot: HostSnapshot): string[] {
    return plan.files.flatMap((c) => {
        if (c.action !== "write" || c.file.merge) return [];
        const now = snapshot.files[c.file.path];
        return now?.exists && now.lastWritten && now.lastWritten !== now.sha256 ? [c.file.path] : [];
    });
}

export function isNoop(plan: ChangePlan): boolean {
    return plan.files.length === 0 && plan.services.length === 0 && plan.states.length === 0;
}
