/**
 * Photos of documents made inside the tests: a scan (scans.ts) as a phone camera would take it: in colour, on
 * paper lit unevenly (a warm gradient), turned a little, with sensor noise, saved as an RGB PNG or a JPEG.
 * Drawn with @napi-rs/canvas, the canvas pdf-parse depends on (and the server draws PDF pages with).
 */
import { createCanvas, ImageData } from "@napi-rs/canvas";
import type { Raster } from "./scans.js";

export interface PhotoOptions {
  format: "png" | "jpeg";
  /** Degrees the page is turned, clockwise (default 1.5). */
  angle?: number;
}

/** `scan` photographed: see the module comment. Deterministic (the noise has a fixed seed). */
export async function photoOf(scan: Raster, options: PhotoOptions): Promise<Buffer> {
  const margin = 40;
  const canvas = createCanvas(scan.width + 2 * margin, scan.height + 2 * margin);
  const ctx = canvas.getContext("2d");
  // Paper under a lamp: warm and bright on one side, greyer on the other.
  const light = ctx.createLinearGradient(0, 0, canvas.width, canvas.height);
  light.addColorStop(0, "rgb(250, 240, 215)");
  light.addColorStop(1, "rgb(175, 165, 150)");
  ctx.fillStyle = light;
  ctx.fillRect(0, 0, canvas.width, canvas.height);

  // The page's ink, multiplied onto the paper (white leaves the paper as it is), turned about its centre.
  const page = createCanvas(scan.width, scan.height);
  page.getContext("2d").putImageData(rgbaOf(scan), 0, 0);
  ctx.globalCompositeOperation = "multiply";
  ctx.translate(canvas.width / 2, canvas.height / 2);
  ctx.rotate(((options.angle ?? 1.5) * Math.PI) / 180);
  ctx.drawImage(page, -scan.width / 2, -scan.height / 2);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalCompositeOperation = "source-over";

  // Sensor noise: ±12 levels per channel.
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let seed = 12345;
  for (let i = 0; i < pixels.data.length; i++) {
    if (i % 4 === 3) continue;
    seed = (seed * 1103515245 + 12345) >>> 0;
    pixels.data[i] = Math.max(0, Math.min(255, pixels.data[i]! + ((seed >>> 16) % 25) - 12));
  }
  ctx.putImageData(pixels, 0, 0);
  return options.format === "jpeg" ? canvas.encode("jpeg", 80) : canvas.encode("png");
}

function rgbaOf(scan: Raster): ImageData {
  const rgba = new Uint8ClampedArray(scan.width * scan.height * 4);
  for (let i = 0; i < scan.grey.length; i++) {
    const v = scan.grey[i]!;
    rgba[4 * i] = v;
    rgba[4 * i + 1] = v;
    rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  return new ImageData(rgba, scan.width, scan.height);
}
