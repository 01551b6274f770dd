/**
 * A power loss mid-transaction, as far as the netns lab can play it (its hosts cannot reboot): the
 * controller's connections are cut at a step, the host's sleepers die without a word (SIGKILL of their
 * process groups, as a power cut would end them), and the boot unit's re-arm is run by hand. The host
 * must come back old or new, with nothing beside its target, and the next apply converge.
 */
import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { hostConfigProvider as p } from "../../provider";
import { RECOVERY_UNIT_PATH } from "../../provider/contract/recoveryUnit";
import { desiredState, HostConfigInputs } from "../../provider/dynamic/hostConfigInputs";
import { renderRearmScript } from "../../provider/host/recovery";
import { applyHostState } from "../../provider/host/transaction";
import { closeAll } from "../../provider/ssh/pool";
import { eventually, labHost, onHost } from "../support/lab";
import { CUT_SSH, hostInputs, leftovers, rejection } from "./support";

const h = labHost(0);
const TIMEOUT = 10; // the host's own clean-up and rollback deadline, in seconds
after(() => closeAll());

const STATE_FILE = "/etc/power-loss/live";
/** A live state, applied after the swap and before activation; `cut` makes its apply drop the controller. */
const liveState = (cut: boolean) => ({
    name: "power-loss live state",
    read: `cat ${STATE_FILE} 2>/dev/null; true`,
    expected: "on\n",
    apply: `echo on > ${STATE_FILE}${cut ? ` && ${CUT_SSH}` : ""}`,
    remove: `rm -f ${STATE_FILE}`,
});

/** Where a cut lands and how: the controller's connections die there. */
const CUTS: { step: string; over: (path: string) => Partial<HostConfigInputs> }[] = [
    { step: "after staging (validating the staged copy)", over: (path) => ({ validators: [{ description: "config test", command: `test -s {{staged:${path}}} && ${CUT_SSH}` }] }) },
    { step: "after the swap, before activation (a live state)", over: () => ({ states: [liveState(true)] }) },
    { step: "during verification", over: (path) => ({ verifiers: [{ description: "check", command: `grep -q new ${path} && ${CUT_SSH}` }] }) },
];

/** What the power cut does to the sleepers, then what the boot unit does: started in the background, as systemd would. */
function powerCycle(stateDir: string): string[] {
    const killed = onHost(h, `for f in ${stateDir}/txn/cleaner.pid ${stateDir}/txn/watchdog.pid; do [ -s $f ] && kill -s KILL -- -$(cat $f) && echo \${f##*/}; done; true`).split("\n").filter(Boolean);
    onHost(h, `setsid sh -c '${renderRearmScript()}' </dev/null >/dev/null 2>&1 &`);
    return killed;
}

/** fault | step | sleepers killed | after recovery | leftovers | time to recover (s) */
const rows: string[] = [];

for (const [i, cut] of CUTS.entries()) {
    test(`power lost ${cut.step}: the re-armed host comes back old, with nothing left; the next apply converges and the one after changes nothing`, async (t) => {
        const dir = `/etc/power-loss`;
        const path = `${dir}/a${i}.conf`;
        onHost(h, `mkdir -p ${dir} && rm -f ${dir}/.a${i}.conf.* ${STATE_FILE}`);
        const old = hostInputs(h, [{ path, content: "old\n" }], { rollbackTimeoutSeconds: TIMEOUT });
        const { id, outs } = await p.create(old);
        const stateDir = `/var/lib/pulumi-onprem/${id}`;
        const sum = () => onHost(h, `cat ${path}; test -e ${STATE_FILE} && echo live || true`);
        assert.equal(sum(), "old\n");

        const news: HostConfigInputs = { ...old, files: [{ path, content: "new\n" }], states: [liveState(false)] };
        const err = await rejection(p.update(id, outs, { ...news, ...cut.over(path) }));
        const cutAt = Date.now();
        assert.equal(err.kind, "Connection", err.message);
        const killed = powerCycle(stateDir);
        assert.ok(killed.length > 0, "a sleeper was armed, and the power cut ended it");

        await eventually("the host finished the interrupted transaction by itself", () => leftovers(h).length === 0 && onHost(h, `ls ${stateDir}/txn 2>/dev/null | grep -E '^(pending|staging)' || true`) === "", (TIMEOUT + 6) * 1000, 250);
        const recovered = (Date.now() - cutAt) / 1000;
        assert.equal(sum(), "old\n", "old: the file and the live state as before the transaction");
        assert.equal(onHost(h, `test -e ${RECOVERY_UNIT_PATH} && echo unit || echo none`), "none\n", "no systemd here: no unit");
        rows.push(`power loss | ${cut.step} | ${killed.join(", ")} | old | ${leftovers(h).length} | ${recovered.toFixed(1)}`);
        t.diagnostic(rows[rows.length - 1]);

        // The next apply converges; the one after finds nothing to do.
        const { outs: converged } = await p.update(id, outs, news);
        assert.equal(sum(), "new\nlive\n", "new");
        const again = await applyHostState(news.connection, id, desiredState(news));
        assert.deepEqual([again.changedFiles, again.changedStates, again.changedServices, again.recovered], [[], [], [], false], "a second apply changes nothing");
        assert.deepEqual(leftovers(h), []);
        await p.delete(id, converged);
        assert.equal(onHost(h, `test -e ${path} && echo left || echo gone; test -e ${stateDir} && echo state || echo clean`), "gone\nclean\n");
    });
}
