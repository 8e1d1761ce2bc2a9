import { isLoopback, type Config } from "../config.js";
import { certificateValidity, loadTlsCredentials, TlsFileError } from "../tls.js";

/** checks.ts's Finding (structurally the same; importing it would make checks.ts ⇄ tls.ts a cycle). */
interface Finding {
  level: "ok" | "warning" | "problem";
  what: string;
  fix?: string;
}

/** A certificate expiring sooner than this is worth renewing now. */
const EXPIRY_WARNING_DAYS = 30;

/**
 * TLS_CERT_FILE / TLS_KEY_FILE: readable, PEM, parse as certificate and key, the key is the certificate's (the
 * server's own start checks, src/tls.ts), and the certificate is valid now and for the next 30 days.
 */
export function checkTls(config: Pick<Config, "tls" | "allowPlaintext" | "host">, now: Date = new Date()): Finding[] {
  if (config.tls === null) {
    if (!isLoopback(config.host) && config.allowPlaintext) {
      return [{
        level: "warning",
        what: `Serving plaintext HTTP on ${config.host} (ALLOW_PLAINTEXT=1): traffic is encrypted only if a proxy in front of the server does it.`,
        fix: "Set TLS_CERT_FILE and TLS_KEY_FILE to serve HTTPS (README, \"TLS\").",
      }];
    }
    return [];
  }
  let credentials;
  try {
    credentials = loadTlsCredentials(config.tls);
  } catch (err) {
    if (err instanceof TlsFileError) return [{ level: "problem", what: err.what, fix: err.fix }];
    return [{ level: "problem", what: `TLS files cannot be checked: ${err instanceof Error ? err.message : String(err)}` }];
  }
  const { certificate } = credentials;
  const { daysLeft, notYetValid } = certificateValidity(certificate, now);
  const renew = `Renew it: make a new certificate for the same names and restart the server (README, "TLS").`;
  const subject = certificate.subjectAltName ?? certificate.subject.replace(/\n/g, ", ");
  if (daysLeft < 0) {
    return [{ level: "problem", what: `The certificate in TLS_CERT_FILE ${config.tls.certFile} expired on ${certificate.validTo}: clients refuse it.`, fix: renew }];
  }
  if (notYetValid) {
    return [{
      level: "problem",
      what: `The certificate in TLS_CERT_FILE ${config.tls.certFile} is not valid before ${certificate.validFrom}: clients refuse it.`,
      fix: "Check this machine's clock, or make a certificate valid from today.",
    }];
  }
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    return [{
      level: "warning",
      what: `The certificate in TLS_CERT_FILE ${config.tls.certFile} expires in ${Math.floor(daysLeft)} day(s), on ${certificate.validTo}.`,
      fix: renew,
    }];
  }
  return [{ level: "ok", what: `TLS: certificate for ${subject} with its key, valid until ${certificate.validTo}` }];
}
