/**
 * The rules of `tls: { mode: "provided" }`: PEM of the right kind in each field, a certificate chain
 * that parses, is not expired and names what clients use, and the key that belongs to it. Rules follow
 * what the registry (Go's crypto/tls) and Docker's daemon (Go's crypto/x509) accept. The key is a
 * secret: messages describe it, never quote it. `now` is the only input besides the spec.
 */
import { createPrivateKey, createPublicKey, KeyObject } from "node:crypto";
import type * as X509 from "@peculiar/x509";
import { isHostName } from "../../contract/inputRules";
import { parseIp } from "../../model/address";
import type { RegistryDraft } from "./model";
import { isWildcard } from "./plan";
import { quoted as q } from "../../contract/issue";

type Add = (field: string, rule: string) => void;

/** Loaded on first use: only a registry with its own certificate pays its 0.1 s of module loading. */
let x509Module: typeof X509 | undefined;
function loadX509(): typeof X509 {
    return (x509Module ??= require("@peculiar/x509") as typeof X509);
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const PRIVATE_KEY_LABEL = /^(|RSA |EC |DSA |ENCRYPTED |OPENSSH )PRIVATE KEY$/;

interface PemBlock {
    label: string;
    /** The block as PEM, for a parser. */
    text: string;
}

/** The PEM blocks in text, and whether anything but blocks and whitespace is left over or a body is not base64. */
function pemBlocks(text: string): { blocks: PemBlock[]; leftover: boolean; badBody: boolean } {
    const blocks: PemBlock[] = [];
    let badBody = false;
    for (const m of text.matchAll(PEM_BLOCK)) {
        blocks.push({ label: m[1], text: m[0] });
        // Encrypted legacy keys carry "Proc-Type:" headers: let them through here, they are reported by label.
        const body = m[2].replace(/^[A-Za-z-]+:.*$/gm, "");
        if (!/^[A-Za-z0-9+/=\s]+$/.test(body)) badBody = true;
    }
    const leftover = text.replace(PEM_BLOCK, "").trim() !== "";
    return { blocks, leftover, badBody };
}

export function validateProvidedTls(spec: RegistryDraft, certificate: unknown, key: unknown, add: Add, now: Date): void {
    const leaf = validateCertificate(spec, certificate, add, now);
    const privateKey = validateKey(key, add);
    if (leaf && privateKey && !sameSpki(createPublicKey(privateKey), leaf.publicKey.rawData)) {
        add("tls.key", "is not the key of `tls.certificate`: its public key differs from the server certificate's (the first block)");
    }
}

/** The server certificate when the field is a chain of certificates that parse; every broken rule is added. */
function validateCertificate(spec: RegistryDraft, certificate: unknown, add: Add, now: Date): X509.X509Certificate | undefined {
    if (typeof certificate !== "string") {
        add("tls.certificate", "is required: the server certificate in PEM");
        return undefined;
    }
    const { blocks, leftover, badBody } = pemBlocks(certificate);
    // Not a secret field: a key put here is named as such and never quoted.
    if (blocks.some((b) => PRIVATE_KEY_LABEL.test(b.label))) {
        add("tls.certificate", "holds a private key, not only certificates: the key belongs in `tls.key` (a secret)");
        return undefined;
    }
    if (blocks.length === 0 || leftover || badBody || blocks.some((b) => b.label !== "CERTIFICATE")) {
        add("tls.certificate", 'is not PEM certificates only ("-----BEGIN CERTIFICATE-----" blocks: the server certificate, then its intermediates)');
        return undefined;
    }
    const x509 = loadX509();
    const chain: X509.X509Certificate[] = [];
    for (const [i, block] of blocks.entries()) {
        try {
            chain.push(new x509.X509Certificate(block.text));
        } catch {
            add("tls.certificate", `${blockName(i)} does not parse as an X.509 certificate`);
            return undefined;
        }
    }
    const expired = chain.findIndex((c) => c.notAfter.getTime() < now.getTime());
    if (expired >= 0) {
        add("tls.certificate", `${blockName(expired)} expired on ${chain[expired].notAfter.toISOString()}: clients refuse the registry until it is renewed`);
    }
    validateNames(spec, chain[0], add);
    return chain[0];
}

function blockName(i: number): string {
    return i === 0 ? "the server certificate (block 1)" : `intermediate ${i} (block ${i + 1})`;
}

/**
 * Docker's daemon checks the name it dialled against the server certificate's SANs the way Go's
 * `VerifyHostname` does: IPs against IP SANs, names against DNS SANs with a `*` only as a whole first
 * label, the common name never. Every hostname is a name clients use; without any, the address is.
 */
function validateNames(spec: RegistryDraft, leaf: X509.X509Certificate, add: Add): void {
    const wanted: { field: string; name: string }[] = (spec.hostnames ?? []).flatMap((name, i) => (isHostName(name) ? [{ field: `hostnames[${i}]`, name }] : []));
    const address = parseIp(spec.address);
    if (wanted.length === 0 && address && !isWildcard(address)) wanted.push({ field: "address", name: address.address });
    if (wanted.length === 0) return;

    const x509 = loadX509();
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    const items = san ? san.names.items : [];
    const dnsNames = items.filter((n) => n.type === "dns").map((n) => n.value);
    const ips = items.filter((n) => n.type === "ip").map((n) => n.value);
    const missing = wanted.filter(({ name }) => {
        const ip = parseIp(name);
        return ip ? !ips.some((have) => parseIp(have)?.address === ip.address) : !dnsNames.some((pattern) => matchesDnsName(pattern, name));
    });
    if (missing.length === 0) return;
    const have = [...dnsNames, ...ips];
    const shown = have.length > 4 ? `${have.slice(0, 4).join(", ")}, ...` : have.join(", ");
    add(
        "tls.certificate",
        `does not name ${missing.map((m) => `${m.field} ${q(m.name)}`).join(", ")} (${have.length === 0 ? "it has no subjectAltName; Docker ignores the common name" : `its names: ${shown}`}): clients using that name refuse the registry`,
    );
}

/** Go's `matchHostnames`: as many labels on both sides, a `*` first label matches any one label. */
function matchesDnsName(pattern: string, host: string): boolean {
    const p = pattern.toLowerCase().split(".");
    const h = host.toLowerCase().replace(/\.$/, "").split(".");
    return p.length === h.length && p.every((label, i) => (i === 0 && label === "*") || label === h[i]);
}

/** Key kinds Go's crypto/tls serves with; EC only on the curves TLS signs with. */
const EC_CURVES = ["prime256v1", "secp384r1", "secp521r1"];

/** The private key when the field is one unencrypted PEM key the registry can use; every broken rule is added. */
function validateKey(key: unknown, add: Add): KeyObject | undefined {
    if (typeof key !== "string") {
        add("tls.key", "is required: the certificate's private key in PEM");
        return undefined;
    }
    const { blocks, leftover, badBody } = pemBlocks(key);
    const labels = blocks.map((b) => b.label);
    if (labels.includes("ENCRYPTED PRIVATE KEY") || /Proc-Type:\s*4,ENCRYPTED/.test(key)) {
        add("tls.key", "is encrypted: the registry cannot ask for a passphrase; give the key unencrypted (it is kept as a secret)");
        return undefined;
    }
    if (labels.length > 0 && labels.every((l) => l === "CERTIFICATE")) {
        add("tls.key", "is a certificate, not a private key: certificates belong in `tls.certificate`");
        return undefined;
    }
    if (labels.length > 0 && labels.every((l) => /PUBLIC KEY$/.test(l))) {
        add("tls.key", "is a public key; give the private key of `tls.certificate`");
        return undefined;
    }
    if (labels.length !== 1 || leftover || badBody || !/^(|RSA |EC )PRIVATE KEY$/.test(labels[0])) {
        add("tls.key", 'is not one PEM private key ("-----BEGIN PRIVATE KEY-----", RSA or EC)');
        return undefined;
    }
    let parsed: KeyObject;
    try {
        parsed = createPrivateKey({ key, format: "pem" });
    } catch {
        // OpenSSL's reason says nothing the user can act on, and is not quoted in case it echoes input.
        add("tls.key", "does not parse as a private key: its PEM block is damaged or holds something else");
        return undefined;
    }
    const type = parsed.asymmetricKeyType;
    const curve = parsed.asymmetricKeyDetails?.namedCurve;
    if (type === "ec" && !EC_CURVES.includes(curve ?? "")) {
        add("tls.key", `is an EC key on curve ${q(curve)}: the registry signs with P-256, P-384 or P-521 only`);
        return undefined;
    }
    if (type !== "rsa" && type !== "ec" && type !== "ed25519") {
        add("tls.key", `is of type ${q(type)}: the registry serves TLS with RSA, ECDSA or Ed25519 keys only`);
        return undefined;
    }
    return parsed;
}

/** Both public keys as SPKI DER, each written out by OpenSSL, so one key encoded two ways still compares equal. */
function sameSpki(fromKey: KeyObject, certSpki: ArrayBuffer): boolean {
    const mine = fromKey.export({ type: "spki", format: "der" });
    try {
        const theirs = createPublicKey({ key: Buffer.from(certSpki), format: "der", type: "spki" }).export({ type: "spki", format: "der" });
        return mine.equals(theirs);
    } catch {
        // A public key OpenSSL cannot read is no key of a private key it did read.
        return false;
    }
}
