import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Duplex } from "node:stream";
import { after, test } from "node:test";
import { coalesceWrites, sshSocket } from "../../provider/ssh/socket";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ssh-socket-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What ssh2 does for one packet without its native crypto binding: length, ciphertext, tag. */
const packet = [Buffer.from([0, 0, 0, 28]), Buffer.alloc(28, 7), Buffer.alloc(16, 9)];

test("the writes of one tick reach the stream in one writev", async () => {
    const calls: number[][] = [];
    const sink = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, cb) {
            calls.push([chunk.length]);
            cb();
        },
        writev(chunks, cb) {
            calls.push(chunks.map((c) => (c.chunk as Buffer).length));
            cb();
        },
    });
    coalesceWrites(sink);
    for (const part of packet) sink.write(part);
    await new Promise((r) => setImmediate(r));
    for (const part of packet) sink.write(part);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, [[4, 28, 16], [4, 28, 16]]);
});

test("sshSocket keeps coalescing once connected (connect() puts back the prototype's write)", async () => {
    // A Unix socket: the same net.Socket code path, no network traffic.
    const where = path.join(dir, "server.sock");
    let serverSide!: (bytes: Buffer) => void;
    const received = new Promise<Buffer>((r) => (serverSide = r));
    const server = net.createServer((c) => {
        const parts: Buffer[] = [];
        c.on("data", (d) => parts.push(d));
        c.on("end", () => serverSide(Buffer.concat(parts)));
    });
    await new Promise<void>((r) => server.listen(where, r));
    const sock = sshSocket({ path: where });
    try {
        await new Promise((r) => sock.once("connect", r));
        for (const part of packet) sock.write(part);
        assert.equal(sock.writableCorked, 1, "the packet's three writes wait for the end of the tick");
        assert.equal(sock.writableLength, 48);
        await new Promise((r) => setImmediate(r));
        assert.equal(sock.writableCorked, 0);
        sock.end();
        assert.deepEqual(await received, Buffer.concat(packet));
    } finally {
        sock.destroy();
        server.close();
    }
});
