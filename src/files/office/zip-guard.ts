/**
 * The one reader of ZIP containers (DOCX, XLSX, PPTX, ODS, EPUB): every ZIP-based format reads its parts
 * through a ZipArchive, and libraries that want a ZIP of their own (mammoth, exceljs) get `repack`'s copy of
 * the parts already read here, never the uploaded bytes.
 *
 * Hostile archives fail here, each with a message saying what is wrong:
 * - the central directory is read and checked first (signatures, bounds, entry count, encryption, methods);
 * - before any entry is inflated, the declared sizes of the entries a format asks for are added to what the
 *   archive already inflated and checked against `maxInflatedBytes`, and each one's compression ratio against
 *   `maxRatio`: a ZIP bomb is refused from its directory, at no cost;
 * - an entry whose data inflates to more than its declared size (a directory that lies) is stopped by zlib at
 *   that size (`maxOutputLength`), so memory never exceeds what was checked; a wrong size or CRC-32 is damage.
 *
 * Why not fflate's unzipSync for reading: it checks no signatures, bounds or encryption flags, and inflates a
 * lying entry silently cut to its declared size. node:zlib inflates natively (~8x fflate's speed on a 22 MB
 * sheet) and stops at a size we give it. fflate still writes (`repack`; the tests' fixtures).
 */
import zlib from "node:zlib";
import { zipSync, type Zippable } from "fflate";

export { looksLikeZip } from "./sniff.js";

export interface ZipLimits {
  /** Most bytes the entries read from one archive may inflate to, together. */
  maxInflatedBytes: number;
  /** Most entries in the central directory. */
  maxEntries: number;
  /** Highest inflated:compressed ratio of an entry of at least `ratioFloorBytes` inflated. */
  maxRatio: number;
  ratioFloorBytes: number;
}

/**
 * 200 MiB: far above a real document's text parts (a 100,000-row sheet is ~25 MB of XML), far below what a
 * parser can hold in memory. 300:1: XML parts compress ~5-50:1, zeros ~1000:1.
 */
export const ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxInflatedBytes: 200 * 2 ** 20,
  maxEntries: 10_000,
  maxRatio: 300,
  ratioFloorBytes: 2 ** 20,
});

/** A ZIP that is damaged or hostile; the message says which, for the uploader. */
export class ZipGuardError extends Error {
  override readonly name = "ZipGuardError";
}

export type RepackPart = { name: string; as?: string } | { as: string; data: Uint8Array };

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_END64_LOCATOR = 0x07064b50;
const MAX32 = 0xffffffff;

const mb = (bytes: number) => `${Math.ceil(bytes / 2 ** 20).toLocaleString("en-US")} MB`;

export class ZipArchive {
  private readonly entries = new Map<string, ZipEntry>();
  private inflated = 0;

