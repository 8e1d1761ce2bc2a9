/**
 * The images and documents of a response's items, made ready for the model before anything is stored: an
 * `input_file`'s text (an uploaded file or base64 `file_data`; PDFs through the server's PDF reader, in its
 * worker thread) and an `input_image`'s bytes (an uploaded file or a `data:` URL) as the base64 a vision model
 * takes. What is wrong in the new input is a 400 naming the part; what is gone from the history since (a
 * deleted file) is named in the text instead, so an old conversation can still be continued.
 */
import type { InputFile, InputImage, ResponseItem } from "../api/responses-wire.js";
import { ApiError, badRequest } from "../errors.js";
import { extractText, ExtractionError } from "../files/extract-text.js";
import type { PdfReader } from "../files/pdf-reader.js";
import { fromDataUrl, imageBase64, imageName } from "../runs/images.js";

export interface AttachmentDeps {
  /** An uploaded file's name and bytes; null when there is no such file (in this project). */
  file(fileId: string): Promise<{ filename: string; bytes: Uint8Array } | null>;
  pdf: PdfReader;
}

/** What the model is given for each attachment part, looked up by the part itself. */
export class Attachments {
  private readonly texts = new WeakMap<InputFile, string>();
  private readonly images = new WeakMap<InputImage, string>();
  private imageCount = 0;

  /** Whether any image could be sent to a vision model. */
  get hasImages(): boolean {
    return this.imageCount > 0;
  }

  setText(part: InputFile, text: string): void {
    this.texts.set(part, text);
  }

  setImage(part: InputImage, base64: string): void {
    this.images.set(part, base64);
    this.imageCount++;
  }

  /** A document as the prompt shows it: its name, then its text. */
  text(part: InputFile): string {
    return this.texts.get(part) ?? `[file ${part.filename ?? part.file_id ?? "(inline)"}: no longer available]`;
  }

  /** The image's base64, or undefined when it is only named (an http(s) URL, a file gone since). */
  image(part: InputImage): string | undefined {
    return this.images.get(part);
  }

  /** How an image the model is not sent is named in the text. */
  static imageName(part: InputImage): string {
    return part.file_id ? imageName({ fileId: part.file_id }) : imageName({ url: part.image_url ?? "" });
  }
}

/**
 * Reads every attachment of `history` (failures named in the text) and `input` (failures are 400s naming
 * `input[i].content[j]`). A file given twice is read once.
 */
export async function loadAttachments(history: readonly ResponseItem[], input: readonly ResponseItem[], deps: AttachmentDeps): Promise<Attachments> {
  const attachments = new Attachments();
  const documents = new Map<string, Promise<string>>();
  const load = async (items: readonly ResponseItem[], param: ((i: number, j: number) => string) | null): Promise<void> => {
    for (const [i, item] of items.entries()) {
      if (item.type !== "message") continue;
      for (const [j, part] of item.content.entries()) {
        if (part.type !== "input_file" && part.type !== "input_image") continue;
        try {
          if (part.type === "input_file") attachments.setText(part, await documentText(part, deps, documents));
          else {
            const image = await imageOf(part, deps);
            if (image !== null) attachments.setImage(part, image);
          }
        } catch (err) {
          // The history was valid when it was stored; what changed since is shown as missing, not refused.
          if (param === null) continue;
          throw err instanceof ApiError ? withParam(err, param(i, j)) : err;
        }
      }
    }
  };
  await load(history, null);
  await load(input, (i, j) => `input[${i}].content[${j}]`);
  return attachments;
}

async function documentText(part: InputFile, deps: AttachmentDeps, documents: Map<string, Promise<string>>): Promise<string> {
  if (part.file_id) {
    const fileId = part.file_id;
    // The name decides how the bytes are read, so a file given under two names is read as each.
    const key = `${fileId}\u0000${part.filename ?? ""}`;
    let text = documents.get(key);
    if (!text) {
      text = (async () => {
        const file = await deps.file(fileId);
        if (!file) throw badRequest(`No file found with id '${fileId}'.`, "file_id", "file_not_found");
        return extracted(file.bytes, part.filename ?? file.filename, deps.pdf);
      })();
      documents.set(key, text);
    }
    return text;
  }
  if (part.file_data !== undefined) {
    const bytes = decodeFileData(part.file_data);
    return extracted(bytes, part.filename ?? (isPdf(bytes) ? "file.pdf" : "file.txt"), deps.pdf);
  }
  throw badRequest("An input_file needs a file_id or file_data.", null, "missing_required_parameter");
}

/** The document's text as the prompt shows it, pages separated by a blank line. */
async function extracted(bytes: Uint8Array, filename: string, pdf: PdfReader): Promise<string> {
  try {
    const doc = await extractText(bytes, filename, { pdf });
    return `[file ${filename}]\n${doc.pages.map((p) => p.text.trim()).filter((t) => t.length > 0).join("\n\n")}`;
  } catch (err) {
    if (err instanceof ExtractionError) throw badRequest(`The file '${filename}' could not be read: ${err.message}`, null, err.code);
    throw badRequest(`The file '${filename}' could not be read: ${err instanceof Error ? err.message : String(err)}`, null, "invalid_file");
  }
}

/** `file_data`: a base64 `data:` URL (as the SDKs send it) or bare base64. */
function decodeFileData(data: string): Uint8Array {
  const match = /^data:[\w.+-]+\/[\w.+-]+;base64,(.*)$/s.exec(data);
  const base64 = (match ? match[1]! : data).replace(/\s+/g, "");
  if (base64.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw badRequest("file_data must be base64, as a data: URL (data:application/pdf;base64,...) or bare.", "file_data", "invalid_value");
  }
  return Buffer.from(base64, "base64");
}

function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 5)).toString("latin1") === "%PDF-";
}

/** The image's base64 for a vision model; null for an http(s) URL, which is named, never fetched (offline). */
async function imageOf(part: InputImage, deps: AttachmentDeps): Promise<string | null> {
  if (part.file_id) {
    const file = await deps.file(part.file_id);
    if (!file) throw badRequest(`No file found with id '${part.file_id}'.`, "file_id", "file_not_found");
    const image = imageBase64(file.bytes);
    if (image === null) throw badRequest(`The file '${file.filename}' is not a PNG, JPEG, GIF or WebP image under 20 MB.`, "file_id", "invalid_image");
    return image;
  }
  const url = part.image_url;
  if (!url) throw badRequest("An input_image needs an image_url or a file_id.", null, "missing_required_parameter");
  if (/^https?:\/\//i.test(url)) return null;
  const bytes = fromDataUrl(url);
  const image = bytes ? imageBase64(bytes) : null;
  if (image === null) {
    throw badRequest("image_url must be an http(s) URL or a base64 data: URL of a PNG, JPEG, GIF or WebP image under 20 MB.", "image_url", "invalid_image_url");
  }
  return image;
}

/** The same error, with its param placed under the part (`file_id` → `input[0].content[1].file_id`). */
function withParam(err: ApiError, base: string): ApiError {
  const param = err.param ? `${base}.${err.param}` : base;
  return badRequest(err.message, param, err.code);
}
