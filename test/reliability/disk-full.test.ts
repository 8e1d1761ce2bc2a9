/**
 * A full disk for real: DATA_DIR on a small tmpfs (mounted by the test; skipped where mounting is not allowed,
 * e.g. not root: test/contract/disk-full.test.ts covers the same answers with SQLite's own page limit and an
 * injected ENOSPC). Uploads fill it until one gets 507 `data_directory_full` (no `.partial` left behind); a
 * filler file takes the last bytes; database writes then get 507 too, not a raw 500; reads go on; deleting a
 * file works on the full disk (its bytes go first) and its room serves new writes.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";
import { Figures } from "./support/figures.js";

const SIZE_MB = 24;
const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), "la-diskfull-"));
const mounted = ((): boolean => {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${SIZE_MB}m`, "tmpfs", mountPoint], { stdio: "pipe" });
    return true;
  } catch (err) {
    console.log(`disk-full: cannot mount a tmpfs here (${(err as Error).message.split("\n")[0]}); skipped`);
    return false;
  }
})();

const BOUNDARY = "disk-full-boundary";
function multipart(name: string, bytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

describe.skipIf(!mounted)(`reliability: DATA_DIR on a ${SIZE_MB} MB tmpfs filled up`, () => {
  const figures = new Figures("disk full");
  let t: TestApp | undefined;

  afterAll(async () => {
    figures.print();
    await t?.close().catch(() => undefined);
    try {
      execFileSync("umount", [mountPoint], { stdio: "pipe" });
    } catch {
      execFileSync("umount", ["-l", mountPoint], { stdio: "pipe" });
    }
    fs.rmSync(mountPoint, { recursive: true, force: true });
  });

  it("uploads and writes get 507 data_directory_full; reads go on; a delete frees room that new writes use", async () => {
    t = await makeTestApp({ DATA_DIR: path.join(mountPoint, "data") });
    const upload = (i: number) =>
      t!.request("/v1/files", {
        method: "POST",
        headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
        body: new Uint8Array(multipart(`f${i}.bin`, Buffer.alloc(1024 * 1024, i))),
      });
    const expectFull = async (res: Response): Promise<void> => {
      const text = await res.text();
      expect(res.status, text).toBe(507);
      expect(res.headers.get("x-should-retry")).toBe("false");
      expect(JSON.parse(text)).toEqual({
        error: { message: expect.stringMatching(/^The data directory is full/), type: "server_error", param: null, code: "data_directory_full" },
      });
    };

    const ids: string[] = [];
    let res = await upload(0);
    for (let i = 1; res.status === 200 && i < 100; i++) {
      ids.push(((await res.json()) as { id: string }).id);
      figures.add("requests_tried");
      res = await upload(i);
    }
    figures.add("requests_tried");
    await expectFull(res);
    figures.set("files_before_full", ids.length);
    expect(fs.readdirSync(path.join(mountPoint, "data", "files")).sort()).toEqual([...ids].sort()); // no .partial

    // Take what is left, to the last byte.
    const filler = fs.openSync(path.join(mountPoint, "filler"), "w");
    const block = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) fs.writeSync(filler, block);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }
    for (let size = 4096; size >= 1; size >>= 1) {
      try {
        for (;;) fs.writeSync(filler, block.subarray(0, size));
      } catch {
        // next smaller
      }
    }
    fs.closeSync(filler);

    // The database fills up too: its writes answer 507, never a raw 500.
    const instructions = "x".repeat(100_000);
    let status = 200;
    let attempts = 0;
    let full: Response | undefined;
    for (; status === 200 && attempts < 2000; attempts++) {
      const r = await t.request("/v1/assistants", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", instructions }),
      });
      status = r.status;
      if (status !== 200) full = r;
      else await r.body?.cancel();
    }
    figures.add("requests_tried", attempts);
    figures.set("assistant_writes_before_full", attempts - 1);
    expect(full, "the database never filled up").toBeDefined();
    await expectFull(full!);
    figures.add("faults_injected");

    // Reads still work; so does deleting a file, on the full disk.
    const list = await t.request("/v1/files");
    expect(list.status).toBe(200);
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(ids.length);
    const gone = ids.pop()!;
    const del = await t.request(`/v1/files/${gone}`, { method: "DELETE" });
    expect(del.status, await del.clone().text()).toBe(200);
    expect(await del.json()).toEqual({ id: gone, object: "file", deleted: true });
    expect((await t.request(`/v1/files/${gone}`)).status).toBe(404);
    expect(fs.existsSync(path.join(mountPoint, "data", "files", gone))).toBe(false);

    // The freed megabyte takes new writes.
    const after = await t.request("/v1/assistants", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", name: "fits again" }),
    });
    expect(after.status, await after.clone().text()).toBe(200);
    fs.rmSync(path.join(mountPoint, "filler"));
    expect((await upload(999)).status).toBe(200);
    figures.set("losses", 0);
  });
});
