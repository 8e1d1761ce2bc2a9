/**
 * Images and documents in Responses input, through the SDK: `input_image` (an uploaded file or a data: URL)
 * reaches a vision model as Ollama `images` and is named for others (http(s) URLs are named, never fetched);
 * `input_file` (an uploaded file or base64 `file_data`) puts the document's text into the prompt, also when a
 * later turn continues with previous_response_id. Bad parts are 400s naming the part; nothing is stored.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BadRequestError, toFile } from "openai";
import { sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { expectResponseSchema } from "../helpers/responses.js";
import { useRunApp } from "../helpers/runs.js";

const PDF = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/pdfs/pdflatex-4-pages.pdf"));
// A real 1×1 PNG and a real 1×1 GIF.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const GIF_BASE64 = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
const MODELS = [
  { name: "llava", capabilities: ["completion", "vision"] },
  { name: "textonly", capabilities: ["completion", "tools"] },
];

type App = ReturnType<ReturnType<typeof useRunApp>>;

function rows(t: App, table: string): number {
  return (t.services.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

async function askAboutImages(t: App, model: string) {
  const image = await t.client.files.create({ file: await toFile(PNG, "dot.png"), purpose: "vision" });
  t.ollama.script({ text: "Two tiny dots." });
  const response = await t.client.responses.create({
    model,
    input: [
      {
        role: "user",
        content: [
          { type: "input_text", text: "What is in these pictures?" },
          { type: "input_image", file_id: image.id, detail: "auto" },
          { type: "input_image", image_url: `data:image/gif;base64,${GIF_BASE64}`, detail: "low" },
          { type: "input_image", image_url: "https://example.com/cat.png", detail: "auto" },
        ],
      },
    ],
  });
  expectResponseSchema(response);
  expect(response.output_text).toBe("Two tiny dots.");
  return { response, image, user: t.ollama.chatRequests.at(-1)!.messages.find((m) => m.role === "user")! };
}

describe("Responses API: images and files in input", () => {
  const app = useRunApp({}, { models: ["llama3.2:3b", ...MODELS] as never });

  it("sends a vision model the uploaded image and the data: URL as base64 images, naming the http URL", async () => {
    const t = app();
    const { response, image, user } = await askAboutImages(t, "llava");
    expect(user.images).toEqual([PNG.toString("base64"), GIF_BASE64]);
    expect(user.content).toBe("What is in these pictures?\n[image https://example.com/cat.png]");
    // The input items keep the parts as given; image URLs are listed with include message.input_image.image_url.
    const items = await t.client.responses.inputItems.list(response.id, { include: ["message.input_image.image_url"] });
    expectMatchesResponsesSchema(wireBody(items), "ResponseItemList");
    expect(items.data[0]).toMatchObject({
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "What is in these pictures?" },
        { type: "input_image", file_id: image.id, image_url: null, detail: "auto" },
        { type: "input_image", file_id: null, image_url: `data:image/gif;base64,${GIF_BASE64}`, detail: "low" },
        { type: "input_image", file_id: null, image_url: "https://example.com/cat.png", detail: "auto" },
      ],
    });
    const plain = await t.client.responses.inputItems.list(response.id);
    const parts = (plain.data[0] as { content: { type: string; image_url?: string | null }[] }).content;
    expect(parts.filter((p) => p.type === "input_image").map((p) => p.image_url)).toEqual([null, null, null]);
    // Only the listing leaves them out: a later turn still sends the model the images.
    t.ollama.script({ text: "Still two dots." });
    await t.client.responses.create({ model: "llava", previous_response_id: response.id, input: "And now?" });
    expect(t.ollama.chatRequests.at(-1)!.messages.find((m) => m.role === "user")!.images).toEqual([PNG.toString("base64"), GIF_BASE64]);
  });

  it("names every image for a model without vision, sending none and no base64 in the text", async () => {
    const t = app();
    const { image, user } = await askAboutImages(t, "textonly");
    expect(user.images).toBeUndefined();
    expect(user.content).toBe(`What is in these pictures?\n[image file ${image.id}]\n[image (inline data)]\n[image https://example.com/cat.png]`);
  });

  it("puts an uploaded PDF's text and a base64 file's text into the prompt, and again on the next turn", async () => {
    const t = app();
    const file = await t.client.files.create({ file: await toFile(PDF, "four-pages.pdf"), purpose: "user_data" });
    t.ollama.script({ text: "It is filler text." }, { text: "Four pages." });
    const first = await t.client.responses.create({
      model: "gpt-4o",
      input: [
        {
          role: "user",
          content: [
            { type: "input_file", file_id: file.id },
            { type: "input_file", filename: "notes.md", file_data: `data:text/markdown;base64,${Buffer.from("# Notes\nThe launch is on Tuesday.").toString("base64")}` },
            { type: "input_text", text: "What are these?" },
          ],
        },
      ],
    });
    expect(first.status).toBe("completed");
    const prompt = t.ollama.chatRequests[0]!.messages.at(-1)!.content;
    expect(prompt).toMatch(/^\[file four-pages\.pdf\]\nHello, here is some text without a meaning\./);
    // All four pages, in order.
    expect(prompt.indexOf("information. Really?")).toBeGreaterThan(0);
    expect(prompt.indexOf("in of the original language")).toBeGreaterThan(prompt.indexOf("information. Really?"));
    expect(prompt).toContain("[file notes.md]\n# Notes\nThe launch is on Tuesday.");
    expect(prompt.endsWith("What are these?")).toBe(true);

    // A base64 PDF is read as a PDF.
    t.ollama.script({ text: "ok" });
    await t.client.responses.create({ model: "gpt-4o", input: [{ role: "user", content: [{ type: "input_file", filename: "inline.pdf", file_data: `data:application/pdf;base64,${PDF.toString("base64")}` }] }] });
    expect(t.ollama.chatRequests.at(-1)!.messages.at(-1)!.content).toMatch(/^\[file inline\.pdf\]\nHello, here is some text/);

    // The next turn sees the documents again; once the file is deleted, it is named as gone, not refused.
    await t.client.responses.create({ model: "gpt-4o", previous_response_id: first.id, input: "How many pages?" });
    expect(t.ollama.chatRequests.at(-1)!.messages[0]!.content).toMatch(/^\[file four-pages\.pdf\]\nHello/);
    await t.client.files.delete(file.id);
    t.ollama.script({ text: "gone" });
    const later = await t.client.responses.create({ model: "gpt-4o", previous_response_id: first.id, input: "And now?" });
    expect(later.status).toBe("completed");
    expect(t.ollama.chatRequests.at(-1)!.messages[0]!.content).toBe(`[file ${file.id}: no longer available]\n[file notes.md]\n# Notes\nThe launch is on Tuesday.\nWhat are these?`);
  });

  it("refuses missing, unreadable and unfetchable attachments with 400s naming the part, storing nothing", async () => {
    const t = app();
    const notes = await t.client.files.create({ file: await toFile(Buffer.from("just text"), "notes.txt"), purpose: "user_data" });
    const before = rows(t, "responses");
    const part = (content: Record<string, unknown>) => ({ model: "gpt-4o", input: [{ role: "user", content: [{ type: "input_text", text: "look" }, content] }] });
    const cases: [Record<string, unknown>, string, string][] = [
      [part({ type: "input_image", file_id: "file-missing", detail: "auto" }), "input[0].content[1].file_id", "file_not_found"],
      [part({ type: "input_image", file_id: notes.id, detail: "auto" }), "input[0].content[1].file_id", "invalid_image"],
      [part({ type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "auto" }), "input[0].content[1].image_url", "invalid_image_url"],
      [part({ type: "input_image", image_url: "file:///etc/passwd", detail: "auto" }), "input[0].content[1].image_url", "invalid_image_url"],
      [part({ type: "input_image", detail: "auto" }), "input[0].content[1]", "missing_required_parameter"],
      [part({ type: "input_file", file_id: "file-missing" }), "input[0].content[1].file_id", "file_not_found"],
      [part({ type: "input_file", file_url: "https://example.com/a.pdf" }), "input[0].content[1].file_url", "unsupported_value"],
      [part({ type: "input_file", filename: "broken.pdf", file_data: `data:application/pdf;base64,${Buffer.from("%PDF-1.7 nothing else").toString("base64")}` }), "input[0].content[1]", "invalid_file"],
      [part({ type: "input_file", file_data: "not base64 at all!" }), "input[0].content[1].file_data", "invalid_value"],
    ];
    for (const [body, param, code] of cases) {
      const err = await sdkError(t.client.responses.create(body as never), BadRequestError);
      expect({ param: err.error.param, code: err.error.code }, JSON.stringify(body).slice(0, 200)).toEqual({ param, code });
    }
    expect(t.ollama.chatRequests).toHaveLength(0);
    expect(rows(t, "responses")).toBe(before);
  });
});
