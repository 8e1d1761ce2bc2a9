import { createRequire } from "node:module";
import type { BusboyInstance } from "@fastify/busboy";

type BusboyModule = typeof import("@fastify/busboy");

/** The multipart parser, loaded by the first upload (CommonJS: synchronously), not at boot: an idle server has none. */
let busboy: BusboyModule["Busboy"] | null = null;
function multipartParser(config: ConstructorParameters<BusboyModule["Busboy"]>[0]): BusboyInstance {
  busboy ??= (createRequire(import.meta.url)("@fastify/busboy") as BusboyModule).Busboy;
  return busboy(config);
}
import type { Readable } from "node:stream";
import { ApiError, badRequest } from "../errors.js";
import type { FileService, ReceivedFile } from "../files/file-service.js";

/** What a multipart upload carried: its `file` part (already on disk, not yet a file) and its text fields. */
export interface ReceivedUpload {
  /** The first part named `file` that is a file; null if there was none. */
  readonly file: (ReceivedFile & { readonly name: string }) | null;
  /** Text fields by name (the last of a repeated name wins); a text field named `file` is here too. */
  readonly fields: ReadonlyMap<string, string>;
}

export function uploadTooLarge(maxBytes: number): ApiError {
  return new ApiError(413, `Request body too large: the limit is ${maxBytes} bytes.`, "invalid_request_error", null, "request_too_large");
}

const invalidMultipart = (): ApiError => badRequest("Could not parse the multipart/form-data body.", null, "invalid_multipart");

/**
 * Parses a multipart/form-data body as it arrives (@fastify/busboy) and streams its `file` part straight to
 * disk through `files.receive`: memory per upload stays O(1) whatever its size. The body is read with
 * back-pressure (no more than the parser and the disk take), counted against `maxBytes` (the whole body, as
 * MAX_UPLOAD_BYTES always meant) and cut off past it with 413. On every failure the received bytes are removed.
 * Other file parts are read and dropped; text fields are held to 64 KiB each.
 */
export async function receiveUpload(
  req: Request,
  files: Pick<FileService, "receive" | "discard">,
  maxBytes: number,
): Promise<ReceivedUpload> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw uploadTooLarge(maxBytes);
  const body = req.body;
  if (body === null) throw invalidMultipart();

  let parser: BusboyInstance;
  try {
    parser = multipartParser({
      headers: { "content-type": req.headers.get("content-type") ?? "" },
      defCharset: "utf8",
      limits: { fieldSize: 64 * 1024, fields: 100, parts: 1000, headerPairs: 100 },
    });
  } catch {
    throw invalidMultipart(); // no boundary, or not multipart at all
  }

  const fields = new Map<string, string>();
  let receipt: Promise<ReceivedFile> | null = null;
  let fileName = "";
  let receiving: Readable | null = null;
  // The first failure of the parser (a malformed body) or of the disk write; it ends every wait below, so a
  // write that stopped (a full disk) cannot leave the body pump waiting for a drain that never comes.
  let failure: unknown = null;
  let wake!: () => void;
  const failed = new Promise<void>((resolve) => (wake = resolve));
  const fail = (err: unknown): void => {
    if (failure !== null) return;
    failure = err;
    wake();
  };
  parser.on("file", (field, stream, filename) => {
    if (field === "file" && receipt === null) {
      // Browsers and undici's FormData write `"`, CR and LF in a file name as %22, %0D, %0A; the parser we
      // replaced (undici's) read them back so, and so do we.
      fileName = filename.replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
      receiving = stream;
      // The parser reports a part cut short by emitting 'error' on its stream, not by destroying it: destroy it
      // with a 400, so the disk write stops and the upload fails with that (unless it already failed otherwise,
      // a full disk say). The listener stays, so no error on this stream is ever unhandled.
      stream.on("error", () => {
        if (receiving === stream && !stream.destroyed) stream.destroy(invalidMultipart());
      });
      receipt = files.receive(stream);
      receipt.then(() => (receiving = null), (err: unknown) => ((receiving = null), fail(err)));
    } else {
      stream.on("error", () => undefined);
      stream.resume();
    }
  });
  parser.on("field", (name, value) => fields.set(name, value));
  parser.on("error", () => fail(invalidMultipart()));
  const parsed = new Promise<void>((resolve) => parser.on("finish", resolve));

  const reader = body.getReader();
  let readToEnd = false;
  try {
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read(); // a client gone away throws here, as it is
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw uploadTooLarge(maxBytes);
      if (failure === null && !parser.write(value)) await Promise.race([drained(parser), failed]);
      if (failure !== null) throw failure;
    }
    readToEnd = true;
    parser.end();
    await Promise.race([parsed, failed]);
    if (failure !== null) throw failure;
    const received = receipt === null ? null : await (receipt as Promise<ReceivedFile>);
    return { file: received === null ? null : { ...received, name: fileName }, fields };
  } catch (err) {
    (receiving as Readable | null)?.destroy(err instanceof Error ? err : new Error(String(err)));
    parser.destroy();
    if (receipt !== null) {
      // Removes the partial file (receive does when its source fails) or, if it was complete, the received bytes.
      await (receipt as Promise<ReceivedFile>).then((r) => files.discard(r), () => undefined);
    }
    if (!readToEnd) discardRest(reader);
    throw err;
  }
}

function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.once("drain", resolve));
}

/**
 * Reads and drops the rest of a body we stopped in (413, a malformed part), in the background, so the client
 * can finish sending and read the answer; the HTTP adapter ends the connection soon after anyway.
 */
function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  void (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // the client went away
    } finally {
      reader.releaseLock();
    }
  })();
}
