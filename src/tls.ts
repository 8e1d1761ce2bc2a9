import fs from "node:fs";
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { createSecureContext } from "node:tls";
import { ConfigError } from "./config.js";

/** The oldest protocol the server accepts: TLS 1.0 and 1.1 are broken and deprecated (RFC 8996). */
export const MIN_TLS_VERSION = "TLSv1.2";

/** TLS_CERT_FILE / TLS_KEY_FILE, as config.ts resolved them. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** What node:https needs, read and checked once at start. */
export interface TlsCredentials {
  /** The certificate file as read (the server's certificate first, then any intermediates). */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The server's own certificate (the file's first). */
  readonly certificate: X509Certificate;
}

/** A TLS file that cannot be served, with the exact thing to do; its message says both. */
export class TlsFileError extends ConfigError {
  constructor(
    readonly what: string,
    readonly fix: string,
  ) {
    super(`${what} ${fix}`);
  }
}

const MAKE_CERT =
  "To make a self-signed one: openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 365 " +
  "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1";

/**
 * Reads TLS_CERT_FILE and TLS_KEY_FILE and checks that they can be served: both readable, PEM, the certificate
 * parses, the key parses (unencrypted: there is no passphrase setting), and the key is the certificate's.
 * Throws a TlsFileError saying which file is wrong and what to do, never a bare OpenSSL error.
 */
export function loadTlsCredentials(files: TlsFiles): TlsCredentials {
  const cert = readPem(files.certFile, "TLS_CERT_FILE");
  const key = readPem(files.keyFile, "TLS_KEY_FILE");
  const text = cert.toString("utf8");
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new TlsFileError(
      `TLS_CERT_FILE ${files.certFile} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line${/PRIVATE KEY-----/.test(text) ? "; it holds a private key: are the two files swapped?" : ""}).`,
      `Point TLS_CERT_FILE at the certificate in PEM form (convert a DER one with \`openssl x509 -inform der -in cert.der -out cert.pem\`). ${MAKE_CERT}`,
    );
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (err) {
    throw new TlsFileError(`TLS_CERT_FILE ${files.certFile} is not a valid certificate (${reason(err)}).`, `Point TLS_CERT_FILE at a PEM certificate. ${MAKE_CERT}`);
  }
  const keyText = key.toString("utf8");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText)) {
    throw new TlsFileError(
      `TLS_KEY_FILE ${files.keyFile} holds no PEM private key (no "-----BEGIN … PRIVATE KEY-----" line${keyText.includes("-----BEGIN CERTIFICATE-----") ? "; it holds a certificate: are the two files swapped?" : ""}).`,
      "Point TLS_KEY_FILE at the certificate's private key in PEM form.",
    );
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyText)) {
    throw new TlsFileError(
      `TLS_KEY_FILE ${files.keyFile} is encrypted with a passphrase, which the server cannot ask for.`,
      `Write an unencrypted copy readable only by this user: openssl pkey -in ${files.keyFile} -out key.pem && chmod 600 key.pem`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsFileError(`TLS_KEY_FILE ${files.keyFile} is not a valid private key (${reason(err)}).`, "Point TLS_KEY_FILE at the certificate's private key in PEM form.");
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsFileError(
      `TLS_KEY_FILE ${files.keyFile} is not the private key of the certificate in TLS_CERT_FILE ${files.certFile}.`,
      "Use the key the certificate was made for (compare `openssl x509 -noout -pubkey -in <cert>` with `openssl pkey -pubout -in <key>`), or make a new pair. " + MAKE_CERT,
    );
  }
  try {
    createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION }); // what node:https will do with them
  } catch (err) {
    throw new TlsFileError(`TLS_CERT_FILE ${files.certFile} and TLS_KEY_FILE ${files.keyFile} cannot be served (${reason(err)}).`, MAKE_CERT);
  }
  return { cert, key, certificate };
}

/** Days until the certificate expires (negative: expired), and whether it is valid yet, at `now`. */
export function certificateValidity(certificate: X509Certificate, now: Date): { daysLeft: number; notYetValid: boolean } {
  const validTo = Date.parse(certificate.validTo);
  const validFrom = Date.parse(certificate.validFrom);
  return { daysLeft: (validTo - now.getTime()) / 86_400_000, notYetValid: validFrom > now.getTime() };
}

function readPem(file: string, name: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable by this user" : code === "EISDIR" ? "is a directory" : `cannot be read (${reason(err)})`;
    throw new TlsFileError(`${name} ${file} ${why}.`, `Set ${name} to a readable PEM file${code === "EACCES" ? ` (e.g. chmod 600 it and own it as this user)` : ""}. ${MAKE_CERT}`);
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
