/**
 * Scanned documents made inside the tests: a text PDF's page drawn to pixels with pdf-parse's screenshot (as a
 * scanner would see it), cropped, and written back as a PNG, a TIFF or an image-only PDF, plus PDFs mixing text
 * pages and image pages. Small hand-written encoders, nothing beyond node:zlib: 8-bit grey pixels only.
 */
import { deflateSync, inflateSync } from "node:zlib";
import { PDFParse } from "pdf-parse";

/** 8-bit grey pixels, row by row. */
export interface Raster {
  width: number;
  height: number;
  grey: Uint8Array;
}

/** Page `page` of `pdf` drawn at `dpi`, as grey pixels (pdf-parse's PNG screenshot, decoded here). */
export async function renderPdfPage(pdf: Uint8Array, page: number, dpi: number): Promise<Raster> {
  const parser = new PDFParse({ data: new Uint8Array(pdf), verbosity: 0 });
  try {
    const shot = await parser.getScreenshot({ partial: [page], scale: dpi / 72, imageDataUrl: false });
    return decodePng(shot.pages[0]!.data);
  } finally {
    await parser.destroy();
  }
}

/** Rows `top` to `top + height` of `raster`, with a white margin of `margin` pixels all round. */
export function crop(raster: Raster, top: number, height: number, margin = 20): Raster {
  const width = raster.width + 2 * margin;
  const out = new Uint8Array(width * (height + 2 * margin)).fill(255);
  for (let y = 0; y < height; y++) {
    const from = (top + y) * raster.width;
    out.set(raster.grey.subarray(from, from + raster.width), (y + margin) * width + margin);
  }
  return { width, height: height + 2 * margin, grey: out };
}

/** The bands of rows holding ink (a pixel darker than mid-grey): the lines of text, top to bottom. */
export function inkRows(raster: Raster): Array<{ top: number; bottom: number }> {
  const lines: Array<{ top: number; bottom: number }> = [];
  let start = -1;
  for (let y = 0; y < raster.height; y++) {
    const row = raster.grey.subarray(y * raster.width, (y + 1) * raster.width);
    const ink = row.some((v) => v < 128);
    if (ink && start < 0) start = y;
    if (!ink && start >= 0) {
      lines.push({ top: start, bottom: y });
      start = -1;
    }
  }
  if (start >= 0) lines.push({ top: start, bottom: raster.height });
  return lines;
}

/** A white image (`width` × `height`, no ink at all): a scan of an empty page. */
export function blankRaster(width = 300, height = 200): Raster {
  return { width, height, grey: new Uint8Array(width * height).fill(255) };
}

/** A one-page PDF holding only a scan of an empty page: no text layer, and nothing for OCR to read. */
export function blankScanPdf(): Buffer {
  return pdfOf([{ image: blankRaster(), dpi: 150 }]);
}

// ---- PNG ----------------------------------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A grey PNG (colour type 0, 8 bits, filter 0 on every row). */
export function pngOf(raster: Raster): Buffer {
  const rows = Buffer.alloc((raster.width + 1) * raster.height);
  for (let y = 0; y < raster.height; y++) rows.set(raster.grey.subarray(y * raster.width, (y + 1) * raster.width), y * (raster.width + 1) + 1);
  return Buffer.concat([PNG_SIGNATURE, ihdr(raster.width, raster.height, 0), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

/** Only a PNG's signature, IHDR and IEND: a header claiming `width` × `height` RGBA pixels, with no pixels. */
export function pngHeaderOnly(width: number, height: number): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 6), chunk("IDAT", deflateSync(Buffer.alloc(0))), chunk("IEND", Buffer.alloc(0))]);
}

function ihdr(width: number, height: number, colourType: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = 8; // bit depth
  data[9] = colourType;
  return chunk("IHDR", data); // compression, filter, interlace: 0
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Decodes a non-interlaced 8-bit PNG (grey, RGB, grey+alpha or RGBA) to grey, alpha composited on white. */
export function decodePng(png: Uint8Array): Raster {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const [depth, colourType, interlace] = [buf[24], buf[25], buf[28]];
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType!];
  if (depth !== 8 || interlace !== 0 || channels === undefined) throw new Error(`decodePng: unsupported PNG (depth ${depth}, colour type ${colourType}, interlace ${interlace})`);
  const idat: Buffer[] = [];
  for (let at = 8; at < buf.length; ) {
    const length = buf.readUInt32BE(at);
    if (buf.toString("latin1", at + 4, at + 8) === "IDAT") idat.push(buf.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels]! : 0;
      const b = prev[x]!;
      const c = x >= channels ? prev[x - channels]! : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      out[x] = (line[x]! + predictor) & 0xff;
    }
  }
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const p = pixels.subarray(i * channels, (i + 1) * channels);
    const value = channels >= 3 ? (p[0]! * 299 + p[1]! * 587 + p[2]! * 114) / 1000 : p[0]!;
    const alpha = channels === 4 ? p[3]! / 255 : channels === 2 ? p[1]! / 255 : 1;
    grey[i] = Math.round(value * alpha + 255 * (1 - alpha));
  }
  return { width, height, grey };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// ---- TIFF ---------------------------------------------------------------------------------------------------

