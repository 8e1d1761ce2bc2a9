import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * The encrypted form of an uploaded file (encryption at rest): AES-256-GCM in chunks, so a file is written
 * and read as a stream and never has to be in memory whole.
 *
 * ```
 * header  (32 bytes)  "LAFILE\x01\0" · plaintext chunk size (uint32 BE) · 4 zero bytes · salt (16 random bytes)
 * chunk i             ciphertext of plaintext bytes [i·size, (i+1)·size) · GCM tag (16 bytes)
 * ```
 * Each file has its own key, HKDF-SHA256(files key, salt, "file <file id>"): a blob moved under another file's
 * id does not open. The nonce of chunk i is `last · 0 0 0 · i (uint64 BE)`, where `last` is 1 for the final
 * chunk only, and every chunk authenticates the header as associated data. So a changed byte, a reordered or
 * dropped chunk, a cut at any point (a chunk boundary included: the new last chunk was not sealed as last) and
 * bytes appended after the end all fail to open. Every chunk but the last holds exactly `size` plaintext bytes;
 * the last holds 0..size (an empty file is one empty final chunk).
 */
export const HEADER_BYTES = 32;
export const TAG_BYTES = 16;
export const CHUNK_BYTES = 64 * 1024;
const MAGIC = Buffer.from("LAFILE\x01\0", "latin1");

/** The bytes on disk do not open: changed, cut short, not encrypted, or sealed with another key or for another file. */
export class BlobIntegrityError extends Error {
  override readonly name = "BlobIntegrityError";
}

function fileKey(filesKey: Buffer, salt: Buffer, fileId: string): Buffer {
  return Buffer.from(hkdfSync("sha256", filesKey, salt, `file ${fileId}`, 32));
}

function nonce(index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n[0] = last ? 1 : 0;
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

/** Encrypts one file as it streams: push plaintext, write out what comes back, then `end()`. */
export class BlobSealer {
  readonly header: Buffer;
  private readonly key: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(filesKey: Buffer, fileId: string, private readonly chunkBytes = CHUNK_BYTES) {
    const salt = randomBytes(16);
    this.header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(this.header, 0);
    this.header.writeUInt32BE(chunkBytes, 8);
    salt.copy(this.header, 16);
    this.key = fileKey(filesKey, salt, fileId);
  }

  /** Sealed chunks that are now complete. A full chunk is sealed once more bytes follow it (it is then not the last). */
  push(bytes: Uint8Array): Buffer[] {
    if (bytes.byteLength === 0) return [];
    this.pending.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.pendingBytes += bytes.byteLength;
    const out: Buffer[] = [];
    if (this.pendingBytes <= this.chunkBytes) return out;
    let all = Buffer.concat(this.pending, this.pendingBytes);
    while (all.length > this.chunkBytes) {
      out.push(this.seal(all.subarray(0, this.chunkBytes), false));
      all = all.subarray(this.chunkBytes);
    }
    this.pending = [Buffer.from(all)]; // a copy: the rest of a large buffer is not kept alive
    this.pendingBytes = all.length;
    return out;
  }

  /** The final chunk (possibly empty). */
  end(): Buffer {
    const rest = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return this.seal(rest, true);
  }

  private seal(plain: Buffer, last: boolean): Buffer {
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce(this.index++, last));
    cipher.setAAD(this.header);
    const body = cipher.update(plain);
    cipher.final();
    return Buffer.concat([body, cipher.getAuthTag()]);
  }
}

/** Decrypts one file as it streams: push bytes as read from disk, take the plaintext, then `end()`. */
export class BlobOpener {
  private header: Buffer | null = null;
  private key: Buffer | null = null;
  private chunkBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(private readonly filesKey: Buffer, private readonly fileId: string) {}

  push(bytes: Uint8Array): Buffer[] {
    this.pending.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.pendingBytes += bytes.byteLength;
    if (this.header === null) {
      if (this.pendingBytes < HEADER_BYTES) return [];
      this.readHeader();
    }
    const record = this.chunkBytes + TAG_BYTES;
    const out: Buffer[] = [];
    if (this.pendingBytes <= record) return out;
    let all = Buffer.concat(this.pending, this.pendingBytes);
    while (all.length > record) {
      out.push(this.open(all.subarray(0, record), false));
      all = all.subarray(record);
    }
    this.pending = [Buffer.from(all)];
    this.pendingBytes = all.length;
    return out;
  }

  /** The plaintext of the final chunk; throws if the file ends anywhere but after a chunk sealed as last. */
  end(): Buffer {
    if (this.header === null) {
      if (this.pendingBytes < HEADER_BYTES) throw this.damaged("it is shorter than the header");
      this.readHeader();
    }
    const rest = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (rest.length < TAG_BYTES) throw this.damaged("it ends inside a chunk");
    return this.open(rest, true);
  }

  private readHeader(): void {
    const all = Buffer.concat(this.pending, this.pendingBytes);
    const header = all.subarray(0, HEADER_BYTES);
    if (!header.subarray(0, 8).equals(MAGIC)) throw this.damaged("it is not an encrypted file of this server");
    const chunkBytes = header.readUInt32BE(8);
    if (chunkBytes === 0 || chunkBytes > 16 * 1024 * 1024) throw this.damaged("its header is damaged");
    this.header = Buffer.from(header);
    this.chunkBytes = chunkBytes;
    this.key = fileKey(this.filesKey, this.header.subarray(16, 32), this.fileId);
    this.pending = [Buffer.from(all.subarray(HEADER_BYTES))];
    this.pendingBytes = all.length - HEADER_BYTES;
  }

  private open(record: Buffer, last: boolean): Buffer {
    const index = this.index++;
    const body = record.subarray(0, record.length - TAG_BYTES);
    if (!last && body.length !== this.chunkBytes) throw this.damaged(`chunk ${index} has the wrong length`);
    const decipher = createDecipheriv("aes-256-gcm", this.key!, nonce(index, last));
    decipher.setAAD(this.header!);
    decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
    const plain = decipher.update(body);
    try {
      decipher.final();
    } catch {
      throw this.damaged(last ? `its last chunk (${index}) does not open: changed, cut short or extended` : `chunk ${index} does not open: changed or moved`);
    }
    return plain;
  }

  private damaged(why: string): BlobIntegrityError {
    return new BlobIntegrityError(`The stored bytes of ${this.fileId} fail their integrity check: ${why}.`);
  }
}

/** Bytes on disk of a file of `plainBytes` bytes. */
export function sealedSize(plainBytes: number, chunkBytes = CHUNK_BYTES): number {
  const chunks = Math.max(1, Math.ceil(plainBytes / chunkBytes));
  return HEADER_BYTES + plainBytes + chunks * TAG_BYTES;
}
