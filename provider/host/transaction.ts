import { OnpremError, isOnpremError } from "../contract/errors";
import { ConnectionSpec } from "../ssh/connection";
import { connect, forget, PooledConnection } from "../ssh/pool";
import { reportProgress } from "../ssh/progress";
import { ChangePlan, driftReplaced, FileChange, HostSnapshot, isNoop, planChanges, ServiceWork, StagedChange } from "./changes";
import { DesiredState, StateSpec } from "../contract/desired";
import { hostFacts, HostFacts } from "./facts";
import { stagedPath, stateDir } from "./layout";
import { withHostLock } from "./lock";
import { ensurePackages, InstalledPackages, nothingInstalled } from "./packages";
import { redactSecrets } from "../contract/secrets";
import { activationPhases } from "./steps/activate";
import { checkpointAndSwap, keepFresh } from "./steps/checkpoint";
import { commit, rollback } from "./steps/commit";
import { applyStatesConfirmed, awaitRevert, confirmDeadline, UnconfirmedChange } from "./steps/confirm";
import { runPhases } from "./steps/phases";
import { prepare } from "./steps/prepare";
import { discardStaged, stage } from "./steps/stage";
import { applyStates, readStates, verifyStates } from "./steps/states";
import { verificationPhases } from "./steps/verify";

export interface ApplyResult {
    /** The host's SSH key fingerprint, as verified. */
    hostKeyFingerprint: string;
    facts: HostFacts;
    /** Paths written or restored, and services touched; empty when the host already matched. */
    changedFiles: string[];
    changedServices: string[];
    changedStates: string[];
    /** What the host lacked and got, and how long that took. */
    installed: InstalledPackages;
    /** Files this apply overwrote that had been changed on the host since the resource last wrote them. */
    replacedDrift: string[];
    /** An earlier, interrupted transaction had to be rolled back first. */
    recovered: boolean;
    /** With commit-confirm: the address the host answered at after the change. */
    reachedAt?: string;
}

/**
 * One transaction on one host: read, plan, stage, validate, checkpoint, swap, activate, verify, then
 * commit, or roll back and report the original error. The host ends in its old state or its new one.
 * `dropped` are paths this resource managed before and no longer wants: their originals come back.
 */
export async function applyHostState(
    connection: ConnectionSpec,
    resourceId: string,
    desired: DesiredState,
    dropped: readonly string[] = [],
): Promise<ApplyResult> {
    const conn = await connect(connection);
    return withHostLock(conn.key, async () => {
        const redact = (s: string) => redactSecrets(s, desired.secrets);
        const dir = stateDir(resourceId);
        const read = () =>
            prepare(conn, dir, {
                paths: [...desired.files.map((f) => f.path), ...dropped],
                // Shared files are planned from their current text: read in the same command.
                texts: desired.files.filter((f) => f.merge).map((f) => f.path),
                services: desired.services.map((s) => s.name),
            });
        // The read goes beside the facts query (no round trip between them); a package installed after it
        // may have started a service or written a file, so the host is read again then.
        const [factsBefore, before] = await Promise.all([hostFacts(conn), read()]);
        const installed = desired.ensurePackages ? await ensurePackages(conn, factsBefore, desired.packages) : nothingInstalled();
        const [facts, after] = installed.names.length > 0 ? await Promise.all([hostFacts(conn), read()]) : [factsBefore, before];
        const snapshot = after === before ? before : { ...after, recovered: before.recovered };
        snapshot.states = await readStates(conn, desired.states);
        const plan: ChangePlan = planChanges(desired, snapshot, dropped);
        const result: ApplyResult = {
            hostKeyFingerprint: conn.hostKeyFingerprint,
            facts,
            changedFiles: [] as string[],
            changedServices: plan.services.map((w) => w.service.name),
            changedStates: plan.states.map((s) => s.name),
            installed,
            replacedDrift: driftReplaced(plan, snapshot),
            recovered: snapshot.recovered,
        };
        if (isNoop(plan)) return result;
        // Like Ansible, the declared content wins; unlike a silent overwrite, the user hears of it.
        for (const path of result.replacedDrift) reportProgress(`replace ${path}: it was changed on the host since the last apply`);

        const staged = await stageAndValidate(conn, dir, plan.files, snapshot.missingDirs, desired, redact);
        result.changedFiles = staged.map((c) => (c.action === "write" ? c.file.path : c.path));
        const checkpointed = staged.length > 0 || plan.states.length > 0;
        // Live states that may cut the host off are confirmed through a fresh connection (see steps/confirm).
        const confirming = desired.confirm !== undefined && plan.states.length > 0;
        const armedAt = Date.now();
        if (checkpointed) await swap(conn, dir, staged, snapshot, plan.services, desired, plan.states);
        // Commit-confirm keeps its fixed deadline: there the watchdog is the revert the user asked for.
        const stopRenewing = checkpointed && !confirming ? keepFresh(conn, `${dir}/txn/pending`, desired.rollbackTimeoutSeconds) : () => undefined;
        let live = conn;
        try {
            if (confirming) {
                const deadline = confirmDeadline(armedAt, desired.rollbackTimeoutSeconds);
                const confirmed = await applyStatesConfirmed(conn, connection, dir, plan.states, desired.confirm!, deadline, redact);
                live = confirmed.conn;
                result.reachedAt = confirmed.host;
                if (confirmed.failure) throw confirmed.failure;
            } else {
                await applyStates(conn, plan.states, redact);
            }
            const checks = verificationPhases(desired.services, desired.verifiers);
            if (plan.states.length === 0) {
                // Activation and the checks after it: one command.
                await runPhases(live, [...activationPhases(plan.services), ...checks], redact);
            } else {
                await runPhases(live, activationPhases(plan.services), redact);
                await verifyStates(live, plan.states, redact);
                await runPhases(live, checks, redact);
            }
        } catch (e) {
            stopRenewing();
            if (!checkpointed) throw e;
            if (e instanceof UnconfirmedChange) {
                forget(conn); // its address may be back after the revert, but this session is not to be trusted
                const outcome = await awaitRevert(connection, dir, armedAt, desired.rollbackTimeoutSeconds);
                throw new OnpremError("Apply", `the change was reverted: ${e.detail}\n${outcome}`, { host: conn.target, cause: e });
            }
            const rollbackError = await rollback(live, dir);
            if (live !== conn) live.client.end();
            const err = e as Error;
            const outcome = !rollbackError
                ? "the change was rolled back: the host keeps its previous files and services"
                : isOnpremError(rollbackError, "Connection")
                  ? `the connection is gone, so the host rolls the change back by itself within ${desired.rollbackTimeoutSeconds} s`
                  : "rolling the change back failed too";
            throw new OnpremError(isOnpremError(err) ? err.kind : "Apply", `${isOnpremError(err) ? err.detail : err.message}\n${outcome}`, {
                host: conn.target,
                output: isOnpremError(err) ? err.output : undefined,
                cause: err,
                rollbackError,
            });
        }
        stopRenewing();
        if (checkpointed) await commit(live, dir, result.changedFiles, dropped);
        if (live !== conn) live.client.end();
        return result;
    });
}

