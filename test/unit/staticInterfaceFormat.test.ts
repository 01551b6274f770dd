/**
 * `format: "auto"` as a value kept in state: the derivation connects only when it keeps no usable facts
 * for the host, and `check` keeps no credentials. The read itself runs against lab hosts (e2e).
 */
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { utils } from "ssh2";
import type { StaticInterfaceFormatValue } from "../../provider/derive/staticInterfaceFacts";
import { parseManagers, staticInterfaceFormat } from "../../provider/derive/staticInterfaceFormat";
import { check } from "../../provider/dynamic/derived";
import { UNKNOWN } from "../../provider/dynamic/unknown";

const debian: StaticInterfaceFormatValue = {
    target: "root@10.0.0.11:22",
    facts: { osFamily: "debian", osId: "debian", osVersion: "12", tools: { ifup: true, netplan: false, nmcli: false } },
};
/** A connection that passes the connection rules and fails the test if anything dials it. */
const nowhere = { host: "192.0.2.1", perDialTimeout: 1, dialErrorLimit: 1, privateKey: utils.generateKeyPairSync("ed25519").private };

describe("staticInterfaceFormat", () => {
    test("an explicit format reads nothing and keeps no facts", async () => {
        assert.deepEqual(await staticInterfaceFormat({ format: "netplan", target: debian.target }, debian, nowhere), { target: debian.target });
    });
    test("auto with facts kept for the same host: the kept value, no connection", async () => {
        assert.equal(await staticInterfaceFormat({ format: "auto", target: debian.target }, debian, nowhere), debian);
    });
    test("auto with nothing kept and no known connection (preview): not known yet", async () => {
        assert.equal(await staticInterfaceFormat({ format: "auto", target: "root@10.0.0.12:22" }, debian, undefined), undefined);
        const broken = { ...debian, facts: { ...debian.facts!, tools: { ifup: false } } };
        assert.equal(await staticInterfaceFormat({ format: "auto", target: debian.target }, broken, undefined), undefined, "kept facts that give no format are read again");
    });
});

describe("parseManagers", () => {
    test("netplan's generated files and NetworkManager's managed devices; netplan wins where both name a device", () => {
        const out = ["netplan eth1", "networkmanager eth1", "networkmanager eth2", "networkmanager lo", "", "garbage", "other eth3"].join("\n");
        assert.deepEqual(parseManagers(out), { eth1: "netplan", eth2: "networkmanager", lo: "networkmanager" });
        assert.deepEqual(parseManagers(""), {});
    });
});

describe("DerivedValue check with a connection", () => {
    test("the value is derived from what is kept; the connection is not kept", async () => {
        const olds = { derivation: "staticInterfaceFormat" as const, input: { format: "auto", target: debian.target }, value: debian };
        const r = await check(olds, { ...olds, value: undefined, connection: nowhere });
        assert.deepEqual(r.inputs, { derivation: "staticInterfaceFormat", input: olds.input, value: debian });
    });
    test("a read needed while the connection is not known: the value is not known", async () => {
        const news = { derivation: "staticInterfaceFormat" as const, input: { format: "auto", target: debian.target }, connection: { host: UNKNOWN } };
        assert.equal((await check(undefined, news)).inputs?.value, UNKNOWN);
    });
});
