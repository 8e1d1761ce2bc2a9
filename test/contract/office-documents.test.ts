/**
 * Office documents and spreadsheets in vector stores, through the API: DOCX, PPTX (a page per slide), XLSX and
 * ODS (a page per sheet), CSV/TSV and EPUB are read, searched and cited with their slide or sheet number; and
 * hostile ones (a ZIP bomb, a lying ZIP directory, damaged ZIPs, OLE files) fail alone with `invalid_file` and
 * a message naming the problem, while the store's other files complete. Every fixture is written here: XLSX
 * with exceljs, the others part by part (test/helpers/office-files.ts).
 */
import ExcelJS from "exceljs";
import { strToU8, zipSync } from "fflate";
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { RunTestApp } from "../helpers/run-app.js";
import { deflatedZeros, docx, DOCX_CONTENT_TYPES, DOCX_ROOT_RELS, entry, epub, ods, pptx, rawZip } from "../helpers/office-files.js";
import { contentOf, search, storeOf, useVsApp } from "../helpers/vector-stores.js";

type FileSearchCall = OpenAI.Beta.Threads.Runs.FileSearchToolCall;
type ToolCallsDetails = OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;
type Result = { file_id: string; file_name: string; page?: number; content?: Array<{ text: string }> };

const INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content" as const;

async function xlsx(fill: (wb: ExcelJS.Workbook) => void): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  fill(wb);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** A budget workbook: three sheets, the distinctive words on the second, an empty one in between. */
const budgetXlsx = () =>
  xlsx((wb) => {
    wb.addWorksheet("Summary").addRow(["Overview", "of the expedition"]);
    const budget = wb.addWorksheet("Budget");
    budget.addRow(["Item", "Cost", "Bought", "Total"]);
    budget.addRow(["Lanterns", 12.5, new Date(Date.UTC(2024, 2, 5)), { formula: "B2*40", result: 500 }]);
    budget.addRow(["Theodolite", 310, new Date(Date.UTC(2024, 2, 6, 13, 30)), { formula: "B3*1", result: 310 }]);
    wb.addWorksheet("Empty");
    wb.addWorksheet("Crew").addRow(["Navigator", "Amundsen"]);
  });

/** file_search in a run, scripted to search `query`: the results as the run step records them, and what the model was shown. */
async function searchInRun(t: RunTestApp, storeId: string, query: string): Promise<{ results: Result[]; shown: string }> {
  const assistant = await t.assistant({ tools: [{ type: "file_search" }], tool_resources: { file_search: { vector_store_ids: [storeId] } } });
  const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "Look it up." }] });
  t.ollama.script({ toolCalls: [{ name: "file_search", arguments: { query } }] }, { text: "Noted." });
  const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
  expect(run.status).toBe("completed");
  const steps = await t.client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, include: [INCLUDE_CONTENT] });
  const call = (steps.data.find((s) => s.step_details.type === "tool_calls")!.step_details as ToolCallsDetails).tool_calls[0] as FileSearchCall;
  const shown = t.ollama.chatRequests.at(-1)!.messages.find((m) => m.role === "tool")!.content;
  return { results: call.file_search.results as Result[], shown };
}