/**
 * Stages the changed files beside their targets and runs the validators on them. Nothing live changes
 * here; on failure the copies are removed at once, or, when the connection is gone, by the host itself
 * once `rollbackTimeoutSeconds` have passed without the controller (see `renderStagingGuardScript`).
 */
async function stageAndValidate(
    conn: PooledConnection,
    dir: string,
    changes: readonly FileChange[],
    createdDirs: readonly string[],
    desired: DesiredState,
    redact: (s: string) => string,
): Promise<StagedChange[]> {
    if (changes.length === 0) return [];
    const timeoutSeconds = desired.rollbackTimeoutSeconds;
    const stopRenewing = keepFresh(conn, `${dir}/txn/staging`, timeoutSeconds);
    // Where staging puts each copy: removed on failure even if the host's own list of them is gone.
    const copies = changes.map((c) => stagedPath(c.action === "write" ? c.file.path : c.path));
    try {
        const staged = await stage(conn, dir, changes, { guard: { stateDir: dir, timeoutSeconds, createdDirs }, validators: desired.validators, redact });
        if (staged.length === 0) await discardStaged(conn, dir, []); // only originals that were never recorded: nothing to swap
        return staged;
    } catch (e) {
        throw await withoutStaged(conn, dir, copies, timeoutSeconds, e);
    } finally {
        stopRenewing();
    }
}

/** Arms the rollback and swaps; a swap refused before its renames leaves no staged copies either. */
async function swap(
    conn: PooledConnection,
    dir: string,
    staged: readonly StagedChange[],
    snapshot: HostSnapshot,
    services: readonly ServiceWork[],
    desired: DesiredState,
    states: readonly StateSpec[],
): Promise<void> {
    try {
        await checkpointAndSwap(conn, dir, staged, snapshot, services, desired.rollbackTimeoutSeconds, states);
    } catch (e) {
        // The swap script finishes on the host even without the connection, and its watchdog undoes it.
        if (isOnpremError(e, "Connection")) throw e;
        // A swap that stopped part way: the rollback script undoes any rename (it does nothing before `pending`).
        await rollback(conn, dir);
        throw await withoutStaged(conn, dir, staged.flatMap((c) => (c.staged ? [c.staged] : [])), desired.rollbackTimeoutSeconds, e);
    }
}

/** Removes the staged copies after `e`; says in the error who removes them when the controller cannot. */
async function withoutStaged(conn: PooledConnection, dir: string, copies: readonly string[], timeoutSeconds: number, e: unknown): Promise<unknown> {
    const gone = await discardStaged(conn, dir, copies).then(
        () => false,
        (d: unknown) => isOnpremError(d, "Connection"),
    );
    if (!gone || !isOnpremError(e)) return e;
    return new OnpremError(e.kind, `${e.detail}\nnothing was swapped: the host keeps its previous files and removes the staged copies by itself within ${timeoutSeconds} s`, {
        host: conn.target,
        output: e.output,
        cause: e,
    });
}
