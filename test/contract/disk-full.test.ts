/**
 * A full data directory, in process: SQLite made full for real (PRAGMA max_page_count: SQLITE_FULL from SQLite
 * itself), and a blob write failing with ENOSPC (a fault-injecting wrapper around the upload's bytes, as a
 * test cannot fill the machine's disk). Both answer 507 `data_directory_full` in OpenAI's shape, not a raw 500;
 * deleting a file works on a full database. (A real full filesystem, a small tmpfs: test/reliability/disk-full.)
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { rawError, sdkError, useTestApp } from "../helpers/contract.js";
import { captureLog } from "../helpers/log-capture.js";
import type { TestApp } from "../helpers/test-app.js";

const FULL = {
  type: "server_error",
  code: "data_directory_full",
  message: expect.stringMatching(/^The data directory is full: free space on the disk that holds DATA_DIR/),
};

function enospc(): Error {
  return Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" });
}

/** The upload's bytes fail with ENOSPC after `after` bytes, as a write to a full disk does. */
function failWritesAfter(t: TestApp, after: number): void {
  const blobs = (t.services.files as unknown as { blobs: { receive(id: string, src: AsyncIterable<Uint8Array>): Promise<number> } }).blobs;
  const receive = blobs.receive.bind(blobs);
  blobs.receive = (id, source) =>
    receive(id, (async function* () {
      let seen = 0;
      for await (const chunk of source) {
        seen += chunk.byteLength;
        if (seen > after) throw enospc();
        yield chunk;
      }
    })());
}

describe("a full data directory", () => {
  const app = useTestApp();

  it("an upload that hits ENOSPC is 507 data_directory_full (no retry asked for) and leaves no .partial", async () => {
    const t = app();
    const logged = captureLog();
    failWritesAfter(t, 100_000);
    const err = await sdkError(
      t.client.files.create({ file: await toFile(Buffer.alloc(300_000, 7), "big.bin"), purpose: "assistants" }),
      OpenAI.InternalServerError,
    );
    expect(err.status).toBe(507);
    expect(err.error).toEqual({ ...FULL, param: null });
    expect(err.headers.get("x-should-retry")).toBe("false");
    expect(fs.readdirSync(path.join(t.dataDir, "files"))).toEqual([]);
    logged.stop();
    expect(logged.lines().filter((l) => l.level === "error")).toEqual([]); // a full disk is no server error

  });

  it("SQLITE_FULL anywhere is 507; reads go on; deleting a file works and makes room again", async () => {
    const t = app();
    const files = [];
    for (let i = 0; i < 3; i++) files.push(await t.client.files.create({ file: await toFile(Buffer.from(`f${i}`), `f${i}.txt`), purpose: "assistants" }));
    const big = "x".repeat(200_000);
    for (let i = 0; i < 3; i++) await t.client.beta.assistants.create({ model: "gpt-4o", instructions: big });
    const db = t.services.db as import("better-sqlite3").Database; // SQLite's own limit: this test is SQLite's
    db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true }) as number}`);

    const logged = captureLog();
    let status = 0;
    let full: Response | undefined;
    for (let i = 0; i < 50 && status !== 507; i++) {
      const res = await t.request("/v1/assistants", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", instructions: big }),
      });
      status = res.status;
      if (status === 507) full = res;
      else expect(status).toBe(200);
    }
    expect(full, "the database never filled up").toBeDefined();
    expect(full!.headers.get("x-should-retry")).toBe("false");
    expect(await rawError(full!, 507)).toEqual({ ...FULL, param: null });
    logged.stop();
    expect(logged.lines().filter((l) => l.level === "error")).toEqual([]);

    // Still full: reads work, and a delete goes through.
    expect((await t.client.files.list()).data).toHaveLength(3);
    const target = files[0]!;
    expect(await t.client.files.delete(target.id)).toEqual({ id: target.id, object: "file", deleted: true });
    await sdkError(t.client.files.retrieve(target.id), OpenAI.NotFoundError);
    expect(fs.existsSync(path.join(t.dataDir, "files", target.id))).toBe(false);
    const assistants = (await t.client.beta.assistants.list()).data;
    await t.client.beta.assistants.delete(assistants[0]!.id);
    // The room a delete freed is used again.
    expect((await t.client.beta.assistants.create({ model: "gpt-4o", name: "fits again" })).name).toBe("fits again");
  });
});
