/**
 * Certificates for the registry: a CA and a server certificate signed by it (ECDSA P-256, SHA-256),
 * and reading a certificate back for outputs and renewal decisions.
 *
 * Not pure: key generation and serial numbers are random. The `registryTls` derivation calls
 * `generateCa` and `issueServerCert` once and keeps the result in state as a secret, whose PEMs the
 * pure renderers get on every later run; it issues again only when `renewalReason` says so, and keeps
 * the CA, so clients' ca.crt files stay valid across reissues.
 */
import { createHash, webcrypto } from "node:crypto";
import type * as X509 from "@peculiar/x509";
import { OnpremError } from "../contract/errors";
import { parseIp } from "../model/address";
import {
    DEFAULT_REGISTRY_CA_VALIDITY_DAYS,
    DEFAULT_REGISTRY_CERT_VALIDITY_DAYS,
    REGISTRY_CERT_RENEW_DAYS,
} from "../plan/registry/model";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start an hour in the past: hosts whose clocks lag the controller's still accept them. */
const BACKDATE_MS = 60 * 60 * 1000;
const EC_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const EC_SIGNING = { name: "ECDSA", hash: "SHA-256", namedCurve: "P-256" } as const;
const crypto = webcrypto;

/** Loaded on first use: its 0.1 s of module loading is paid only by runs that make or read a certificate. */
let x509Module: typeof X509 | undefined;
function loadX509(): typeof X509 {
    return (x509Module ??= require("@peculiar/x509") as typeof X509);
}

/** A certificate and its private key, both PEM; the key is PKCS#8 ("-----BEGIN PRIVATE KEY-----") and secret. */
export interface CertificateAndKey {
    certificate: string;
    privateKey: string;
}

export interface ServerCertOptions {
    /** DNS names for the SAN extension. */
    dnsNames: readonly string[];
    /** IP addresses (v4 or v6) for the SAN extension. */
    ipAddresses: readonly string[];
    /** Days of validity from now. Default: 365. */
    validityDays?: number;
    /** The subject CN. Default: the first DNS name, else the first IP. */
    commonName?: string;
    /** The issuing time. Default: now. */
    now?: Date;
}

