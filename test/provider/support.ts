import { randomBytes } from "node:crypto";
import type { HostConfigInputs } from "../../provider/dynamic/hostConfigInputs";
import type { FileSpec } from "../../provider/contract/desired";
import { connectionFor, LabHost, onHost } from "../support/lab";

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

/**
 * Shell for a lab host: kills the sshd processes serving established SSH sessions (by PID, inside the
 * host), so every connection to it drops at that moment. Run as a validator it cuts the connection before
 * the swap; as a verifier, after it.
 */
export const CUT_SSH = "ss -tnpH state established '( sport = :22 )' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | xargs -r kill -9";

/** Staged or backup copies the engine may leave beside targets, and staged-copy lists in state dirs, on a lab host. */
export function leftovers(host: LabHost): string[] {
    const script = `find /etc /opt /var /root /usr/local \\( -name '.*.onprem-new' -o -name '.*.onprem-bak' \\) -print 2>/dev/null; ls -d /var/lib/pulumi-onprem/*/txn/staging* 2>/dev/null; true`;
    return onHost(host, script).split("\n").filter(Boolean);
}
