import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";

/** A one-file tar archive (ustar), enough for an image layer. */
function tarOf(name: string, content: string): Buffer {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    const field = (text: string, offset: number, length: number) => header.write(text, offset, length, "ascii");
    field(name, 0, 100);
    field("0000644\0", 100, 8);
    field("0000000\0", 108, 8);
    field("0000000\0", 116, 8);
    field(`${body.length.toString(8).padStart(11, "0")}\0`, 124, 12);
    field("00000000000\0", 136, 12);
    field("        ", 148, 8); // checksum counts as spaces while it is computed
    field("0", 156, 1);
    field("ustar\0", 257, 6);
    field("00", 263, 2);
    const sum = header.reduce((a, b) => a + b, 0);
    field(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
    const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
    body.copy(padded);
    return Buffer.concat([header, padded, Buffer.alloc(1024)]);
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export interface OciImage {
    /** The layout directory, for `skopeo copy oci:DIR:TAG`. */
    dir: string;
    tag: string;
    manifestDigest: string;
    layerDigest: string;
}

/** A tiny OCI image layout (one layer holding one file), written to `dir`, tagged `tag`. */
export function writeOciImage(dir: string, tag: string, fileContent: string): OciImage {
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    const put = (data: Buffer) => {
        const hex = sha(data);
        fs.writeFileSync(path.join(blobs, hex), data);
        return { digest: `sha256:${hex}`, size: data.length };
    };
    const layer = tarOf("hello.txt", fileContent);
    const layerBlob = put(layer);
    const config = put(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [layerBlob.digest] } })));
    const manifest = put(
        Buffer.from(
            JSON.stringify({
                schemaVersion: 2,
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
                layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layerBlob }],
            }),
        ),
    );
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(
        path.join(dir, "index.json"),
        JSON.stringify({
            schemaVersion: 2,
            manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": tag } }],
        }),
    );
    return { dir, tag, manifestDigest: manifest.digest, layerDigest: layerBlob.digest };
}

/** The first layer of the image tagged `tag` in an OCI layout, uncompressed (a tar archive). */
export function firstLayer(dir: string, tag: string): Buffer {
    const blob = (digest: string) => fs.readFileSync(path.join(dir, "blobs", "sha256", digest.slice("sha256:".length)));
    const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
    if (!entry) throw new Error(`no image tagged ${tag} in ${dir}`);
    const manifest = JSON.parse(blob(entry.digest).toString()) as { layers: { digest: string }[] };
    const layer = blob(manifest.layers[0].digest);
    // A registry push may compress the layer: gzip starts with 1f 8b.
    return layer[0] === 0x1f && layer[1] === 0x8b ? gunzipSync(layer) : layer;
}
