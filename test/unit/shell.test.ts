import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { shCommand, shellQuote } from "../../provider/contract/shell";

const nasty = ["plain", "", "it's", "a b", "$(touch /tmp/pwned)", "`x`", "\"q\"", "new\nline", "back\\slash", "*", "-n", "ünïcode"];

test("shellQuote: every value reaches sh unchanged", () => {
    for (const v of nasty) {
        const out = execFileSync("sh", ["-c", `printf '%s' ${shellQuote(v)}`]).toString();
        assert.equal(out, v);
    }
});

test("shCommand: arguments arrive as $1.. without being evaluated", () => {
    const cmd = shCommand('for a in "$@"; do printf "[%s]" "$a"; done', nasty);
    const out = execFileSync("sh", ["-c", cmd]).toString();
    assert.equal(out, nasty.map((v) => `[${v}]`).join(""));
});
