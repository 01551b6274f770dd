/**
 * Messages to the Pulumi CLI from inside the dynamic provider: what happened on each host, as it happens
 * (ephemeral status lines) and as a summary when a host is done, the way Ansible and pyinfra users see it.
 * The engine's address is the provider process's first argument; outside that process (unit tests call
 * the provider directly) nothing is sent. Messages carry step descriptions and paths, never values.
 */
import * as path from "path";

type Severity = "debug" | "info" | "warning";
interface EngineClient {
    log(request: unknown, callback: (err: Error | null) => void): void;
}

let client: EngineClient | null | undefined;
let proto: { LogRequest: new () => { setSeverity(v: number): void; setMessage(v: string): void; setEphemeral(v: boolean): void }; LogSeverity: Record<string, number> };

function engine(): EngineClient | null {
    if (client !== undefined) return client;
    client = null;
    const address = process.argv[2];
    if (!/dynamic-provider/.test(process.argv[1] ?? "") || !address) return client;
    try {
        // The engine's own gRPC stubs, as the installed @pulumi/pulumi ships them.
        const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
        const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
        const stubs = require(path.join(pulumiDir, "proto/engine_grpc_pb.js"));
        proto = require(path.join(pulumiDir, "proto/engine_pb.js"));
        client = new stubs.EngineClient(address, grpc.credentials.createInsecure()) as EngineClient;
    } catch {
        client = null; // an SDK without these files: no progress lines, nothing else changes
    }
    return client;
}

/** Sends one line; never fails the operation it reports on. */
export function engineLog(message: string, opts: { severity?: Severity; ephemeral?: boolean } = {}): Promise<void> {
    const c = engine();
    if (!c) return Promise.resolve();
    const req = new proto.LogRequest();
    req.setSeverity(proto.LogSeverity[(opts.severity ?? "info").toUpperCase()]);
    req.setMessage(message);
    req.setEphemeral(opts.ephemeral ?? false);
    return new Promise((resolve) => c.log(req, () => resolve()));
}