describe("Office documents in vector stores", () => {
  const app = useVsApp({ EMBEDDING_MODEL: "" });

  it("DOCX: headings, paragraphs, lists and table rows are indexed as text; one page without a number", async () => {
    const t = app();
    const manual = docx([
      { heading: "Lighthouse maintenance" },
      { paragraph: "Polish the Fresnel lens every morning." },
      { bullets: ["Trim the wick", "Wind the clockwork"] },
      { numbered: ["Climb the stair", "Light the lamp"] },
      { table: [["Item", "Count", "Keeper"], ["Lanterns", "40", "Quartermaster Ames"]] },
    ]);
    const { store, ids } = await storeOf(t, { "manual.docx": manual, "notes.txt": "Unrelated notes about sourdough." });
    const file = await t.client.vectorStores.files.retrieve(ids["manual.docx"]!, { vector_store_id: store.id });
    expect(file.status).toBe("completed");
    const text = await contentOf(t, store.id, file.id);
    expect(text).toContain("Lighthouse maintenance\n\nPolish the Fresnel lens every morning.");
    expect(text).toContain("- Trim the wick\n- Wind the clockwork");
    expect(text).toContain("1. Climb the stair\n2. Light the lamp");
    expect(text).toContain("Item | Count | Keeper\n\nLanterns | 40 | Quartermaster Ames");
    const hits = await search(t, store.id, { query: "quartermaster" });
    expect(hits.map((h) => h.filename)).toEqual(["manual.docx"]);
    const { results, shown } = await searchInRun(t, store.id, "quartermaster");
    expect(results[0]).toMatchObject({ file_id: file.id, file_name: "manual.docx" });
    expect(results[0]).not.toHaveProperty("page");
    expect(shown).toMatch(/^\[1\] manual\.docx:\n/);
  });

  it("PPTX: a page per slide, numbered in deck order, with the slide's speaker notes; no chunk mixes slides", async () => {
    const t = app();
    const deck = pptx([
      { title: "Expedition plan", body: ["Leave from Tromsø", "Reach the pole by April"] },
      { title: "Equipment", table: [["Item", "Count"], ["Sledges", "12"]], notes: "Remind everyone about the zeppelin mooring mast." },
      { title: "Risks", body: ["Pack ice near Svalbard", "Scurvy"] },
    ]);
    const { store, ids } = await storeOf(t, { "deck.pptx": deck, "notes.txt": "Unrelated notes about sourdough." });
    expect((await t.client.vectorStores.files.retrieve(ids["deck.pptx"]!, { vector_store_id: store.id })).status).toBe("completed");

    const notes = await search(t, store.id, { query: "zeppelin mooring" });
    expect(notes[0]!.filename).toBe("deck.pptx");
    expect(notes[0]!.content[0]!.text).toBe("Slide 2: Equipment\n\nItem | Count\nSledges | 12\n\nSpeaker notes: Remind everyone about the zeppelin mooring mast.");
    const risks = await search(t, store.id, { query: "Svalbard" });
    expect(risks[0]!.content[0]!.text).toBe("Slide 3: Risks\n\nPack ice near Svalbard\nScurvy");
    // The slide numbers slide-number placeholders show are not text.
    expect(await contentOf(t, store.id, ids["deck.pptx"]!)).not.toMatch(/\n[123]\n|\n[123]$/);

    const { results } = await searchInRun(t, store.id, "Svalbard pack ice");
    expect(results[0]).toMatchObject({ file_name: "deck.pptx", page: 3 });
  });

  it("XLSX: a page per sheet (its tab number), each row with its header; formulas as results, dates as dates", async () => {
    const t = app();
    const { store, ids } = await storeOf(t, { "budget.xlsx": await budgetXlsx(), "notes.txt": "Unrelated notes about sourdough." });
    expect((await t.client.vectorStores.files.retrieve(ids["budget.xlsx"]!, { vector_store_id: store.id })).status).toBe("completed");
    const hits = await search(t, store.id, { query: "theodolite" });
    expect(hits[0]!.filename).toBe("budget.xlsx");
    expect(hits[0]!.content[0]!.text).toBe(
      "Sheet 2: Budget\n\nColumns: Item | Cost | Bought | Total\n\n" +
        "Item: Lanterns | Cost: 12.5 | Bought: 2024-03-05 | Total: 500\n\n" +
        "Item: Theodolite | Cost: 310 | Bought: 2024-03-06 13:30 | Total: 310",
    );
    const crew = await search(t, store.id, { query: "Amundsen" });
    expect(crew[0]!.content[0]!.text).toBe("Sheet 4: Crew\n\nColumns: Navigator | Amundsen");
    const { results } = await searchInRun(t, store.id, "theodolite");
    expect(results[0]).toMatchObject({ file_name: "budget.xlsx", page: 2 });
    expect((await searchInRun(t, store.id, "Amundsen navigator")).results[0]).toMatchObject({ page: 4 });
  });

  it("ODS: a page per sheet; repeated empty rows and columns cost nothing, a repeated row is said once", async () => {
    const t = app();
    const sheet = ods([
      { name: "Stores", rows: [["Item", "Qty", "Checked"], ["Pemmican", 300, new Date(Date.UTC(2024, 0, 9))], ["Rope", 3, null]], repeatRow: [2] },
      { name: "Dogs", rows: [["Name", "Team"], ["Mylius", "Greenland huskies"]] },
    ]);
    const { store, ids } = await storeOf(t, { "stores.ods": sheet, "notes.txt": "Unrelated notes about sourdough." });
    expect((await t.client.vectorStores.files.retrieve(ids["stores.ods"]!, { vector_store_id: store.id })).status).toBe("completed");
    const hits = await search(t, store.id, { query: "pemmican" });
    expect(hits[0]!.content[0]!.text).toBe(
      "Sheet 1: Stores\n\nColumns: Item | Qty | Checked\n\nItem: Pemmican | Qty: 300 | Checked: 2024-01-09\n\nItem: Rope | Qty: 3 (this row 3 times)",
    );
    const { results } = await searchInRun(t, store.id, "huskies");
    expect(results[0]).toMatchObject({ file_name: "stores.ods", page: 2 });
    expect(results[0]!.content![0]!.text).toBe("Sheet 2: Dogs\n\nColumns: Name | Team\n\nName: Mylius | Team: Greenland huskies");
  });

  it("CSV and TSV rows keep their header (quoted commas and line breaks included); EPUB chapters are read in spine order", async () => {
    const t = app();
    const book = epub("The Voyage", [
      { heading: "Departure", paragraphs: ["The Fram left Christiania in June."] },
      { heading: "The ice", paragraphs: ["Drifting with the pack for three winters."] },
    ]);
    const { store, ids } = await storeOf(t, {
      "crew.csv": 'Name,Role,Note\nNansen,Leader,"wrote ""Farthest North"", later"\nJohansen,Stoker,"skied\nnorth"\n',
      "dogs.tsv": "Name\tBreed\nKaifas\tSamoyed\n",
      "voyage.epub": book,
    });
    for (const name of Object.keys(ids)) expect((await t.client.vectorStores.files.retrieve(ids[name]!, { vector_store_id: store.id })).status).toBe("completed");
    expect(await contentOf(t, store.id, ids["crew.csv"]!)).toBe(
      'Columns: Name | Role | Note\n\nName: Nansen | Role: Leader | Note: wrote "Farthest North", later\n\nName: Johansen | Role: Stoker | Note: skied north',
    );
    expect(await contentOf(t, store.id, ids["dogs.tsv"]!)).toBe("Columns: Name | Breed\n\nName: Kaifas | Breed: Samoyed");
    const epubText = await contentOf(t, store.id, ids["voyage.epub"]!);
    expect(epubText.indexOf("Departure")).toBeLessThan(epubText.indexOf("Drifting with the pack"));
    expect((await search(t, store.id, { query: "Christiania" }))[0]!.filename).toBe("voyage.epub");
  });

  it("file_search in a run cites the slide of a PPTX: the passage is labelled with its slide, the citation carries it", async () => {
    const t = app();
    const deck = pptx([
      { title: "Welcome", body: ["Agenda for the morning"] },
      { title: "Budget", body: ["Sledges cost 40 crowns each"] },
      { title: "Hazards", body: ["Crevasses on the glacier approach"], notes: "Rope up before the glacier." },
    ]);
    const { store } = await storeOf(t, { "briefing.pptx": deck });
    const assistant = await t.assistant({ tools: [{ type: "file_search" }], tool_resources: { file_search: { vector_store_ids: [store.id] } } });
    const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "What are the hazards near the glacier?" }] });
    const reply = "Crevasses on the glacier approach; rope up [1].";
    t.ollama.script({ toolCalls: [{ name: "file_search", arguments: { query: "crevasses glacier hazards" } }] }, { text: reply });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(run.status).toBe("completed");
    const shown = t.ollama.chatRequests[1]!.messages.find((m) => m.role === "tool")!.content;
    expect(shown).toMatch(/^\[1\] briefing\.pptx \(page 3\):\nSlide 3: Hazards\n/);
    const message = (await t.client.beta.threads.messages.list(thread.id, { limit: 1 })).data[0]!;
    const part = message.content[0] as OpenAI.Beta.Threads.TextContentBlock;
    expect(part.text.value).toBe(reply);
    const citation = part.text.annotations[0] as OpenAI.Beta.Threads.FileCitationAnnotation;
    expect(citation).toMatchObject({ type: "file_citation", text: "[1]", file_citation: { file_id: expect.any(String) } });
    expect((citation.file_citation as { page?: number }).page).toBe(3);
  });

  it("hostile files fail alone with invalid_file naming the problem; the store's other files complete", async () => {
    const t = app();
    const zeros = deflatedZeros(1024); // 1 GiB of zeros in ~1 MB
    const documentXml = (extra: Partial<ReturnType<typeof entry>>) => ({ ...entry("word/document.xml", ""), ...extra });
    const bomb = rawZip([entry("[Content_Types].xml", DOCX_CONTENT_TYPES), entry("_rels/.rels", DOCX_ROOT_RELS), documentXml({ data: zeros.data, size: zeros.size, crc: zeros.crc })]);
    // Under the size limit, but compressed like no document part is.
    const small = deflatedZeros(160);
    const dense = rawZip([entry("[Content_Types].xml", DOCX_CONTENT_TYPES), entry("_rels/.rels", DOCX_ROOT_RELS), documentXml({ data: small.data, size: small.size, crc: small.crc })]);
    // The 1 GiB under a directory that declares 1,000 bytes: zlib stops at 1,000.
    const liar = rawZip([entry("[Content_Types].xml", DOCX_CONTENT_TYPES), entry("_rels/.rels", DOCX_ROOT_RELS), documentXml({ data: zeros.data, size: 1000, crc: 0 })]);
    const good = docx([{ paragraph: "The harbour master logs every zeppelin arrival." }]);
    const truncated = good.subarray(0, Math.floor(good.length / 2));
    const damaged = new Uint8Array(await budgetXlsx());
    const sheetAt = Buffer.from(damaged).indexOf("xl/worksheets/sheet2.xml") + 40;
    for (let i = 0; i < 16; i++) damaged[sheetAt + i]! ^= 0xff; // inside the second sheet's deflated data
    const ole = new Uint8Array(4096);
    ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    const encrypted = new Uint8Array(ole);
    encrypted.set(Buffer.from("EncryptedPackage", "utf16le"), 1024);
    const plainZip = zipSync({ "photo-list.txt": strToU8("nothing to see") });

    const started = performance.now();
    const { store, ids } = await storeOf(t, {
      "bomb.docx": bomb,
      "dense.docx": dense,
      "liar.docx": liar,
      "truncated.docx": truncated,
      "damaged.xlsx": damaged,
      "legacy.docx": ole,
      "secret.xlsx": encrypted,
      "archive.zip": plainZip,
      "good.docx": good,
      "notes.txt": "Quartermaster inventory: forty lanterns.",
    });
    expect(performance.now() - started).toBeLessThan(15_000);
    const errorOf = async (name: string) => {
      const file = await t.client.vectorStores.files.retrieve(ids[name]!, { vector_store_id: store.id });
      expect(file.status, name).toBe("failed");
      return file.last_error!;
    };
    expect(await errorOf("bomb.docx")).toEqual({
      code: "invalid_file",
      message: "could not read the Word document: its parts would inflate to 1,025 MB ('word/document.xml' alone to 1,024 MB), more than the 200 MB a document may inflate to: a ZIP bomb?",
    });
    expect(await errorOf("dense.docx")).toEqual({
      code: "invalid_file",
      message: "could not read the Word document: 'word/document.xml' is compressed 1,028:1, more than the 300:1 a document part may be: a ZIP bomb?",
    });
    expect(await errorOf("liar.docx")).toEqual({
      code: "invalid_file",
      message: "could not read the Word document: 'word/document.xml' inflates to more than the 1,000 bytes its directory entry declares: a ZIP bomb or a damaged file",
    });
    expect(await errorOf("truncated.docx")).toEqual({
      code: "invalid_file",
      message: "could not read the Word document: the ZIP container is damaged or incomplete (no central directory at its end: was the upload cut short?)",
    });
    const damage = await errorOf("damaged.xlsx");
    expect(damage.code).toBe("invalid_file");
    expect(damage.message).toMatch(/^could not read the Excel workbook: the ZIP container is damaged \('xl\/worksheets\/sheet2\.xml'/);
    expect(await errorOf("legacy.docx")).toEqual({
      code: "invalid_file",
      message: expect.stringContaining("it is an OLE compound file, a password-protected or legacy Office format (.doc, .xls, .ppt)"),
    });
    expect(await errorOf("secret.xlsx")).toEqual({ code: "invalid_file", message: "the Office file is password-protected (encrypted): remove the password, save it and upload again" });
    expect(await errorOf("archive.zip")).toEqual({
      code: "unsupported_file",
      message: expect.stringMatching(/^unsupported file type '\.zip': it is a ZIP archive, not a Word, Excel, PowerPoint, OpenDocument spreadsheet or EPUB file; upload PDF, Word \(\.docx\)/),
    });
    for (const name of ["good.docx", "notes.txt"]) {
      expect((await t.client.vectorStores.files.retrieve(ids[name]!, { vector_store_id: store.id })).status, name).toBe("completed");
    }
    expect((await t.client.vectorStores.retrieve(store.id)).file_counts).toMatchObject({ completed: 2, failed: 8, total: 10 });
    expect((await search(t, store.id, { query: "harbour master zeppelin" }))[0]!.filename).toBe("good.docx");
  });

  it("an XLSX of a million rows is read up to the row limit, and its text says what was left out", async () => {
    const t = app();
    // Written as XML here: exceljs takes ~30 s to write a million rows.
    const rows = Array.from({ length: 1_000_000 }, (_, i) => `<row r="${i + 2}"><c r="A${i + 2}" t="inlineStr"><is><t>crate${i + 1}</t></is></c><c r="B${i + 2}"><v>${i + 1}</v></c></row>`);
    const sheet = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Label</t></is></c><c r="B1" t="inlineStr"><is><t>Number</t></is></c></row>${rows.join("")}</sheetData></worksheet>`;
    const big = zipSync(
      {
        "[Content_Types].xml": strToU8(
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        ),
        "_rels/.rels": strToU8('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": strToU8(
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Crates" sheetId="1" r:id="rId1"/></sheets></workbook>',
        ),
        "xl/_rels/workbook.xml.rels": strToU8('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": strToU8(sheet),
      },
      { level: 1 },
    );
    const { store, ids } = await storeOf(t, { "crates.xlsx": big });
    const file = await t.client.vectorStores.files.retrieve(ids["crates.xlsx"]!, { vector_store_id: store.id });
    expect(file.status).toBe("completed");
    const text = await contentOf(t, store.id, file.id);
    expect(text.startsWith("Sheet 1: Crates\n\nColumns: Label | Number\n\nLabel: crate1 | Number: 1\n\n")).toBe(true);
    // The header is row 1 of the 100,000 read: data rows up to crate99999.
    expect(text).toContain("Label: crate99999 | Number: 99999\n\n[The rest of this spreadsheet is not indexed: at most 100,000 rows and 1,000,000 cells are read from one file.");
    expect(text).not.toContain("crate100000");
    expect((await search(t, store.id, { query: "crate50000" }))[0]!.content[0]!.text).toContain("Label: crate50000 | Number: 50000");
    expect(await search(t, store.id, { query: "crate900000" })).toEqual([]);
  }, 60_000);
});