/** An uncompressed, single-strip grey TIFF (little-endian), `pages` times the same image. */
export function tiffOf(raster: Raster, pages = 1): Buffer {
  const entries = (dataAt: number, next: number): Buffer => {
    const tags: Array<[tag: number, type: number, value: number]> = [
      [256, 4, raster.width], // ImageWidth
      [257, 4, raster.height], // ImageLength
      [258, 3, 8], // BitsPerSample
      [259, 3, 1], // Compression: none
      [262, 3, 1], // PhotometricInterpretation: black is zero
      [273, 4, dataAt], // StripOffsets
      [277, 3, 1], // SamplesPerPixel
      [278, 4, raster.height], // RowsPerStrip
      [279, 4, raster.grey.length], // StripByteCounts
    ];
    const ifd = Buffer.alloc(2 + tags.length * 12 + 4);
    ifd.writeUInt16LE(tags.length, 0);
    tags.forEach(([tag, type, value], i) => {
      const at = 2 + i * 12;
      ifd.writeUInt16LE(tag, at);
      ifd.writeUInt16LE(type, at + 2);
      ifd.writeUInt32LE(1, at + 4);
      if (type === 3) ifd.writeUInt16LE(value, at + 8);
      else ifd.writeUInt32LE(value, at + 8);
    });
    ifd.writeUInt32LE(next, ifd.length - 4);
    return ifd;
  };
  const ifdSize = 2 + 9 * 12 + 4;
  const pageSize = ifdSize + raster.grey.length;
  const parts: Buffer[] = [Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])];
  for (let p = 0; p < pages; p++) {
    const ifdAt = 8 + p * pageSize;
    parts.push(entries(ifdAt + ifdSize, p + 1 < pages ? ifdAt + pageSize : 0), Buffer.from(raster.grey));
  }
  return Buffer.concat(parts);
}

// ---- PDF ----------------------------------------------------------------------------------------------------

/** A page of a made-up PDF: text in Helvetica (a text layer, nothing drawn from pixels) or a scanned image. */
export type PdfPageSpec = { text: string } | { image: Raster; dpi: number };

/** A PDF of `pages`: text pages are US letter; an image page is the image's own size at its dpi, filled by it. */
export function pdfOf(pages: PdfPageSpec[]): Buffer {
  const objects: Buffer[] = [];
  const add = (body: string | Buffer): number => objects.push(typeof body === "string" ? Buffer.from(body, "latin1") : body);
  add("<< /Type /Catalog /Pages 2 0 R >>");
  add(""); // the page tree, written once the pages are numbered
  const font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  const kids: number[] = [];
  for (const page of pages) {
    if ("text" in page) {
      const lines = page.text.split("\n").map((l) => `(${l.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj T*`);
      const content = stream(`BT /F1 14 Tf 18 TL 72 720 Td\n${lines.join("\n")}\nET`);
      const contents = add(content);
      kids.push(add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${contents} 0 R >>`));
    } else {
      const { image, dpi } = page;
      const [w, h] = [(image.width * 72) / dpi, (image.height * 72) / dpi].map((v) => Math.round(v * 100) / 100) as [number, number];
      const pixels = deflateSync(image.grey);
      const xobject = add(
        Buffer.concat([
          Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${image.width} /Height ${image.height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${pixels.length} >>\nstream\n`, "latin1"),
          pixels,
          Buffer.from("\nendstream", "latin1"),
        ]),
      );
      const contents = add(stream(`q ${w} 0 0 ${h} 0 0 cm /Im1 Do Q`));
      kids.push(add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Im1 ${xobject} 0 R >> >> /Contents ${contents} 0 R >>`));
    }
  }
  objects[1] = Buffer.from(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`, "latin1");
  return assemble(objects);
}

function stream(content: string): string {
  return `<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`;
}

/** Numbers the objects and writes the cross-reference table with their exact offsets, and the trailer. */
function assemble(objects: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(length);
    const part = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, "latin1"), body, Buffer.from("\nendobj\n", "latin1")]);
    parts.push(part);
    length += part.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`, "latin1"));
  return Buffer.concat(parts);
}
