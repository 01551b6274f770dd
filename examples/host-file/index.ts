import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { HostFile } from "pulumi-onprem";

/** A host as listed in stack config (the lab's inventory entries have this shape). */
interface HostEntry {
    name: string;
    address: string;
    port?: number;
    user?: string;
    privateKeyPath: string;
    hostPublicKey: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const paths = config.getObject<string[]>("paths") ?? ["/etc/pulumi-onprem-demo.conf"];
const message = config.get("message") ?? "managed by pulumi-onprem";
const token = config.requireSecret("token");

const files = hosts.flatMap((h) =>
    paths.map(
        (path, i) =>
            new HostFile(`${h.name}-${i}`, {
                connection: {
                    host: h.address,
                    port: h.port,
                    user: h.user,
                    privateKey: fs.readFileSync(h.privateKeyPath, "utf8"),
                    hostKey: h.hostPublicKey,
                },
                path,
                // The token never appears in the program's diff or state: only its placeholder does.
                content: `# ${message}\nmessage = ${message}\ntoken = {{secret:token}}\n`,
                secrets: { token },
                mode: "0640",
            }),
    ),
);

export const hostKeys = Object.fromEntries(hosts.map((h, i) => [h.name, files[i * paths.length].hostKeyFingerprint]));
