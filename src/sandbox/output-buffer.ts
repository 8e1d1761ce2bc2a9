/**
 * Collects console output up to a byte budget. Past the budget, text is dropped (not kept) so a print loop
 * cannot grow host memory, and the logs end with a marker telling the model what happened.
 */
export class OutputBuffer {
  private readonly parts: string[] = [];
  private used = 0;
  private truncated = false;

  constructor(private readonly maxBytes: number) {}

  /** Adds output; returns false once the budget is spent, so the guest can stop producing more. */
  append(text: string): boolean {
    if (this.truncated) return false;
    const size = Buffer.byteLength(text);
    if (this.used + size <= this.maxBytes) {
      this.parts.push(text);
      this.used += size;
      return true;
    }
    const kept = truncateUtf8(text, this.maxBytes - this.used);
    this.parts.push(kept);
    this.used += Buffer.byteLength(kept);
    this.truncated = true;
    return false;
  }

  toString(): string {
    const text = this.parts.join("");
    if (!this.truncated) return text;
    return `${text}\n[output truncated: everything after the first ${this.maxBytes} bytes was dropped; print summaries or slices instead]`;
  }
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  const buf = Buffer.from(text);
  if (buf.length <= maxBytes) return text;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  let end = maxBytes;
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString("utf8");
}

/** `text` cut to at most `maxBytes` of UTF-8, with a visible marker when something was cut. */
export function capText(text: string, maxBytes: number): string {
  const size = Buffer.byteLength(text);
  if (size <= maxBytes) return text;
  const marker = `\n[truncated: ${size} bytes in total]`;
  return truncateUtf8(text, maxBytes - marker.length) + marker;
}
