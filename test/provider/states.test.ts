import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { hostConfigProvider as p } from "../../provider";
import type { StateSpec } from "../../provider/contract/desired";
import { closeAll } from "../../provider/ssh/pool";
import { labHost, onHost } from "../support/lab";
import { hostInputs, rejection } from "./support";

const h = labHost(1);
after(() => closeAll());

/** Addresses on the second interface as live state: apply converges exactly (flush, then add). */
const addresses = (...cidrs: string[]): StateSpec => ({
    name: "eth1 addresses",
    read: "ip -o -4 addr show dev eth1 | awk '{print $4}' | sort",
    expected: [...cidrs].sort().join("\n"),
    apply: ["ip addr flush dev eth1", ...cidrs.map((c) => `ip addr add ${c} dev eth1`)].join(" && "),
    remove: "ip addr flush dev eth1",
});
const live = () => onHost(h, "ip -o -4 addr show dev eth1 | awk '{print $4}' | sort").trim();

test("live state: applied after files, drift seen on refresh, undone on rollback, removed on delete", async () => {
    onHost(h, "ip addr flush dev eth1");
    const net = h.underlayAddress.replace(/\.\d+\/\d+$/, "");
    const [a, b] = [`${net}.61/24`, `${net}.62/24`];
    const inputs = hostInputs(h, [{ path: "/etc/onprem-state.conf", content: "x\n" }], { states: [addresses(a)] });
    const { id, outs } = await p.create(inputs);
    assert.equal(live(), a);
    assert.deepEqual((await p.read(id, outs)).props!.states, outs.states, "no drift");

    onHost(h, `ip addr del ${a} dev eth1`);
    const drift = await p.read(id, outs);
    assert.equal(drift.props!.states![0].expected, "", "refresh shows what the host has now");
    const repaired = await p.update(id, drift.props!, inputs);
    assert.equal(live(), a);
    assert.equal(JSON.stringify(repaired.outs).includes('"undo"'), false, "bookkeeping stays out of the state");

    // A change whose verification fails: the new address is undone, the old one comes back.
    const failing = { ...inputs, states: [addresses(b)], verifiers: [{ description: "always fails", command: "false", attempts: 1 }] };
    const err = await rejection(p.update(id, outs, failing));
    assert.match(err.message, /always fails failed[\s\S]*rolled back/);
    assert.equal(live(), a, "the previous apply ran again as the undo");

    await p.update(id, outs, { ...inputs, states: [addresses(a, b)] });
    assert.equal(live(), [a, b].sort().join("\n"));
    await p.delete(id, { ...outs, states: [addresses(a, b)] });
    assert.equal(live(), "", "delete removed the live state");
    assert.equal(onHost(h, "test -e /etc/onprem-state.conf && echo yes || echo no"), "no\n");
});
