import { randomBytes } from "node:crypto";
import type { HostConfigInputs } from "../../provider/dynamic/hostConfigInputs";
import type { FileSpec } from "../../provider/contract/desired";
import { connectionFor, LabHost } from "../support/lab";

/** Inputs as the SDK would pass them, with a fresh key so tests never share host state. */
export function hostInputs(host: LabHost, files: FileSpec[], over: Partial<HostConfigInputs> = {}): HostConfigInputs {
    return {
        connection: connectionFor(host),
        key: `test-${randomBytes(6).toString("hex")}`,
        kind: "test",
        files,
        ...over,
    };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { kind?: string }> {
    try {
        await p;
    } catch (e) {
        return e as Error & { kind?: string };
    }
    throw new Error("expected a rejection, but it resolved");
}
