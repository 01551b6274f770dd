/** Pushes to a registry alongside a garbage collection, to see what its read-only window refuses. */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeOciImage } from "./oci";

/** skopeo as the tests run it: no signature policy, its exit code and output. */
export function skopeo(args: string[]): { code: number; out: string } {
    const r = spawnSync("skopeo", ["--insecure-policy", ...args], { encoding: "utf8", timeout: 120_000 });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** The Accept header for an image manifest as registries store it. */
const MANIFEST_ACCEPT = { Accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" };

/**
 * A collection's starting point: two tags of `app` (1.0 kept, 2.0 deleted through the API), each with a
 * random layer of its own (a registry may compress layers; these stay about 200 kB). Returns the kept
 * image and the deleted tag's layer, by the registry's own digest.
 */
export async function twoTagsOneDeleted(base: string, work: string, get: (url: string, init?: RequestInit) => Promise<Response> = fetch): Promise<{ kept: { dir: string; tag: string }; goneLayer: string }> {
    const kept = writeOciImage(path.join(work, "kept"), "1.0", randomBytes(150_000).toString("base64"));
    const gone = writeOciImage(path.join(work, "gone"), "2.0", randomBytes(150_000).toString("base64"));
    for (const image of [kept, gone]) {
        const push = skopeo(["copy", "--dest-tls-verify=false", `oci:${image.dir}:${image.tag}`, `docker://${base.replace("http://", "")}/app:${image.tag}`]);
        assert.equal(push.code, 0, push.out);
    }
    const manifest = await get(`${base}/v2/app/manifests/${gone.tag}`, { headers: MANIFEST_ACCEPT });
    const digest = manifest.headers.get("docker-content-digest")!;
    const goneLayer = ((await manifest.json()) as { layers: { digest: string }[] }).layers[0].digest;
    assert.equal((await get(`${base}/v2/app/manifests/${digest}`, { method: "DELETE" })).status, 202, "the tag is deleted through the API");
    return { kept, goneLayer };
}

/** A blob push (its HTTP status, "000" for no answer) and the pull of the kept manifest after it. */
type Attempt = { n: number; code: string; digest: string; pull: string };
/** A whole image pushed with skopeo: its repository, exit code and output. */
type ImagePush = { repo: string; code: number; out: string };

/**
 * While it runs: a fresh blob pushed every 50 ms (POST then PUT: 201 means stored, and a refused one must
 * not be), each followed by a pull of `app:<image's tag>`'s manifest, and whole images pushed with skopeo
 * one after another, each to a repository of its own. In shells of their own, so that `pulumi up`, run
 * synchronously, cannot stall them.
 */
export function pushWhileCollecting(base: string, image: { dir: string; tag: string }, work: string): { stop(): Promise<{ attempts: Attempt[]; images: ImagePush[] }> } {
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
        "  # And a pull of the kept image's manifest: pulls keep working while pushes are refused.",
        `  pull=$(curl -s -o /dev/null -w '%{http_code}' -H ${JSON.stringify(`Accept: ${MANIFEST_ACCEPT.Accept}`)} ${base}/v2/app/manifests/${image.tag})`,
        '  echo "$n $code $digest $pull"',
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
            const attempts = text.trim().split("\n").filter((l) => l.split(" ").length === 4).map((l) => {
                const [n, code, digest, pull] = l.split(" ");
                return { n: Number(n), code, digest, pull };
            });
            const images = (fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "").trim().split("\n").filter(Boolean).map((l) => {
                const [n, code] = l.split(" ");
                return { repo: `push-${n}`, code: Number(code), out: fs.readFileSync(`${out}.${n}`, "utf8") };
            });
            return { attempts, images };
        },
    };
}

/**
 * An image as the registry serves it: no tag ("absent"), a tag whose manifest and every blob it names are
 * there ("whole"), or anything else ("half").
 */
async function imageState(base: string, repo: string, tag: string, get: (url: string, init?: RequestInit) => Promise<Response>): Promise<"absent" | "whole" | "half"> {
    const manifest = await get(`${base}/v2/${repo}/manifests/${tag}`, { headers: MANIFEST_ACCEPT });
    if (manifest.status === 404) return "absent";
    if (manifest.status !== 200) return "half";
    const body = (await manifest.json()) as { config: { digest: string }; layers: { digest: string }[] };
    for (const d of [body.config.digest, ...body.layers.map((l) => l.digest)]) {
        if ((await get(`${base}/v2/${repo}/blobs/${d}`, { method: "HEAD" })).status !== 200) return "half";
    }
    return "whole";
}

/**
 * Pulls answered while pushes were refused: every pull answered 200, or nothing during a restart (000),
 * never "manifest unknown"; and at least one pull answered during the read-only window.
 */
function assertPullsServed(attempts: readonly Attempt[]): void {
    const odd = attempts.filter((a) => a.pull !== "200" && a.pull !== "000");
    assert.deepEqual(odd.map((a) => `${a.n}: ${a.pull}`), [], "the kept image's manifest answers every pull the registry answers");
    const servedReadOnly = attempts.filter((a) => a.code === "405" && a.pull === "200").length;
    assert.ok(servedReadOnly > 0, `pulls are served while pushes are refused: ${attempts.map((a) => `${a.code}/${a.pull}`).join(" ")}`);
}

/**
 * What the read-only window must show, from the pushes made alongside a collection: a blob push refused
 * (405) and not stored, pulls served meanwhile, every stored image whole, and a refused image absent or
 * whole (the registry may store a manifest and lose the answer to a restart), never half. Returns a
 * one-line summary of the pushes.
 */
export async function assertWindowSafe(base: string, tag: string, attempts: readonly Attempt[], images: readonly ImagePush[], get: (url: string, init?: RequestInit) => Promise<Response> = fetch): Promise<string> {
    const codes = attempts.map((a) => a.code);
    assert.ok(codes.includes("405"), `a push during the collection is refused: ${codes.join(" ")}`);
    assertPullsServed(attempts);
    for (const a of attempts.filter((x) => x.code === "405")) assert.equal((await get(`${base}/v2/probe/blobs/${a.digest}`, { method: "HEAD" })).status, 404, `refused blob ${a.n} was not stored`);
    for (const i of images) {
        const state = await imageState(base, i.repo, tag, get);
        if (i.code === 0) assert.equal(state, "whole", `${i.repo}: a stored image is whole`);
        else assert.notEqual(state, "half", `${i.repo}: a refused image left no tag, or a whole image`);
    }
    const count = (c: string) => codes.filter((x) => x === c).length;
    const refused = images.filter((i) => i.code !== 0).length;
    return `blob pushes alongside: ${count("201")} stored, ${count("405")} refused (read-only), ${codes.length - count("201") - count("405")} unanswered (restarts); whole images: ${images.length - refused} stored, ${refused} refused`;
}
