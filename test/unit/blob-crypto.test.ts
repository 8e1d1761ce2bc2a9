import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BlobIntegrityError, BlobOpener, BlobSealer, HEADER_BYTES, sealedSize, TAG_BYTES } from "../../src/files/blob-crypto.js";

const KEY = randomBytes(32);
const ID = "file-AAAAAAAAAAAAAAAAAAAAAAAA";
const CHUNK = 16; // small chunks, so a few bytes make many of them

/** Seals `plain` pushed in pieces of `step` bytes. */
function seal(plain: Buffer, { key = KEY, id = ID, step = 7 } = {}): Buffer {
  const sealer = new BlobSealer(key, id, CHUNK);
  const out = [sealer.header];
  for (let i = 0; i < plain.length; i += step) out.push(...sealer.push(plain.subarray(i, i + step)));
  out.push(sealer.end());
  return Buffer.concat(out);
}

function open(stored: Buffer, { key = KEY, id = ID, step = 5 } = {}): Buffer {
  const opener = new BlobOpener(key, id);
  const out: Buffer[] = [];
  for (let i = 0; i < stored.length; i += step) out.push(...opener.push(stored.subarray(i, i + step)));
  out.push(opener.end());
  return Buffer.concat(out);
}

describe("blob encryption (chunked AES-256-GCM)", () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5, 1000])("round-trips %i bytes in any pieces, at the size it says", (n) => {
    const plain = randomBytes(n);
    for (const step of [1, 3, CHUNK, 1000]) {
      const stored = seal(plain, { step });
      expect(stored.length).toBe(sealedSize(n, CHUNK));
      expect(open(stored, { step: step + 2 }).equals(plain)).toBe(true);
    }
  });

  it("holds no plaintext", () => {
    const plain = Buffer.from("the plaintext canary ".repeat(20));
    expect(seal(plain).includes(Buffer.from("canary"))).toBe(false);
  });

  it("a changed byte anywhere fails: header, any chunk, any tag", () => {
    const stored = seal(randomBytes(3 * CHUNK + 5));
    for (let at = 0; at < stored.length; at++) {
      const bad = Buffer.from(stored);
      bad[at]! ^= 0x01;
      expect(() => open(bad), `byte ${at}`).toThrow(BlobIntegrityError);
    }
  });

  it("a cut at any length fails, at a chunk boundary too; so do appended bytes", () => {
    const stored = seal(randomBytes(3 * CHUNK));
    for (let len = 0; len < stored.length; len++) expect(() => open(stored.subarray(0, len)), `cut at ${len}`).toThrow(BlobIntegrityError);
    const boundary = HEADER_BYTES + 2 * (CHUNK + TAG_BYTES);
    expect(() => open(stored.subarray(0, boundary))).toThrow(/last chunk/);
    expect(() => open(Buffer.concat([stored, Buffer.from([0])]))).toThrow(BlobIntegrityError);
    expect(() => open(Buffer.concat([stored, stored.subarray(HEADER_BYTES, HEADER_BYTES + CHUNK + TAG_BYTES)]))).toThrow(BlobIntegrityError);
  });

  it("chunks swapped or dropped fail", () => {
    const stored = seal(randomBytes(3 * CHUNK + 1));
    const record = CHUNK + TAG_BYTES;
    const chunk = (i: number) => stored.subarray(HEADER_BYTES + i * record, HEADER_BYTES + (i + 1) * record);
    const header = stored.subarray(0, HEADER_BYTES);
    const last = stored.subarray(HEADER_BYTES + 3 * record);
    expect(() => open(Buffer.concat([header, chunk(1), chunk(0), chunk(2), last]))).toThrow(/chunk 0/);
    expect(() => open(Buffer.concat([header, chunk(0), chunk(2), last]))).toThrow(BlobIntegrityError);
  });

  it("opens only with its key and under its own file id", () => {
    const stored = seal(Buffer.from("hello"));
    expect(() => open(stored, { key: randomBytes(32) })).toThrow(BlobIntegrityError);
    expect(() => open(stored, { id: "file-BBBBBBBBBBBBBBBBBBBBBBBB" })).toThrow(BlobIntegrityError);
  });

  it("refuses bytes that were never sealed (a plain file)", () => {
    expect(() => open(Buffer.from("just some plain text, longer than a header is"))).toThrow(/not an encrypted file/);
  });
});
