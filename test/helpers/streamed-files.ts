/**
 * Large uploads and downloads over a real socket without holding them in memory: what the upload reliability
 * test and the encryption benchmark send and read back.
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";

const MB = 1024 * 1024;
const BOUNDARY = "streamed-upload-boundary";

/** A multipart upload of `mb` MiB of pseudo-random bytes (every MiB differs), written as the socket drains. */
export function streamUpload(origin: string, mb: number, name: string): Promise<{ id: string; sha: string; bytes: number }> {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const block = randomBytes(MB);
  const hash = createHash("sha256");
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}/v1/files`, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": head.length + mb * MB + tail.length },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`upload: ${res.statusCode} ${text}`));
        const file = JSON.parse(text) as { id: string; bytes: number };
        resolve({ id: file.id, sha: hash.digest("hex"), bytes: file.bytes });
      });
    });
    let i = 0;
    const step = (): void => {
      for (;;) {
        if (i === mb) return void req.end(tail);
        block.writeUInt32BE(i++, 0);
        hash.update(block);
        if (!req.write(Buffer.from(block))) return void req.once("drain", step);
      }
    };
    req.write(head);
    step();
  });
}

/** Reads a file's content as it streams: its sha256, length and the status. */
export function streamDownload(origin: string, id: string): Promise<{ sha: string; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${origin}/v1/files/${id}/content`, (res) => {
        const hash = createHash("sha256");
        let bytes = 0;
        res.on("data", (d: Buffer) => {
          bytes += d.length;
          hash.update(d);
        });
        res.on("end", () => resolve({ sha: hash.digest("hex"), bytes, status: res.statusCode ?? 0 }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}
