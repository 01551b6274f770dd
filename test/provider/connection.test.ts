import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { hostConfigProvider as p } from "../../provider";
import { hostFacts } from "../../provider/host/facts";
import { closeAll, connect } from "../../provider/ssh/pool";
import { withProgress } from "../../provider/ssh/progress";
import { connectionFor, eventually, labHost, onHost } from "../support/lab";
import { hostInputs } from "./support";

const h1 = labHost(0);
const h2 = labHost(1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-conn-"));
after(() => {
    closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
});

test("through a jump host: the target is reached via the proxy's connection", async () => {
    const inputs = hostInputs(h2, [{ path: "/etc/via-jump.conf", content: "jumped\n" }]);
    inputs.connection.proxy = { ...connectionFor(h1) };
    const { id, outs } = await p.create(inputs);
    assert.equal(onHost(h2, "cat /etc/via-jump.conf"), "jumped\n");
    // sshd on h2 saw the connection come from h1's address, not from the machine's bridge address.
    assert.match(onHost(h2, "ss -tnH state established '( sport = :22 )'"), new RegExp(`${h1.address.replace(/\./g, "\\.")}:\\d+`));
    await p.delete(id, outs);
});

test("an encrypted private key with privateKeyPassword, and an ssh-agent socket", async () => {
    const key = path.join(dir, "enc_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "k3y-pass", "-C", "test-enc", "-f", key]);
    const pub = fs.readFileSync(`${key}.pub`, "utf8").trim();
    onHost(h1, `echo '${pub}' >> /root/.ssh/authorized_keys`);
    try {
        const enc = await connect(connectionFor(h1, { privateKey: fs.readFileSync(key, "utf8"), privateKeyPassword: "k3y-pass" }));
        assert.equal((await hostFacts(enc)).osFamily, "debian");

        // An agent we start ourselves (stopped by PID), holding the lab key.
        const socket = path.join(dir, "agent.sock");
        const agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
        try {
            await eventually("the agent socket", () => fs.existsSync(socket));
            execFileSync("ssh-add", [h1.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: "ignore" });
            const viaAgent = await connect(connectionFor(h1, { privateKey: undefined, agentSocketPath: socket }));
            assert.notEqual(viaAgent.key, enc.key, "different credentials, different pooled connections");
            assert.equal((await hostFacts(viaAgent)).osFamily, "debian");
        } finally {
            agent.kill();
        }
    } finally {
        onHost(h1, "sed -i '/test-enc$/d' /root/.ssh/authorized_keys");
    }
});

test("a wrong privateKeyPassword fails without retrying, as a permission problem", async () => {
    const key = path.join(dir, "enc2_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "right", "-f", key]);
    // Each retry is announced as a progress line: counted, not timed (a busy machine stretches any bound).
    const lines: string[] = [];
    const err = await withProgress((l) => lines.push(l), () => connect(connectionFor(h1, { privateKey: fs.readFileSync(key, "utf8"), privateKeyPassword: "wrong", dialErrorLimit: 5 }))).then(
        () => undefined,
        (e: Error & { kind: string }) => e,
    );
    assert.ok(err, "connecting should fail");
    assert.match(err!.message, new RegExp(`^root@${h1.address.replace(/\./g, "\\.")}`));
    assert.deepEqual(lines.filter((l) => /retrying/.test(l)), [], "a key that cannot be decrypted is not retried");
});
