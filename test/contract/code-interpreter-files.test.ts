/**
 * Files the code writes: stored as `assistants_output` files with the exact bytes, images as `image` outputs,
 * and the reply annotated with `file_path` annotations pointing at them.
 */
import { describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { callCode, ciThread, download, logsOf, runScripted, textAndAnnotations, toolMessages } from "../helpers/code-interpreter.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { useRunApp } from "../helpers/runs.js";

type FilePath = OpenAI.Beta.Threads.FilePathAnnotation;

const CSV = "region,total\nnorth,3\nsouth,4\nwest,\u00e9t\u00e9 \u2713\n";
/** An 8x8 PNG as the guest writes it: the signature and arbitrary chunk bytes (only the bytes matter here). */
const PNG_BYTES = [137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 8, 0, 0, 0, 8, 8, 2, 0, 0, 0, 75, 109, 41, 220];
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>';

/** Checks each file_path annotation covers exactly its `text` in the message text. */
function expectAnnotationsInPlace(text: string, annotations: OpenAI.Beta.Threads.Annotation[]): void {
  for (const a of annotations) expect(text.slice(a.start_index, a.end_index)).toBe(a.text);
}

describe("code_interpreter: files the code writes", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1" });

  it("a written file becomes an assistants_output file with the exact bytes, annotated where the reply names it", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t, "Make me a report");
    const code = `files.writeText("report.csv", ${JSON.stringify(CSV)}); console.log("saved")`;
    const reply = "Done: report.csv holds the totals.";
    const r = await runScripted(t, assistantId, threadId, callCode(code), { text: reply });
    expect(r.run.status).toBe("completed");
    expect(logsOf(r.calls[0])).toBe("saved\nFiles written: report.csv");
    expect(r.calls[0]!.code_interpreter.outputs).toHaveLength(1); // not an image
    expect(toolMessages(t.ollama.chatRequests[1])[0]!.content).toContain("Files written: report.csv");

    const { text, annotations } = textAndAnnotations(r.reply);
    expect(text).toBe(reply);
    expect(annotations).toHaveLength(1);
    const a = annotations[0] as FilePath;
    expect(a).toMatchObject({ type: "file_path", text: "report.csv", start_index: 6, end_index: 16 });
    expectAnnotationsInPlace(text, annotations);

    const file = await t.client.files.retrieve(a.file_path.file_id);
    expectMatchesSchema(file, "OpenAIFile");
    expect(file).toMatchObject({ object: "file", purpose: "assistants_output", filename: "report.csv", bytes: Buffer.byteLength(CSV) });
    expect((await download(t, file.id)).toString("utf8")).toBe(CSV);
    const listed = await t.client.files.list({ purpose: "assistants_output" });
    expect(listed.data.map((f) => f.id)).toEqual([file.id]);
  });

  it("a reply that does not name the file gets a markdown link appended, annotated", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const r = await runScripted(t, assistantId, threadId, callCode('files.writeText("out.txt", "hello")'), { text: "Here you go." });
    const { text, annotations } = textAndAnnotations(r.reply);
    expect(text).toBe("Here you go. [out.txt](sandbox:/mnt/data/out.txt)");
    expect(annotations).toEqual([
      { type: "file_path", text: "sandbox:/mnt/data/out.txt", start_index: 23, end_index: 48, file_path: { file_id: expect.stringMatching(/^file-/) } },
    ]);
    expect((await download(t, (annotations[0] as FilePath).file_path.file_id)).toString()).toBe("hello");
  });

  it("a reply that writes the sandbox link gets the link annotated, the hosted API's form", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const reply = "Download [the data](sandbox:/mnt/data/data.json).";
    const r = await runScripted(t, assistantId, threadId, callCode('files.writeText("data.json", JSON.stringify({ a: 1 }))'), { text: reply });
    const { text, annotations } = textAndAnnotations(r.reply);
    expect(text).toBe(reply);
    expect(annotations).toMatchObject([{ type: "file_path", text: "sandbox:/mnt/data/data.json", start_index: 20, end_index: 47 }]);
    expectAnnotationsInPlace(text, annotations);
  });

  it("a name is annotated where it stands as a whole name, not inside a longer one", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const reply = "Compare data.csv with a.csv.";
    const r = await runScripted(t, assistantId, threadId, callCode('files.writeText("a.csv", "1")'), { text: reply });
    const { text, annotations } = textAndAnnotations(r.reply);
    expect(text).toBe(reply);
    expect(annotations).toMatchObject([{ type: "file_path", text: "a.csv", start_index: 22, end_index: 27 }]);
  });

  it("binary writes keep every byte (writeBytes with a Uint8Array)", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const code = 'const b = new Uint8Array(256); for (let i = 0; i < 256; i++) b[i] = 255 - i; files.writeBytes("all.bin", b)';
    const r = await runScripted(t, assistantId, threadId, callCode(code), { text: "Wrote all.bin." });
    const [a] = textAndAnnotations(r.reply).annotations as FilePath[];
    const bytes = await download(t, a!.file_path.file_id);
    expect([...bytes]).toEqual(Array.from({ length: 256 }, (_, i) => 255 - i));
  });

  it("PNG and SVG writes are image outputs of the step, each with its file_id", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t, "Draw a chart");
    const code = `files.writeBytes("chart.png", ${JSON.stringify(PNG_BYTES)}); files.writeText("chart.svg", ${JSON.stringify(SVG)}); files.writeText("notes.md", "# n"); "drawn"`;
    const r = await runScripted(t, assistantId, threadId, callCode(code), { text: "See chart.png and chart.svg (notes in notes.md)." });
    expect(r.run.status).toBe("completed");
    const outputs = r.calls[0]!.code_interpreter.outputs;
    expect(outputs.map((o) => o.type)).toEqual(["logs", "image", "image"]);
    expect(logsOf(r.calls[0])).toBe("=> drawn\nFiles written: chart.png, chart.svg, notes.md");
    const images = outputs.filter((o): o is OpenAI.Beta.Threads.Runs.CodeInterpreterToolCall.CodeInterpreter.Image => o.type === "image");
    const png = await t.client.files.retrieve(images[0]!.image.file_id);
    const svg = await t.client.files.retrieve(images[1]!.image.file_id);
    expect([png.filename, png.purpose, svg.filename, svg.purpose]).toEqual(["chart.png", "assistants_output", "chart.svg", "assistants_output"]);
    expect([...(await download(t, png.id))]).toEqual(PNG_BYTES);
    expect((await download(t, svg.id)).toString()).toBe(SVG);
    // The model is told an image was produced (it cannot see it).
    expect(toolMessages(t.ollama.chatRequests[1])[0]!.content).toContain(`[image file ${png.id}]`);

    const { text, annotations } = textAndAnnotations(r.reply);
    expectAnnotationsInPlace(text, annotations);
    const byName = Object.fromEntries((annotations as FilePath[]).map((a) => [a.text, a.file_path.file_id]));
    expect(byName).toEqual({ "chart.png": png.id, "chart.svg": svg.id, "notes.md": expect.stringMatching(/^file-/) });
  });

  it("a file rewritten by a later call of the run is annotated once, pointing at the latest version", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const r = await runScripted(
      t,
      assistantId,
      threadId,
      callCode('files.writeText("result.txt", "draft")'),
      callCode('files.writeText("result.txt", "final")'),
      { text: "Final answer in result.txt." },
    );
    const { text, annotations } = textAndAnnotations(r.reply);
    expect(text).toBe("Final answer in result.txt.");
    expect(annotations).toHaveLength(1);
    expectAnnotationsInPlace(text, annotations);
    expect((await download(t, (annotations[0] as FilePath).file_path.file_id)).toString()).toBe("final");
    // Both versions exist as files (the first call's output stays downloadable from its step).
    expect((await t.client.files.list({ purpose: "assistants_output" })).data).toHaveLength(2);
  });

  it("rewriting a file with the same bytes makes no new file; files of an earlier run are not annotated again", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    await runScripted(t, assistantId, threadId, callCode('files.writeText("same.txt", "x")'), { text: "first" });
    await t.client.beta.threads.messages.create(threadId, { role: "user", content: "again" });
    const r = await runScripted(t, assistantId, threadId, callCode('files.writeText("same.txt", "x"); files.list()'), { text: "second" });
    expect(logsOf(r.calls[0])).toBe('=> ["same.txt"]');
    expect(textAndAnnotations(r.reply)).toEqual({ text: "second", annotations: [] });
    expect((await t.client.files.list({ purpose: "assistants_output" })).data).toHaveLength(1);
  });

  it("a file name with a path is refused inside the code; nothing is stored", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const r = await runScripted(t, assistantId, threadId, callCode('files.writeText("../../etc/passwd", "x")'), { text: "cannot" });
    expect(r.run.status).toBe("completed");
    expect(logsOf(r.calls[0])).toMatch(/^Error: invalid file name "..\/..\/etc\/passwd"/);
    expect((await t.client.files.list({ purpose: "assistants_output" })).data).toEqual([]);
    expect(textAndAnnotations(r.reply).annotations).toEqual([]);
  });
});