  private constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: ZipLimits,
  ) {}

  /** Reads and checks the central directory; inflates nothing. @throws ZipGuardError */
  static open(bytes: Uint8Array, limits: ZipLimits = ZIP_LIMITS): ZipArchive {
    const zip = new ZipArchive(bytes, limits);
    zip.readDirectory();
    return zip;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Bytes inflated so far, all entries together. */
  get inflatedBytes(): number {
    return this.inflated;
  }

  /**
   * The inflated content of each of `names` that exists (others are left out). All of them are checked against
   * the limits before the first is inflated. @throws ZipGuardError
   */
  read(names: readonly string[]): Map<string, Uint8Array> {
    const wanted = [...new Set(names)].flatMap((n) => this.entries.get(n) ?? []);
    let total = this.inflated;
    for (const e of wanted) {
      if (e.flags & 1) throw new ZipGuardError(`'${e.name}' is encrypted: remove the password and upload again`);
      if (e.method !== 0 && e.method !== 8) throw new ZipGuardError(`'${e.name}' uses compression method ${e.method}, which is not read (only stored and deflated entries are)`);
      total += e.size;
      if (total > this.limits.maxInflatedBytes) {
        throw new ZipGuardError(
          `its parts would inflate to ${mb(total)} ('${e.name}' alone to ${mb(e.size)}), more than the ${mb(this.limits.maxInflatedBytes)} a document may inflate to: a ZIP bomb?`,
        );
      }
      const ratio = e.size / Math.max(1, e.compressedSize);
      if (e.size >= this.limits.ratioFloorBytes && ratio > this.limits.maxRatio) {
        throw new ZipGuardError(`'${e.name}' is compressed ${Math.round(ratio).toLocaleString("en-US")}:1, more than the ${this.limits.maxRatio}:1 a document part may be: a ZIP bomb?`);
      }
    }
    const out = new Map<string, Uint8Array>();
    for (const e of wanted) {
      out.set(e.name, this.inflate(e));
      this.inflated += e.size;
    }
    return out;
  }

  /** One entry's content as text (UTF-8, or UTF-16 with a BOM); null when there is no such entry. */
  text(name: string): string | null {
    const bytes = this.read([name]).get(name);
    return bytes === undefined ? null : decodeXmlText(bytes);
  }

  /**
   * A new archive of the given parts, stored (not compressed), in the given order, for a library that reads a
   * ZIP itself: it sees only entries this guard checked and inflated. A part is an entry of this archive
   * (`name`, left out when missing; `as` renames it) or content of the caller's (`as` with `data`).
   */
  repack(parts: ReadonlyArray<RepackPart>): Uint8Array {
    const read = this.read(parts.flatMap((p) => ("name" in p ? [p.name] : [])));
    const files: Zippable = {};
    for (const p of parts) {
      const data = "name" in p ? read.get(p.name) : p.data;
      if (data) files[p.as ?? ("name" in p ? p.name : "")] = [data, { level: 0 }];
    }
    return zipSync(files, { level: 0 });
  }

  private readDirectory(): void {
    const { bytes } = this;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u16 = (at: number) => view.getUint16(at, true);
    const u32 = (at: number) => view.getUint32(at, true);
    const u64 = (at: number) => {
      const v = view.getBigUint64(at, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipGuardError("the ZIP container is damaged (a size or offset is out of range)");
      return Number(v);
    };
    const within = (at: number, length: number, what: string) => {
      if (at < 0 || at + length > bytes.length) throw new ZipGuardError(`the ZIP container is damaged or incomplete (${what} lies beyond the end of the file)`);
    };

    // The end record: the last 22 bytes, or further back by a comment of up to 64 KiB.
    let end = -1;
    for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
      if (u32(at) === SIG_END) {
        end = at;
        break;
      }
    }
    if (end < 0) throw new ZipGuardError("the ZIP container is damaged or incomplete (no central directory at its end: was the upload cut short?)");
    if (u16(end + 4) !== 0 || u16(end + 6) !== 0) throw new ZipGuardError("the ZIP container is split across several files; upload it as one file");
    let count = u16(end + 10);
    let dirSize = u32(end + 12);
    let dirOffset = u32(end + 16);
    if ((count === 0xffff || dirSize === MAX32 || dirOffset === MAX32) && end >= 20 && u32(end - 20) === SIG_END64_LOCATOR) {
      const end64 = u64(end - 20 + 8);
      within(end64, 56, "the ZIP64 end record");
      if (u32(end64) !== SIG_END64) throw new ZipGuardError("the ZIP container is damaged (bad ZIP64 end record)");
      count = u64(end64 + 32);
      dirSize = u64(end64 + 40);
      dirOffset = u64(end64 + 48);
    }
    if (count > this.limits.maxEntries) {
      throw new ZipGuardError(`the ZIP container has ${count.toLocaleString("en-US")} entries, more than the ${this.limits.maxEntries.toLocaleString("en-US")} a document may have`);
    }
    within(dirOffset, dirSize, "the central directory");

    const names = new TextDecoder("utf-8");
    let at = dirOffset;
    for (let i = 0; i < count; i++) {
      within(at, 46, "a directory entry");
      if (u32(at) !== SIG_CENTRAL) throw new ZipGuardError("the ZIP container is damaged (bad central directory entry)");
      const [nameLength, extraLength, commentLength] = [u16(at + 28), u16(at + 30), u16(at + 32)];
      within(at + 46, nameLength + extraLength + commentLength, "a directory entry");
      const entry: ZipEntry = {
        name: names.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
        flags: u16(at + 8),
        method: u16(at + 10),
        crc: u32(at + 16),
        compressedSize: u32(at + 20),
        size: u32(at + 24),
        localOffset: u32(at + 42),
      };
      // ZIP64: the sizes and offset that do not fit in 32 bits are in extra field 0x0001, in this order.
      for (let x = at + 46 + nameLength, xEnd = x + extraLength; x + 4 <= xEnd; x += 4 + u16(x + 2)) {
        if (u16(x) !== 1) continue;
        let field = x + 4;
        for (const key of ["size", "compressedSize", "localOffset"] as const) {
          if (entry[key] !== MAX32) continue;
          within(field, 8, "a ZIP64 field");
          entry[key] = u64(field);
          field += 8;
        }
        break;
      }
      within(entry.localOffset, 30, `the data of '${entry.name}'`);
      if (!entry.name.endsWith("/")) this.entries.set(entry.name, entry);
      at += 46 + nameLength + extraLength + commentLength;
    }
  }

  private inflate(e: ZipEntry): Uint8Array {
    const { bytes } = this;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(e.localOffset, true) !== SIG_LOCAL) throw new ZipGuardError(`the ZIP container is damaged (no header before '${e.name}')`);
    const start = e.localOffset + 30 + view.getUint16(e.localOffset + 26, true) + view.getUint16(e.localOffset + 28, true);
    if (start + e.compressedSize > bytes.length) throw new ZipGuardError(`the ZIP container is damaged or incomplete ('${e.name}' is cut short)`);
    const data = bytes.subarray(start, start + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      out = data;
    } else {
      try {
        // zlib stops at maxOutputLength: an entry that inflates past its declared size throws instead of filling memory.
        out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
          throw new ZipGuardError(`'${e.name}' inflates to more than the ${e.size.toLocaleString("en-US")} bytes its directory entry declares: a ZIP bomb or a damaged file`);
        }
        throw new ZipGuardError(`the ZIP container is damaged ('${e.name}': ${(err as Error).message})`);
      }
    }
    if (out.length !== e.size) throw new ZipGuardError(`the ZIP container is damaged ('${e.name}' has ${out.length} bytes, its directory entry says ${e.size})`);
    // zlib.crc32 is Node >= 20.15; older Nodes skip the check (sizes are still checked).
    if (typeof zlib.crc32 === "function" && zlib.crc32(out) >>> 0 !== e.crc >>> 0) throw new ZipGuardError(`the ZIP container is damaged ('${e.name}' fails its CRC-32 check)`);
    return out;
  }
}

/** XML parts are UTF-8 unless a BOM says UTF-16. */
export function decodeXmlText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  return new TextDecoder("utf-8").decode(bytes); // strips a UTF-8 BOM
}
