/**
 * Uploads in the real server process: a 200 MB upload streams to disk with memory O(1) (peak RSS from
 * /proc/<pid>/status VmHWM, against the same process's peak before it), four 50 MB uploads in parallel too,
 * downloads stream back byte for byte; with encryption at rest on, the same, plus a restart with a wrong key
 * (refused, with the message, nothing changed) and with the right one (everything reads back).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, type ServerProcess } from "../helpers/server-process.js";
import { streamDownload, streamUpload } from "../helpers/streamed-files.js";
import { byProfile, Figures } from "./support/figures.js";

const MB = 1024 * 1024;
const BIG_MB = byProfile(200, 100);
const PARALLEL = 4;
const PARALLEL_MB = byProfile(50, 25);
/** Peak RSS may grow by this much over the process's peak before the uploads (it was ~3x the upload). */
const PEAK_GROWTH_LIMIT_MB = 64;

const mb = (kb: number): number => Math.round(kb / 102.4) / 10;

describe.each([
  { mode: "plain", env: {} as Record<string, string> },
  { mode: "encrypted", env: { DATA_ENCRYPTION_KEY: randomBytes(32).toString("hex") } },
])("reliability: uploads in the server process ($mode)", ({ mode, env }) => {
  const figures = new Figures(`uploads (${mode})`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `la-uploads-${mode}-`));
  let server: ServerProcess | undefined;
  const start = async (extra: Record<string, string> = {}) =>
    (server = await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9", MAX_UPLOAD_BYTES: String(1024 * MB), ...env, ...extra }));

  afterAll(async () => {
    figures.print();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const uploaded: Array<{ id: string; sha: string; bytes: number }> = [];

  it(`a ${BIG_MB} MB upload, then ${PARALLEL} × ${PARALLEL_MB} MB in parallel: peak RSS grows by less than ${PEAK_GROWTH_LIMIT_MB} MB`, async () => {
    const s = await start();
    // Warm up every path once (first upload and download load their code), then take the peak so far.
    const warm = await streamUpload(s.origin, 1, "warm.bin");
    expect((await streamDownload(s.origin, warm.id)).sha).toBe(warm.sha);
    const before = s.rssKb("VmHWM");

    let t0 = performance.now();
    const big = await streamUpload(s.origin, BIG_MB, "big.bin");
    const bigSeconds = (performance.now() - t0) / 1000;
    expect(big.bytes).toBe(BIG_MB * MB);
    const afterBig = s.rssKb("VmHWM");

    t0 = performance.now();
    const parallel = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => streamUpload(s.origin, PARALLEL_MB, `p${i}.bin`)));
    const parallelSeconds = (performance.now() - t0) / 1000;
    const afterParallel = s.rssKb("VmHWM");

    t0 = performance.now();
    const down = await streamDownload(s.origin, big.id);
    const downSeconds = (performance.now() - t0) / 1000;
    expect(down).toEqual({ sha: big.sha, bytes: BIG_MB * MB, status: 200 });
    for (const p of parallel) expect((await streamDownload(s.origin, p.id)).sha).toBe(p.sha);
    const afterDownloads = s.rssKb("VmHWM");
    uploaded.push(big, ...parallel);

    figures.set("peak_rss_before_mb", mb(before));
    figures.set("peak_rss_after_big_upload_mb", mb(afterBig));
    figures.set("peak_rss_after_parallel_uploads_mb", mb(afterParallel));
    figures.set("peak_rss_after_downloads_mb", mb(afterDownloads));
    figures.set("big_upload_mb_per_s", Math.round(BIG_MB / bigSeconds));
    figures.set("parallel_upload_mb_per_s", Math.round((PARALLEL * PARALLEL_MB) / parallelSeconds));
    figures.set("big_download_mb_per_s", Math.round(BIG_MB / downSeconds));
    figures.set("requests_tried", 3 + 2 * PARALLEL + 2);
    figures.set("losses", 0);
    expect(mb(afterBig - before)).toBeLessThan(PEAK_GROWTH_LIMIT_MB);
    expect(mb(afterParallel - before)).toBeLessThan(PEAK_GROWTH_LIMIT_MB);
    expect(mb(afterDownloads - before)).toBeLessThan(PEAK_GROWTH_LIMIT_MB);
    expect(fs.readdirSync(path.join(dataDir, "files")).filter((n) => n.endsWith(".partial"))).toEqual([]);
  });

  it.runIf(mode === "encrypted")("a restart with a wrong key is refused with the message and changes nothing; the right key reads everything", async () => {
    await server!.stop();
    const listing = (): string[] => fs.readdirSync(dataDir, { recursive: true }).map(String).sort();
    const sizes = (): Record<string, number> => Object.fromEntries(listing().map((p) => [p, fs.statSync(path.join(dataDir, p)).size]));
    const before = sizes();
    const refused = await start({ DATA_ENCRYPTION_KEY: randomBytes(32).toString("hex") }).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/server exited before it was healthy \(code 1\)/);
    expect(refused).toMatch(/DATA_ENCRYPTION_KEY does not open the database in DATA_DIR \(.*db\.sqlite\)/);
    expect(sizes()).toEqual(before);
    figures.add("faults_injected");

    const s = await start();
    for (const f of uploaded) expect((await streamDownload(s.origin, f.id)).sha).toBe(f.sha);
    const list = (await (await fetch(`${s.baseURL}/files`)).json()) as { data: Array<{ id: string }> };
    for (const f of uploaded) expect(list.data.map((x) => x.id)).toContain(f.id);
  });
});
