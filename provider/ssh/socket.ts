import { NetConnectOpts, Socket } from "net";
import type { Duplex } from "stream";

/**
 * A TCP connection for ssh2 that sends each SSH packet as one segment.
 *
 * Every exchange is a small request waiting for a small answer: Nagle's algorithm meeting the peer's
 * delayed ACKs would cost about 40 ms per round trip, so Nagle is off. But ssh2 hands each packet to
 * the socket in three writes (length, ciphertext, authentication tag) when its native crypto binding
 * is not built (npm builds it only where a compiler is found): without Nagle, and uncorked, each packet
 * would leave as three segments, three system calls and three wake-ups of the peer's sshd.
 */
export function sshSocket(to: NetConnectOpts): Socket {
    const sock = new Socket().connect(to);
    sock.setNoDelay(true);
    // after connect(), which puts back the prototype's write
    coalesceWrites(sock);
    return sock;
}

/** The writes of one tick leave together: the stream is corked at the first and uncorked after the tick. */
export function coalesceWrites(stream: Duplex): void {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    let corked = false;
    stream.write = ((...args: unknown[]) => {
        if (!corked) {
            corked = true;
            stream.cork();
            process.nextTick(() => {
                corked = false;
                stream.uncork();
            });
        }
        return write(...args);
    }) as typeof stream.write;
}
