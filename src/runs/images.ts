/**
 * Images for vision models: the image parts of a thread's user messages, as the base64 strings Ollama takes
 * in a message's `images`. Uploaded files (`image_file`) and `data:` URLs are sent; http(s) URLs are not
 * fetched (the server works offline, and fetching URLs from requests would let callers reach the local
 * network), so those stay named in the text, as do files that are missing, too large or not an image.
 */
import type { Message } from "../api/wire.js";

export type ImagePart = Extract<Message["content"][number], { type: "image_file" | "image_url" }>;

/** How `PromptParts.images` names an image part. */
export function imageKey(part: ImagePart): string {
  return part.type === "image_file" ? `file:${part.image_file.file_id}` : `url:${part.image_url.url}`;
}

// Ollama decodes every image for every request; beyond this a request is better failed early by naming it.
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const DATA_URL = /^data:image\/(png|jpeg|jpg|gif|webp);base64,([A-Za-z0-9+/]+={0,2})$/;

/** `readFile`: an uploaded file's bytes, or null when it is gone. */
export async function loadImages(messages: readonly Message[], readFile: (fileId: string) => Promise<Uint8Array | null>): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== "user") continue;
    for (const part of message.content) {
      if (part.type === "text") continue;
      const key = imageKey(part);
      if (images.has(key)) continue;
      const bytes = part.type === "image_file" ? await readFile(part.image_file.file_id).catch(() => null) : fromDataUrl(part.image_url.url);
      const image = bytes ? imageBase64(bytes) : null;
      if (image) images.set(key, image);
    }
  }
  return images;
}

/** The base64 a vision model is sent, or null for what is not an image it reads or is too large to send. */
export function imageBase64(bytes: Uint8Array): string | null {
  return bytes.byteLength <= MAX_IMAGE_BYTES && isImage(bytes) ? Buffer.from(bytes).toString("base64") : null;
}

/**
 * How an image the model is not sent is named in the text, so it at least knows one was there. A `data:` URL
 * is not spelled out: its base64 would fill the context with noise.
 */
export function imageName(ref: { fileId: string } | { url: string }): string {
  if ("fileId" in ref) return `[image file ${ref.fileId}]`;
  return ref.url.startsWith("data:") ? "[image (inline data)]" : `[image ${ref.url}]`;
}

/** The bytes of a base64 `data:` URL of an image type; null for anything else. */
export function fromDataUrl(url: string): Uint8Array | null {
  const match = DATA_URL.exec(url);
  return match ? Buffer.from(match[2]!, "base64") : null;
}

/** PNG, JPEG, GIF or WebP by their first bytes: the formats vision models read. */
function isImage(b: Uint8Array): boolean {
  const starts = (...sig: number[]) => sig.every((v, i) => b[i] === v);
  return (
    starts(0x89, 0x50, 0x4e, 0x47) ||
    starts(0xff, 0xd8, 0xff) ||
    starts(0x47, 0x49, 0x46, 0x38) ||
    (starts(0x52, 0x49, 0x46, 0x46) && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50)
  );
}
