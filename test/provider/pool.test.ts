import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { hostConfigProvider as p, sshStats } from "../../provider";
import { closeAll } from "../../provider/ssh/pool";
import { inventory, onHost } from "../support/lab";
import { hostInputs } from "./support";

after(() => closeAll());

test("3 files on each of 3 hosts, as 2 resources per host, open exactly 3 SSH connections", async () => {
    const hosts = inventory().hosts.slice(0, 3);
    assert.equal(hosts.length, 3);
    for (const h of hosts) onHost(h, "rm -rf /etc/pool");
    const before = sshStats();
    const resources = hosts.flatMap((h) => [
        hostInputs(h, [{ path: "/etc/pool/a.conf", content: "a\n" }, { path: "/etc/pool/b.conf", content: "b\n" }]),
        hostInputs(h, [{ path: "/etc/pool/c.conf", content: "c\n" }]),
    ]);
    const created = await Promise.all(resources.map((r) => p.create(r)));
    const after = sshStats();
    assert.equal(after.handshakes - before.handshakes, 3, JSON.stringify(after.perHost));
    for (const h of hosts) assert.equal(onHost(h, "cat /etc/pool/a.conf /etc/pool/b.conf /etc/pool/c.conf"), "a\nb\nc\n");
    await Promise.all(created.map((c) => p.delete(c.id, c.outs)));
    assert.equal(sshStats().handshakes - before.handshakes, 3, "delete reuses the same connections");
    for (const h of hosts) assert.equal(onHost(h, "test -e /etc/pool && echo left || echo clean"), "clean\n");
});
