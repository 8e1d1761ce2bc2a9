/**
 * Images in messages reach a vision model: uploaded image files and data: URLs of user messages go as
 * base64 `images` on that message in Ollama's request; a model without the vision capability, and URLs the
 * server does not fetch, get the images named in the text instead.
 */
import { toFile } from "openai";
import { describe, expect, it } from "vitest";
import type { ChatBody } from "../fakes/ollama-fake.js";
import { useRunApp, waitForRun } from "../helpers/runs.js";

// A real 1×1 PNG and a real 1×1 GIF.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const GIF_BASE64 = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

const MODELS = [
  { name: "llava", capabilities: ["completion", "vision"] },
  { name: "textonly", capabilities: ["completion", "tools"] },
];

async function askAboutImages(t: ReturnType<ReturnType<typeof useRunApp>>, model: string): Promise<ChatBody["messages"]> {
  const image = await t.client.files.create({ file: await toFile(PNG, "dot.png"), purpose: "vision" });
  const notImage = await t.client.files.create({ file: await toFile(Buffer.from("just text"), "notes.txt"), purpose: "vision" });
  const assistant = await t.client.beta.assistants.create({ model });
  const thread = await t.client.beta.threads.create({
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "What is in these pictures?" },
          { type: "image_file", image_file: { file_id: image.id } },
          { type: "image_url", image_url: { url: `data:image/gif;base64,${GIF_BASE64}` } },
          { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          { type: "image_file", image_file: { file_id: notImage.id } },
        ],
      },
    ],
  });
  t.ollama.script({ text: "Two tiny dots." });
  const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  expect((await waitForRun(t.client, thread.id, run.id)).status).toBe("completed");
  return t.ollama.chatRequests.at(-1)!.messages.map((m) => ({ ...m, content: m.content.replace(notImage.id, "<notes>") }));
}

describe("images in messages", () => {
  const app = useRunApp({}, { models: MODELS });

  it("a vision model gets uploaded images and data: URLs as base64 images; the rest is named", async () => {
    const t = app();
    const messages = await askAboutImages(t, "llava");
    const user = messages.find((m) => m.role === "user")!;
    expect(user.images).toEqual([PNG.toString("base64"), GIF_BASE64]);
    expect(user.content).toBe("What is in these pictures?\n[image https://example.com/cat.png]\n[image file <notes>]");
  });

  it("a model without vision gets every image named, none sent", async () => {
    const t = app();
    const messages = await askAboutImages(t, "textonly");
    const user = messages.find((m) => m.role === "user")!;
    expect(user.images).toBeUndefined();
    // A data: URL is named without its base64, which would only fill the context.
    expect(user.content).toMatch(/^What is in these pictures\?\n\[image file file-\w+\]\n\[image \(inline data\)\]\n/);
    expect(user.content).not.toContain(GIF_BASE64);
  });
});
