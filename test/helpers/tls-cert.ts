/**
 * Self-signed certificates for the TLS tests, made with the openssl CLI (the tool README tells users to run).
 * Without openssl the tests fail saying so: a TLS test that skipped would let HTTPS break unseen.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TestCert {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
}

/** The openssl binary, or a clear error naming what to install. */
export function opensslBinary(): string {
  for (const candidate of ["/usr/bin/openssl", "/usr/local/bin/openssl"]) if (fs.existsSync(candidate)) return candidate;
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return "openssl";
  } catch {
    throw new Error("The TLS tests need the openssl command-line tool to make a self-signed certificate, and it is not installed (apt-get install openssl).");
  }
}

/** A fresh RSA key and a certificate for localhost / 127.0.0.1, valid for `days`, in a new temp folder. */
export function makeSelfSignedCert(opts: { days?: number; dir?: string; name?: string } = {}): TestCert {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "la-tls-"));
  const name = opts.name ?? "server";
  const certFile = path.join(dir, `${name}-cert.pem`);
  const keyFile = path.join(dir, `${name}-key.pem`);
  execFileSync(opensslBinary(), [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", String(opts.days ?? 2),
    "-keyout", keyFile, "-out", certFile,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  return { dir, certFile, keyFile, cert: fs.readFileSync(certFile) };
}