/** A self-signed CA that may sign server certificates only (path length 0). */
export async function generateCa(commonName: string, validityDays: number = DEFAULT_REGISTRY_CA_VALIDITY_DAYS, now: Date = new Date()): Promise<CertificateAndKey> {
    const x509 = loadX509();
    checkDays(validityDays);
    const keys = (await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const name = new x509.Name([{ CN: [commonName] }, { O: ["pulumi-onprem"] }]);
    const cert = await x509.X509CertificateGenerator.create(
        {
            serialNumber: randomSerial(),
            subject: name,
            issuer: name,
            notBefore: new Date(now.getTime() - BACKDATE_MS),
            notAfter: new Date(now.getTime() + validityDays * DAY_MS),
            signingAlgorithm: EC_SIGNING,
            publicKey: keys.publicKey,
            signingKey: keys.privateKey,
            extensions: [
                new x509.BasicConstraintsExtension(true, 0, true),
                new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
                await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
            ],
        },
        crypto,
    );
    return { certificate: cert.toString("pem") + "\n", privateKey: await exportKey(keys.privateKey) };
}

/** A server certificate for the registry, signed by `ca`, with the given names as SANs. */
export async function issueServerCert(ca: CertificateAndKey, options: ServerCertOptions): Promise<CertificateAndKey> {
    const x509 = loadX509();
    const validityDays = options.validityDays ?? DEFAULT_REGISTRY_CERT_VALIDITY_DAYS;
    checkDays(validityDays);
    const ipAddresses = options.ipAddresses.map((ip) => {
        const parsed = parseIp(ip);
        if (!parsed) throw new OnpremError("InvalidArgument", `certificate IP SAN ${JSON.stringify(ip)} is not an IP address`);
        return parsed.address;
    });
    const commonName = options.commonName ?? options.dnsNames[0] ?? ipAddresses[0];
    if (commonName === undefined) throw new OnpremError("InvalidArgument", "a server certificate needs at least one DNS name or IP address");
    const now = options.now ?? new Date();

    const caCert = new x509.X509Certificate(ca.certificate);
    const caKey = await crypto.subtle.importKey("pkcs8", pemBody(ca.privateKey), EC_KEY, false, ["sign"]);
    const keys = (await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const notAfter = new Date(Math.min(now.getTime() + validityDays * DAY_MS, caCert.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create(
        {
            serialNumber: randomSerial(),
            subject: new x509.Name([{ CN: [commonName] }]),
            issuer: caCert.subjectName,
            notBefore: new Date(now.getTime() - BACKDATE_MS),
            notAfter,
            signingAlgorithm: EC_SIGNING,
            publicKey: keys.publicKey,
            signingKey: caKey,
            extensions: [
                new x509.BasicConstraintsExtension(false, undefined, true),
                new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
                new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
                new x509.SubjectAlternativeNameExtension([
                    ...options.dnsNames.map((value) => ({ type: "dns" as const, value })),
                    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
                ]),
                await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
                await x509.AuthorityKeyIdentifierExtension.create(caCert, false, crypto),
            ],
        },
        crypto,
    );
    return { certificate: cert.toString("pem") + "\n", privateKey: await exportKey(keys.privateKey) };
}

// ---------------------------------------------------------------------------------------------
// Reading certificates (pure)

export interface CertificateInfo {
    /** "CN=registry.lab". */
    subject: string;
    issuer: string;
    /** Hex. */
    serialNumber: string;
    dnsNames: string[];
    ipAddresses: string[];
    /** ISO 8601. */
    notBefore: string;
    notAfter: string;
    /** SHA-256 of the DER, upper-case hex pairs joined by ":" (as `openssl x509 -fingerprint -sha256` prints). */
    fingerprintSha256: string;
    isCa: boolean;
}

/** What a (first) certificate in PEM says about itself. */
export function certificateInfo(pem: string): CertificateInfo {
    const x509 = loadX509();
    let cert: X509.X509Certificate;
    try {
        cert = new x509.X509Certificate(pem);
    } catch (e) {
        throw new OnpremError("InvalidArgument", "not a PEM certificate", { cause: e });
    }
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const names = san ? san.names.items : [];
    const digest = createHash("sha256").update(Buffer.from(cert.rawData)).digest("hex").toUpperCase();
    return {
        subject: cert.subject,
        issuer: cert.issuer,
        serialNumber: cert.serialNumber,
        dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
        ipAddresses: names.filter((n) => n.type === "ip").map((n) => n.value),
        notBefore: cert.notBefore.toISOString(),
        notAfter: cert.notAfter.toISOString(),
        fingerprintSha256: digest.match(/../g)!.join(":"),
        isCa: cert.getExtension(x509.BasicConstraintsExtension)?.ca === true,
    };
}

export interface RenewalCheck {
    dnsNames: readonly string[];
    ipAddresses: readonly string[];
    /** Default: now. */
    now?: Date;
    /** Renew when fewer days are left. Default: 30. */
    minDaysLeft?: number;
}

/** Why a server certificate must be issued again, or undefined when it still fits. */
export function renewalReason(info: CertificateInfo, want: RenewalCheck): string | undefined {
    const now = want.now ?? new Date();
    const daysLeft = (Date.parse(info.notAfter) - now.getTime()) / DAY_MS;
    const min = want.minDaysLeft ?? REGISTRY_CERT_RENEW_DAYS;
    if (daysLeft < min) return daysLeft <= 0 ? `it expired on ${info.notAfter}` : `it expires on ${info.notAfter}, in less than ${min} days`;
    const dnsHave = new Set(info.dnsNames.map((n) => n.toLowerCase()));
    const dnsWant = new Set(want.dnsNames.map((n) => n.toLowerCase()));
    const dnsDiffer = dnsHave.size !== dnsWant.size || [...dnsWant].some((n) => !dnsHave.has(n));
    const ipsDiffer =
        info.ipAddresses.length !== want.ipAddresses.length ||
        want.ipAddresses.some((w) => !info.ipAddresses.some((h) => sameIp(h, w)));
    if (dnsDiffer || ipsDiffer) {
        return `its names (${[...info.dnsNames, ...info.ipAddresses].join(", ")}) differ from the wanted ones (${[...want.dnsNames, ...want.ipAddresses].join(", ")})`;
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// Keeping a registry's certificates across runs

/** What a registry's generated certificates are made from. */
export interface RegistryTlsInput {
    /** The CA's common name. */
    caCommonName: string;
    /** The server certificate's DNS SANs (`registrySans`). */
    dnsNames: string[];
    /** The server certificate's IP SANs. */
    ipAddresses: string[];
    /** Days a newly issued server certificate stays valid. */
    validityDays: number;
}

/** A registry's CA and server certificate; the keys are secrets. Empty strings when there was nothing to issue for. */
export interface RegistryTlsState {
    /** The CA certificate, PEM. */
    caCertificate: string;
    /** The CA's private key, PEM (secret). */
    caKey: string;
    /** The server certificate, PEM. */
    certificate: string;
    /** The server's private key, PEM (secret). */
    key: string;
}

/**
 * The previous certificates while they still fit; otherwise a server certificate issued again (names
 * changed, expiry near), by the same CA unless the CA itself nears its end. Without names nothing is
 * issued (the component reports that input as an error).
 */
export async function registryTls(input: RegistryTlsInput, previous?: RegistryTlsState, now: Date = new Date()): Promise<RegistryTlsState> {
    if (input.dnsNames.length + input.ipAddresses.length === 0) return previous ?? { caCertificate: "", caKey: "", certificate: "", key: "" };
    const keepCa = previous !== undefined && previous.caCertificate !== "" && renewalReason(certificateInfo(previous.caCertificate), { dnsNames: [], ipAddresses: [], now, minDaysLeft: REGISTRY_CERT_RENEW_DAYS }) === undefined;
    const ca = keepCa ? { certificate: previous.caCertificate, privateKey: previous.caKey } : await generateCa(input.caCommonName, DEFAULT_REGISTRY_CA_VALIDITY_DAYS, now);
    if (keepCa && previous.certificate !== "" && renewalReason(certificateInfo(previous.certificate), { ...input, now }) === undefined) return previous;
    const server = await issueServerCert(ca, { dnsNames: input.dnsNames, ipAddresses: input.ipAddresses, validityDays: input.validityDays, now });
    return { caCertificate: ca.certificate, caKey: ca.privateKey, certificate: server.certificate, key: server.privateKey };
}

// ---------------------------------------------------------------------------------------------

function sameIp(a: string, b: string): boolean {
    const pa = parseIp(a);
    const pb = parseIp(b);
    return pa !== undefined && pb !== undefined && pa.address === pb.address;
}

/** 16 random bytes with the top bit clear: a positive serial, as RFC 5280 asks. */
function randomSerial(): string {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    return Buffer.from(bytes).toString("hex");
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
    const x509 = loadX509();
    const der = await crypto.subtle.exportKey("pkcs8", key);
    return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

function pemBody(pem: string): ArrayBuffer {
    const x509 = loadX509();
    const der = x509.PemConverter.decode(pem);
    if (der.length !== 1) throw new OnpremError("InvalidArgument", "the CA key is not one PEM block");
    return der[0];
}

function checkDays(days: number): void {
    if (!Number.isInteger(days) || days < 1) throw new OnpremError("InvalidArgument", `certificate validity ${days} is not a whole number of days, 1 or more`);
}
