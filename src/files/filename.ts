/** Longest file name kept, in UTF-16 code units (as before), cut only between code points. */
const MAX_NAME_UNITS = 255;

/**
 * A display name safe to store and echo back: last path segment, no control characters, no lone surrogate
 * (each becomes U+FFFD), at most 255 UTF-16 units cut between code points, so an emoji is never split in half.
 */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const cleaned = wellFormed(base).replace(/[\u0000-\u001f\u007f]/g, "").trim();
  let cut = "";
  for (const codePoint of cleaned) {
    if (cut.length + codePoint.length > MAX_NAME_UNITS) break;
    cut += codePoint;
  }
  cut = cut.trim();
  return cut === "" || cut === "." || cut === ".." ? "upload" : cut;
}

/** `s` with every lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, which ES2023 lacks). */
export function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/**
 * `Content-Disposition: attachment` naming the file twice: `filename="…"`, an ASCII stand-in for old clients
 * (non-ASCII, quotes, backslashes and `%` become `_`), and `filename*=UTF-8''…` (RFC 5987/6266) with the real
 * name. Never throws, whatever the stored name holds (a lone surrogate made encodeURIComponent throw).
 */
export function contentDisposition(filename: string): string {
  const name = wellFormed(filename);
  // eslint-disable-next-line no-control-regex
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/gu, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
