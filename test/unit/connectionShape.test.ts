import { strict as assert } from "node:assert";
import { test } from "node:test";
import type * as command from "@pulumi/command";
import { utils } from "ssh2";
import { connectionProblems, ConnectionSpec } from "../../provider/ssh/connection";
import type { ConnectionArgs } from "../../sdk/connection";

type CommandConnection = command.types.input.remote.ConnectionArgs;

// Compile-time: an object written for @pulumi/command's remote resources is accepted here, and ours there.
const fromCommand = (c: CommandConnection): ConnectionArgs => c;
const toCommand = (c: ConnectionArgs): CommandConnection => c;

// Real keys: the provider's rules parse `privateKey` (with its password) and check the `hostKey` line.
const encrypted = utils.generateKeyPairSync("ed25519", { passphrase: "pw", cipher: "aes256-ctr", rounds: 4 });
const jump = utils.generateKeyPairSync("ed25519");

test("one connection object serves @pulumi/command and pulumi-onprem", () => {
    const written: CommandConnection = {
        host: "10.0.0.11",
        port: 2222,
        user: "deploy",
        privateKey: encrypted.private,
        privateKeyPassword: "pw",
        dialErrorLimit: -1,
        perDialTimeout: 5,
        hostKey: jump.public,
        proxy: { host: "10.0.0.1", user: "jump", privateKey: jump.private },
    };
    const ours = fromCommand(written);
    assert.deepEqual(toCommand(ours), written);
    // The provider receives the same object resolved: it passes its rules unchanged.
    assert.deepEqual(connectionProblems(ours as ConnectionSpec), []);
});
