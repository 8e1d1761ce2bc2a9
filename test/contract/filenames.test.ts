/**
 * File names: cut at 255 UTF-16 units between code points (an emoji split in half had made `/content` answer
 * 500 forever); downloads name the file with `filename*` (RFC 5987) beside an ASCII `filename`, and send
 * `X-Content-Type-Options: nosniff`.
 */
import { describe, expect, it } from "vitest";
import { toFile } from "openai";
import { useTestApp } from "../helpers/contract.js";
import type { TestApp } from "../helpers/test-app.js";

async function upload(t: TestApp, name: string) {
  return t.client.files.create({ file: await toFile(Buffer.from("x"), name), purpose: "assistants" });
}

/** The name a download's `filename*` gives, decoded. */
function starName(disposition: string): string {
  const match = /filename\*=UTF-8''([^;]+)$/.exec(disposition);
  expect(match, disposition).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

const isWellFormed = (s: string): boolean => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe("file names", () => {
  const app = useTestApp();

  it("a name whose 255th UTF-16 unit is half an emoji is cut before the emoji, and its content downloads", async () => {
    const t = app();
    const name = `${"a".repeat(254)}😀.txt`;
    const file = await upload(t, name);
    expect(file.filename).toBe("a".repeat(254));
    const res = await t.client.files.content(file.id);
    expect(res.status).toBe(200);
    expect(starName(res.headers.get("content-disposition")!)).toBe(file.filename);
  });

  it("a long emoji name keeps whole emoji only, at most 255 UTF-16 units", async () => {
    const t = app();
    const file = await upload(t, "🦊".repeat(200));
    expect(file.filename).toBe("🦊".repeat(127));
    expect(file.filename.length).toBe(254);
    expect(isWellFormed(file.filename)).toBe(true);
    expect((await t.client.files.retrieve(file.id)).filename).toBe(file.filename);
    expect((await t.client.files.content(file.id)).status).toBe(200);
  });

  it("downloads send filename* with the real name, an ASCII filename beside it, and nosniff", async () => {
    const t = app();
    const name = 'Résumé "final"; 50% 😀 (v2)*.pdf';
    const file = await upload(t, name);
    expect(file.filename).toBe(name);
    const res = await t.client.files.content(file.id);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const disposition = res.headers.get("content-disposition")!;
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
    expect(disposition.split('"')).toHaveLength(3);
    expect(/filename="([^"]*)"/.exec(disposition)![1]).toBe("R_sum_ _final_; 50_ _ (v2)*.pdf");
    expect(starName(disposition)).toBe(name);
  });

  it("a name already stored with a lone surrogate (before this fix) still downloads", async () => {
    const t = app();
    const file = await upload(t, "ok.txt");
    // What the old 255-unit cut could store: the first half of an emoji at the end.
    const broken = { ...file, filename: `${"b".repeat(254)}\uD83D` };
    // Through the table (not raw SQL): the store keeps what it writes for the reads that follow.
    t.services.repos.files.update(broken);
    expect((await t.client.files.retrieve(file.id)).filename).toBe(broken.filename);
    const res = await t.client.files.content(file.id);
    expect(res.status).toBe(200);
    expect(starName(res.headers.get("content-disposition")!)).toBe(`${"b".repeat(254)}\uFFFD`);
  });
});
