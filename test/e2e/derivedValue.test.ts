import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { test } from "node:test";
import { exampleProject, setObjectConfig } from "../support/pulumi";

test("DerivedValue: known at preview, kept in state, a host keeps its slot while others come and go", async (t) => {
    const p = exampleProject("test/e2e/programs/derived-slots");
    t.after(() => fs.rmSync(p.dir, { recursive: true, force: true }));

    setObjectConfig(p, { hosts: ["a", "b", "c"] });
    assert.match(p.pulumi(["preview", "--diff"]).out, /layout\s*:\s*"a=1,b=2,c=3"/, "the value is known at the first preview");
    p.pulumi(["up", "--yes"]);
    assert.equal(p.pulumi(["stack", "output", "layout"]).out.trim(), "a=1,b=2,c=3");

    // b leaves and d joins: a and c stay where they were; d does not take b's slot in the same update.
    setObjectConfig(p, { hosts: ["a", "c", "d"] });
    const preview = p.pulumi(["preview", "--diff"]).out;
    assert.match(preview, /layout: "a=1,b=2,c=3" => "a=1,c=3,d=4"/, `preview shows the new value:\n${preview}`);
    assert.match(preview, /- b: 2/);
    assert.match(preview, /\+ d: 4/);
    p.pulumi(["up", "--yes"]);

    // Later, the freed slot is reused; a rerun with nothing changed changes nothing.
    setObjectConfig(p, { hosts: ["a", "c", "d", "e"] });
    p.pulumi(["up", "--yes"]);
    assert.equal(p.pulumi(["stack", "output", "layout"]).out.trim(), "a=1,c=3,d=4,e=2");
    assert.match(p.pulumi(["preview", "--expect-no-changes"]).out, /2 unchanged/);
});
