/**
 * Image sizes from headers alone (files/ocr/image-header.ts): what OCR checks before anything decodes an image.
 */
import { describe, expect, it } from "vitest";
import { ImageHeaderError, readImageHeader } from "../../src/files/ocr/image-header.js";
import { cleanOcrText } from "../../src/files/ocr/ocr-reader.js";
import { blankRaster, pngHeaderOnly, pngOf, tiffOf } from "../helpers/scans.js";

/** SOI, an APP0 segment, then a baseline (SOF0) or progressive (SOF2) frame header of `width` × `height`. */
function jpegHeader(width: number, height: number, sof = 0xc0): Buffer {
  const app0 = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
  // A DHT segment before the frame: its marker (C4) sits in the SOF range and must be skipped.
  const dht = [0xff, 0xc4, 0x00, 0x03, 0x00];
  const frame = [0xff, sof, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00];
  return Buffer.from([0xff, 0xd8, ...app0, 0xff, ...dht, ...frame, 0xff, 0xda]);
}

describe("image headers", () => {
  it("PNG: IHDR's size; a file cut inside the IHDR is damaged", () => {
    expect(readImageHeader(pngOf(blankRaster(321, 123)))).toEqual({ format: "png", width: 321, height: 123, pages: 1 });
    expect(readImageHeader(pngHeaderOnly(30_000, 30_000))).toMatchObject({ width: 30_000, height: 30_000 });
    expect(() => readImageHeader(pngOf(blankRaster()).subarray(0, 30))).toThrow(ImageHeaderError);
  });

  it("JPEG: the first frame header's size, after other segments (fill bytes too)", () => {
    expect(readImageHeader(jpegHeader(30_000, 20_000))).toEqual({ format: "jpeg", width: 30_000, height: 20_000, pages: 1 });
    expect(readImageHeader(jpegHeader(640, 480, 0xc2))).toMatchObject({ width: 640, height: 480 });
    const filled = jpegHeader(10, 20);
    expect(readImageHeader(Buffer.concat([filled.subarray(0, 20), Buffer.from([0xff]), filled.subarray(20)]))).toMatchObject({ width: 10, height: 20 });
    // Scan data without a frame header, or a file cut before one.
    expect(() => readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02]))).toThrow(ImageHeaderError);
    expect(() => readImageHeader(jpegHeader(10, 20).subarray(0, 12))).toThrow(ImageHeaderError);
  });

  it("TIFF: the first IFD's size and the page count, both byte orders; a loop of IFDs ends", () => {
    const tiff = tiffOf(blankRaster(64, 48));
    expect(readImageHeader(tiff)).toEqual({ format: "tiff", width: 64, height: 48, pages: 1 });
    expect(readImageHeader(tiffOf(blankRaster(64, 48), 3))).toMatchObject({ pages: 2 }); // counted up to 2: "more than one"
    const looped = Buffer.from(tiff);
    looped.writeUInt32LE(8, 8 + 2 + 9 * 12); // the first IFD names itself as the next
    expect(readImageHeader(looped)).toMatchObject({ width: 64, pages: 1 });
    // Big-endian: "MM", 42, IFD at 8 with ImageWidth (SHORT) and ImageLength (LONG).
    const be = Buffer.alloc(8 + 2 + 2 * 12 + 4);
    be.write("MM", 0, "latin1");
    be.writeUInt16BE(42, 2);
    be.writeUInt32BE(8, 4);
    be.writeUInt16BE(2, 8);
    be.writeUInt16BE(256, 10), be.writeUInt16BE(3, 12), be.writeUInt32BE(1, 14), be.writeUInt16BE(1000, 18);
    be.writeUInt16BE(257, 22), be.writeUInt16BE(4, 24), be.writeUInt32BE(1, 26), be.writeUInt32BE(70_000, 30);
    expect(readImageHeader(be)).toEqual({ format: "tiff", width: 1000, height: 70_000, pages: 1 });
    expect(() => readImageHeader(tiff.subarray(0, 20))).toThrow(ImageHeaderError);
  });

  it("anything else is no image", () => {
    expect(readImageHeader(Buffer.from("GIF89a"))).toBeNull();
    expect(readImageHeader(Buffer.from("%PDF-1.4"))).toBeNull();
  });
});

describe("OCR text", () => {
  it("is tidied like a text layer: hyphenation rejoined, spaces collapsed, one blank line between paragraphs", () => {
    expect(cleanOcrText("  The inter-\nnational  fleet\n\n\n\nsailed \n at dawn  \n")).toBe("The international fleet\n\nsailed\nat dawn");
  });
});
