import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { zipSync } from "fflate";
import { ExtractionError, extractText, type ExtractedDoc } from "../../src/files/extract-text.js";
import { htmlToText } from "../../src/files/extract-html.js";
import { documentTitle } from "../../src/retrieval/document-title.js";

const PDFS = new URL("../fixtures/pdfs/", import.meta.url).pathname;
const pdf = (name: string) => new Uint8Array(readFileSync(PDFS + name));
const utf8 = (text: string) => new TextEncoder().encode(text);
const allText = (doc: ExtractedDoc) => doc.pages.map((p) => p.text).join("\n");

/** Runs `fn` and returns the ExtractionError it throws (failing the test if it throws anything else). */
async function failure(fn: () => Promise<unknown>): Promise<ExtractionError> {
  const err = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExtractionError);
  return err as ExtractionError;
}

describe("extractText: PDFs", () => {
  it("reads a plain multi-page PDF page by page", async () => {
    const doc = await extractText(pdf("pdflatex-4-pages.pdf"), "pdflatex-4-pages.pdf");
    expect(doc.pages.map((p) => p.page)).toEqual([1, 2, 3, 4]);
    expect(doc.pages[0]!.text).toMatch(/^Hello, here is some text without a meaning/);
  });

  it("reads a long (117-page) document and rejoins words hyphenated at line ends", async () => {
    const doc = await extractText(pdf("GeoTopo-komprimiert.pdf"), "GeoTopo-komprimiert.pdf");
    expect(doc.pages).toHaveLength(117);
    expect(doc.pages[116]!.page).toBe(117);
    const text = allText(doc);
    expect(text).toContain("Geometrie und Topologie");
    expect(text).toContain("Voraussetzung"); // "Vorausset-\nzung" in the raw extraction
    expect(text).not.toMatch(/[\u0000-\u0008]/);
  });

  it("reads two-column and three-column layouts", async () => {
    const two = await extractText(pdf("multicolumn.pdf"), "multicolumn.pdf");
    expect(two.pages).toHaveLength(3);
    expect(allText(two)).toContain("adipiscing elit");
    const three = await extractText(pdf("federal-register-2020-17221.pdf"), "federal-register-2020-17221.pdf");
    expect(three.pages).toHaveLength(15);
    expect(allText(three)).toContain("FEDERAL REGISTER");
  });

  it("keeps the gap between paragraphs as a blank line, so a title is found, and none inside a paragraph", async () => {
    const doc = await extractText(pdf("multicolumn.pdf"), "multicolumn.pdf");
    expect(doc.pages[0]!.text).toMatch(/^Two-Column Document with Lorem Ipsum\n\nYour Name\n\nJanuary 3, 2024\n\nAbstract\n\n/);
    expect(documentTitle(doc.pages[0]!.text)).toBe("Two-Column Document with Lorem Ipsum");
    // Typeset lines of one paragraph: line breaks only (the first paragraph of pdflatex-4-pages.pdf is 3 lines).
    const plain = await extractText(pdf("pdflatex-4-pages.pdf"), "pdflatex-4-pages.pdf");
    const firstParagraph = plain.pages[0]!.text.split("\n\n")[0]!;
    expect(firstParagraph.split("\n").length).toBeGreaterThan(2);
    expect(firstParagraph).toMatch(/^Hello, here is some text without a meaning[^]*will look like at this place/);
  });

  it("reads a table, keeping cells apart", async () => {
    const doc = await extractText(pdf("nics-background-checks-2015-11.pdf"), "nics.pdf");
    expect(doc.pages).toHaveLength(1);
    expect(doc.pages[0]!.text).toMatch(/Alabama\s+18,870\s+23,022/);
  });

  it("rejects a scanned PDF without a text layer", async () => {
    const err = await failure(() => extractText(pdf("c02-22.pdf"), "c02-22.pdf"));
    expect(err.code).toBe("invalid_file");
    expect(err.message).toBe("no extractable text: scanned PDF? run OCR first");
  });

  it("rejects a password-protected PDF", async () => {
    const err = await failure(() => extractText(pdf("libreoffice-writer-password.pdf"), "secret.pdf"));
    expect(err.code).toBe("invalid_file");
    expect(err.message).toBe("PDF is password-protected: remove the password and upload again");
  });

  it("rejects a truncated PDF", async () => {
    const full = pdf("pdflatex-4-pages.pdf");
    const err = await failure(() => extractText(full.subarray(0, full.length >> 1), "cut.pdf"));
    expect(err.code).toBe("invalid_file");
    expect(err.message).toMatch(/^could not parse PDF: /);
  });

  it("rejects a .pdf that is not a PDF", async () => {
    const err = await failure(() => extractText(utf8("just some words"), "fake.pdf"));
    expect(err.code).toBe("invalid_file");
    expect(err.message).toMatch(/^could not parse PDF: /);
  });

  it("detects a PDF by its magic bytes whatever the name, and leaves the caller's bytes intact", async () => {
    const bytes = pdf("pdflatex-4-pages.pdf");
    const doc = await extractText(bytes, "download", { mimeHint: "application/octet-stream" });
    expect(doc.pages).toHaveLength(4);
    expect(bytes.length).toBe(24_607); // pdf.js detaches the buffer it parses; we hand it a copy
  });
});

