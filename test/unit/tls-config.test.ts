/**
 * TLS configuration: TLS_CERT_FILE / TLS_KEY_FILE both or neither, the non-loopback rule (a key AND TLS or
 * ALLOW_PLAINTEXT=1), and the start-up check of the files (src/tls.ts) with a certificate made by openssl.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { loadTlsCredentials, TlsFileError } from "../../src/tls.js";
import { makeSelfSignedCert, opensslBinary, type TestCert } from "../helpers/tls-cert.js";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("config: TLS_CERT_FILE and TLS_KEY_FILE", () => {
  it("both set: HTTPS with absolute paths", () => {
    const c = loadConfig({ TLS_CERT_FILE: "certs/cert.pem", TLS_KEY_FILE: "/etc/k.pem" });
    expect(c.tls).toEqual({ certFile: path.resolve("certs/cert.pem"), keyFile: "/etc/k.pem" });
  });

  it("neither set: plaintext (and loopback needs nothing more)", () => {
    expect(loadConfig({}).tls).toBeNull();
    expect(loadConfig({ TLS_CERT_FILE: "", TLS_KEY_FILE: "" }).tls).toBeNull();
  });

  it.each([
    [{ TLS_CERT_FILE: "/c.pem" }, "TLS_CERT_FILE"],
    [{ TLS_KEY_FILE: "/k.pem" }, "TLS_KEY_FILE"],
  ])("one alone is a ConfigError naming both and the one set (%o)", (env, set) => {
    const err = thrown(() => loadConfig(env));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain("Set both TLS_CERT_FILE and TLS_KEY_FILE");
    expect(err.message).toContain(`only ${set} is set`);
  });

  it("ALLOW_PLAINTEXT takes 1/0/true/false only", () => {
    expect(loadConfig({ ALLOW_PLAINTEXT: "1" }).allowPlaintext).toBe(true);
    expect(loadConfig({ ALLOW_PLAINTEXT: "true" }).allowPlaintext).toBe(true);
    expect(loadConfig({ ALLOW_PLAINTEXT: "0" }).allowPlaintext).toBe(false);
    expect(loadConfig({}).allowPlaintext).toBe(false);
    expect(thrown(() => loadConfig({ ALLOW_PLAINTEXT: "yes" })).message).toMatch(/^Invalid configuration: ALLOW_PLAINTEXT/);
  });
});

describe("config: a non-loopback bind needs a key and TLS (or ALLOW_PLAINTEXT=1)", () => {
  const TLS = { TLS_CERT_FILE: "/c.pem", TLS_KEY_FILE: "/k.pem" };

  it.each(["0.0.0.0", "::", "192.168.1.10", "example.com"])("HOST=%s with API_KEY but no TLS is refused, saying what to set", (host) => {
    const err = thrown(() => loadConfig({ HOST: host, API_KEY: "k" }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`Refusing to listen on ${host} over plaintext HTTP`);
    for (const name of ["TLS_CERT_FILE=", "TLS_KEY_FILE=", "ALLOW_PLAINTEXT=1", "HOST=127.0.0.1"]) expect(err.message).toContain(name);
  });

  it("with TLS, or with ALLOW_PLAINTEXT=1, it is allowed", () => {
    expect(loadConfig({ HOST: "0.0.0.0", API_KEY: "k", ...TLS }).tls).not.toBeNull();
    const plain = loadConfig({ HOST: "0.0.0.0", API_KEY: "k", ALLOW_PLAINTEXT: "1" });
    expect(plain.tls).toBeNull();
    expect(plain.allowPlaintext).toBe(true);
    expect(() => loadConfig({ HOST: "0.0.0.0", API_KEY: "k", ALLOW_PLAINTEXT: "0" })).toThrow(/over plaintext HTTP/);
  });

  it("an API keys file counts as a key", () => {
    expect(loadConfig({ HOST: "0.0.0.0", API_KEYS_FILE: "/keys.json", ...TLS }).host).toBe("0.0.0.0");
  });

  it("TLS does not replace the key: without one it is still refused", () => {
    expect(() => loadConfig({ HOST: "0.0.0.0", ...TLS })).toThrow(/Refusing to listen on 0\.0\.0\.0 without API_KEY/);
    expect(() => loadConfig({ HOST: "0.0.0.0", ALLOW_PLAINTEXT: "1" })).toThrow(/without API_KEY/);
  });

  it("without key and TLS, one message names both fixes", () => {
    const message = thrown(() => loadConfig({ HOST: "0.0.0.0" })).message;
    expect(message).toContain("without API_KEY");
    expect(message).toContain("API_KEY=<secret>");
    expect(message).toContain("TLS_CERT_FILE=<cert.pem> and TLS_KEY_FILE=<key.pem>");
    expect(message).toContain("ALLOW_PLAINTEXT=1");
  });

  it.each(["127.0.0.1", "localhost", "::1"])("HOST=%s needs neither", (host) => {
    expect(loadConfig({ HOST: host }).tls).toBeNull();
  });
});

describe("start-up check of the TLS files (loadTlsCredentials)", () => {
  let good: TestCert;
  let other: TestCert;
  const file = (name: string, content: string | Buffer): string => {
    const p = path.join(good.dir, name);
    fs.writeFileSync(p, content);
    return p;
  };
  const refusal = (certFile: string, keyFile: string): TlsFileError => {
    const err = thrown(() => loadTlsCredentials({ certFile, keyFile }));
    expect(err).toBeInstanceOf(TlsFileError);
    expect(err).toBeInstanceOf(ConfigError); // main.ts prints a ConfigError's message alone, no stack trace
    return err as TlsFileError;
  };

  beforeAll(() => {
    good = makeSelfSignedCert();
    other = makeSelfSignedCert({ dir: good.dir, name: "other" });
  });
  afterAll(() => fs.rmSync(good.dir, { recursive: true, force: true }));

  it("accepts a certificate with its own key", () => {
    const creds = loadTlsCredentials({ certFile: good.certFile, keyFile: good.keyFile });
    expect(creds.cert.equals(good.cert)).toBe(true);
    expect(creds.certificate.subjectAltName).toContain("IP Address:127.0.0.1");
  });

  it("refuses a key that is not the certificate's", () => {
    const err = refusal(good.certFile, other.keyFile);
    expect(err.message).toContain(`TLS_KEY_FILE ${other.keyFile} is not the private key of the certificate in TLS_CERT_FILE ${good.certFile}`);
    expect(err.fix).toContain("openssl");
  });

  it("refuses missing and unreadable files, naming the variable", () => {
    expect(refusal(path.join(good.dir, "nope.pem"), good.keyFile).message).toMatch(/^TLS_CERT_FILE \S+nope\.pem does not exist\./);
    expect(refusal(good.certFile, path.join(good.dir, "nope.pem")).message).toMatch(/^TLS_KEY_FILE \S+nope\.pem does not exist\./);
    expect(refusal(good.dir, good.keyFile).message).toMatch(/^TLS_CERT_FILE \S+ is a directory\./);
  });

  it("refuses files that are not PEM certificate / key, and says when they are swapped", () => {
    expect(refusal(file("junk.pem", "hello"), good.keyFile).message).toMatch(/TLS_CERT_FILE \S+junk\.pem holds no PEM certificate/);
    expect(refusal(good.keyFile, good.certFile).message).toMatch(/holds a private key: are the two files swapped\?/);
    expect(refusal(good.certFile, good.certFile).message).toMatch(/TLS_KEY_FILE \S+ holds no PEM private key.*holds a certificate: are the two files swapped\?/);
    const broken = file("broken-cert.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    expect(refusal(broken, good.keyFile).message).toMatch(/TLS_CERT_FILE \S+broken-cert\.pem is not a valid certificate \(/);
    const brokenKey = file("broken-key.pem", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    expect(refusal(good.certFile, brokenKey).message).toMatch(/TLS_KEY_FILE \S+broken-key\.pem is not a valid private key \(/);
  });

  it("refuses a passphrase-protected key, saying how to decrypt it", () => {
    const encrypted = path.join(good.dir, "encrypted-key.pem");
    execFileSync(opensslBinary(), ["pkey", "-in", good.keyFile, "-aes256", "-passout", "pass:secret", "-out", encrypted]);
    const err = refusal(good.certFile, encrypted);
    expect(err.message).toContain("is encrypted with a passphrase");
    expect(err.fix).toContain(`openssl pkey -in ${encrypted} -out key.pem`);
  });
});
