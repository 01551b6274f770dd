import { strict as assert } from "node:assert";
import { test } from "node:test";
import { desiredState } from "../../provider/dynamic/hostConfigInputs";

test("a file that holds a secret and names no mode is written 0600; a mode given is kept; others keep the default", () => {
    const files = desiredState({
        connection: { host: "h" },
        key: "k",
        kind: "file",
        files: [
            { path: "/a", content: "token = {{secret:t}}\n" },
            { path: "/b", content: "token = {{secret:t}}\n", mode: "0640" },
            { path: "/c", content: "plain\n" },
        ],
        secrets: { t: "x" },
    }).files;
    assert.deepEqual(files.map((f) => f.mode), ["0600", "0640", undefined]);
});
