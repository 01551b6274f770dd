/** Pushes to a registry alongside a garbage collection, to see what its read-only window refuses. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * While it runs: a fresh blob pushed every 50 ms (POST then PUT: 201 means stored, and a refused one must
 * not be), and whole images pushed with skopeo one after another, each to a repository of its own. In
 * shells of their own, so that `pulumi up`, run synchronously, cannot stall them.
 */
export function pushWhileCollecting(base: string, image: { dir: string; tag: string }, work: string): { stop(): Promise<{ attempts: { n: number; code: string; digest: string }[]; images: { repo: string; code: number; out: string }[] }> } {
    const out = path.join(work, "skopeo.out");
    // A blob push as clients do it: POST opens an upload, PUT with the digest stores it (201).
    const script = [
        `hdr=${path.join(work, "headers")}`,
        "n=0",
        "while :; do",
        "  n=$((n+1)); body=\"probe $n $EPOCHREALTIME\"; digest=sha256:$(printf '%s' \"$body\" | sha256sum | cut -d' ' -f1)",
        `  code=$(curl -s -o /dev/null -D "$hdr" -w '%{http_code}' -X POST ${base}/v2/probe/blobs/uploads/)`,
        '  if [ "$code" = 202 ]; then',
        "    loc=$(grep -i '^location:' \"$hdr\" | cut -d' ' -f2 | tr -d '\\r')",
        "    code=$(printf '%s' \"$body\" | curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' --data-binary @- \"$loc&digest=$digest\")",
        "  fi",
        '  echo "$n $code $digest"',
        "  sleep 0.05",
        "done",
    ].join("\n");
    // Whole images too, one repository per attempt, as a client would push them.
    const pushes = [
        "n=0",
        "while :; do",
        "  n=$((n+1))",
        `  skopeo --insecure-policy copy --dest-tls-verify=false oci:${image.dir}:${image.tag} docker://${base.replace("http://", "")}/push-$n:${image.tag} > ${out}.$n 2>&1; echo "$n $?" >> ${out}`,
        "done",
    ].join("\n");
    const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
    const pusher = spawn("bash", ["-c", pushes], { stdio: "ignore" });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    return {
        async stop() {
            for (const c of [child, pusher]) {
                c.kill();
                await new Promise((r) => c.once("exit", r));
            }
            const attempts = text.trim().split("\n").filter((l) => l.split(" ").length === 3).map((l) => {
                const [n, code, digest] = l.split(" ");
                return { n: Number(n), code, digest };
            });
            const images = (fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "").trim().split("\n").filter(Boolean).map((l) => {
                const [n, code] = l.split(" ");
                return { repo: `push-${n}`, code: Number(code), out: fs.readFileSync(`${out}.${n}`, "utf8") };
            });
            return { attempts, images };
        },
    };
}
