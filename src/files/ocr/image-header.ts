/**
 * Image formats OCR reads (PNG, JPEG, TIFF), told by their signatures, and their pixel size read from the header
 * alone: PNG's IHDR, JPEG's SOF segment, TIFF's first IFD. Nothing is decoded, so a hostile image (a 30,000 ×
 * 30,000 PNG of a few hundred bytes would decode to 3.6 GB) is refused in microseconds, before any OCR thread
 * sees it.
 */

export type ImageFormat = "png" | "jpeg" | "tiff";

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Pages (images) in the file: TIFF can hold several; PNG and JPEG hold one. */
  pages: number;
}

/** Why an image's header could not be read; `message` is for the uploader. */
export class ImageHeaderError extends Error {
  override readonly name = "ImageHeaderError";
}

const NAMES: Record<ImageFormat, string> = { png: "PNG", jpeg: "JPEG", tiff: "TIFF" };

/** The image format `bytes` start with, or null for anything else. */
export function imageFormat(bytes: Uint8Array): ImageFormat | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return "png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0x00) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0x00 && b[3] === 0x2a))) return "tiff";
  return null;
}

/** The format and size of an image; null when `bytes` are no image OCR reads. @throws ImageHeaderError */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const format = imageFormat(bytes);
  if (format === null) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = format === "png" ? pngSize(view) : format === "jpeg" ? jpegSize(view) : tiffSize(view);
  if (size === null || size.width <= 0 || size.height <= 0) {
    throw new ImageHeaderError(`could not read the ${NAMES[format]} image: its header is damaged or incomplete (is the file complete?)`);
  }
  return { format, ...size };
}

/** A human description of a size, e.g. "30000 × 30000 pixels (900 megapixels)". */
export function describeSize(width: number, height: number): string {
  const mp = (width * height) / 1e6;
  return `${width} × ${height} pixels (${mp >= 10 ? Math.round(mp) : Math.round(mp * 10) / 10} megapixels)`;
}

// PNG: the signature, then the IHDR chunk first of all (length 13, "IHDR", width, height: big-endian, 5 more
// bytes, its CRC): a file cut inside it is refused here.
function pngSize(view: DataView): { width: number; height: number; pages: number } | null {
  if (view.byteLength < 33 || view.getUint32(8) !== 13 || view.getUint32(12) !== 0x49484452) return null; // "IHDR"
  return { width: view.getUint32(16), height: view.getUint32(20), pages: 1 };
}

// JPEG: segments from SOI on; the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC) holds the size.
// Scan data begins at SOS: a frame header must come before it.
function jpegSize(view: DataView): { width: number; height: number; pages: number } | null {
  let at = 2;
  while (at + 4 <= view.byteLength) {
    if (view.getUint8(at) !== 0xff) return null;
    const marker = view.getUint8(at + 1);
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    // Markers without a length: TEM, RST0–7 (and SOI again).
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // EOI or SOS before any frame header
    const length = view.getUint16(at + 2);
    if (length < 2) return null;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > view.byteLength) return null;
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7), pages: 1 };
    }
    at += 2 + length;
  }
  return null;
}

// TIFF: byte order ("II" little, "MM" big), 42, the first IFD's offset; an IFD is a count of 12-byte entries
// (tag, type, count, value) and the next IFD's offset. ImageWidth is tag 256, ImageLength 257 (SHORT or LONG).
function tiffSize(view: DataView): { width: number; height: number; pages: number } | null {
  if (view.byteLength < 8) return null;
  const little = view.getUint8(0) === 0x49;
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  let ifd = u32(4);
  let width = 0;
  let height = 0;
  let pages = 0;
  const seen = new Set<number>();
  // Pages are counted up to 2 (OCR reads single-page files only); a loop of IFDs ends the walk.
  while (ifd !== 0 && pages < 2) {
    if (seen.has(ifd) || ifd + 2 > view.byteLength) return pages === 0 ? null : { width, height, pages };
    seen.add(ifd);
    const count = u16(ifd);
    const end = ifd + 2 + count * 12;
    if (end + 4 > view.byteLength) return pages === 0 ? null : { width, height, pages };
    if (pages === 0) {
      for (let entry = ifd + 2; entry < end; entry += 12) {
        const tag = u16(entry);
        if (tag !== 256 && tag !== 257) continue;
        const type = u16(entry + 2);
        const value = type === 3 ? u16(entry + 8) : type === 4 ? u32(entry + 8) : 0;
        if (tag === 256) width = value;
        else height = value;
      }
    }
    pages += 1;
    ifd = u32(end);
  }
  return pages === 0 ? null : { width, height, pages };
}