describe("extractText: text formats", () => {
  it("reads CSV as a table: one page without a number, each row with its column names", async () => {
    const doc = await extractText(utf8("city,population\nBerlin,3645000\nParis,2161000"), "table.csv");
    expect(doc.pages).toEqual([{ page: null, text: "Columns: city | population\n\ncity: Berlin | population: 3645000\n\ncity: Paris | population: 2161000" }]);
    // Not a table (a quote left open): the plain text, as it was.
    expect((await extractText(utf8('a,b\n"open,1'), "odd.csv")).pages).toEqual([{ page: null, text: 'a,b\n"open,1' }]);
  });

  it("reads plain text, Markdown, JSON and source code as one page without a number", async () => {
    const cases: Array<[string, string]> = [
      ["notes.txt", "Plain words.\nSecond line."],
      ["README.md", "# Title\n\nSome *markdown* text."],
      ["data.json", '{"name": "Ada", "langs": ["en"]}'],
      ["script.py", "def greet(name):\n    return f'hello {name}'\n"],
      ["Main.java", "class Main { public static void main(String[] a) {} }"],
    ];
    for (const [name, text] of cases) {
      const doc = await extractText(utf8(text), name);
      expect(doc.pages).toEqual([{ page: null, text: text.trim() }]);
    }
  });

  it("reads HTML as visible text: no tags, scripts or styles; entities decoded", async () => {
    const html = `<!doctype html><html><head><title>Fish &amp; Chips</title><style>p{color:red}</style>
      <script>var secret = "do not index";</script></head>
      <body><h1>Menu</h1><!-- hidden comment --><p>Cod &amp; chips &mdash; &euro;9&nbsp;only &#233;t&#xE9;</p>
      <ul><li>Peas</li><li>Vinegar</li></ul></body></html>`;
    const doc = await extractText(utf8(html), "menu.html");
    const text = doc.pages[0]!.text;
    expect(text).toBe("Fish & Chips\n\nMenu\n\nCod & chips — €9 only été\n\nPeas\nVinegar");
    expect(text).not.toMatch(/secret|color|hidden|</);
  });

  it("keeps unknown entities as written and survives invalid code points", () => {
    expect(htmlToText("<p>a &bogus; b &#0; c &#x110000;</p>")).toBe("a &bogus; b \uFFFD c \uFFFD");
  });

  it("decodes UTF-16 with a BOM and falls back to Windows-1252 for legacy files", async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...[..."héllo"].flatMap((c) => [c.charCodeAt(0), 0])]);
    expect((await extractText(utf16, "a.txt")).pages[0]!.text).toBe("héllo");
    const cp1252 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80]);
    expect((await extractText(cp1252, "b.txt")).pages[0]!.text).toBe("café €");
  });

  it("treats a text file that merely mentions %PDF- as text", async () => {
    const doc = await extractText(utf8("Files start with %PDF-1.7 and then objects."), "notes.md");
    expect(doc.pages[0]!.text).toContain("%PDF-1.7");
  });

  it("rejects empty and whitespace-only text files", async () => {
    for (const body of ["", "   \n\t\n"]) {
      const err = await failure(() => extractText(utf8(body), "empty.txt"));
      expect(err.code).toBe("invalid_file");
      expect(err.message).toMatch(/empty/);
    }
  });
});

describe("extractText: unsupported files", () => {
  it("rejects an image, naming the extension and the detected type", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const err = await failure(() => extractText(png, "photo.png", { mimeHint: "image/png" }));
    expect(err.code).toBe("unsupported_file");
    expect(err.message).toContain("'.png'");
    expect(err.message).toContain("PNG image");
  });

  it("rejects a ZIP that is no Office document (even under a text-like name); a damaged .docx is invalid", async () => {
    const zip = zipSync({ "a.bin": new Uint8Array([1, 2, 3]) });
    for (const name of ["archive.zip", "notes.txt"]) {
      const err = await failure(() => extractText(zip, name));
      expect(err.code).toBe("unsupported_file");
      expect(err.message).toContain("it is a ZIP archive, not a Word, Excel, PowerPoint");
    }
    const cut = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]);
    const err = await failure(() => extractText(cut, "report.docx"));
    expect(err.code).toBe("invalid_file");
    expect(err.message).toMatch(/^could not read the Word document: the ZIP container is damaged or incomplete/);
  });

  it("rejects unknown extensions and binary content", async () => {
    const unknown = await failure(() => extractText(utf8("text"), "model.xyz"));
    expect(unknown.code).toBe("unsupported_file");
    expect(unknown.message).toMatch(/^unsupported file type '\.xyz'/);
    const binary = await failure(() => extractText(new Uint8Array([1, 2, 0, 0, 255, 3]), "data.txt"));
    expect(binary.code).toBe("unsupported_file");
    expect(binary.message).toContain("binary");
  });
});
