/**
 * Word documents (.docx, .docm, .dotx) through mammoth: converted to HTML, whose structure reads best once it
 * is text — headings and paragraphs as paragraphs, list items as "- item" / "1. item" lines, each table row as
 * one line of cells `Name | Qty | Price` (mammoth's raw text puts every cell in a paragraph of its own, and
 * htmlToText every cell on a line of its own: either way a row's values end up apart). Then the project's
 * htmlToText does the rest, as for uploaded HTML.
 *
 * A DOCX has no pages (they exist only once a word processor lays the text out), so it is one page, page
 * null, like a text file. Explicit page breaks are not pages either: most documents have none.
 */
import mammoth from "mammoth";
import type { ExtractedPage } from "../extraction.js";
import { htmlToText } from "../extract-html.js";
import type { ZipArchive } from "./zip-guard.js";

export async function* docxPages(zip: ZipArchive): AsyncGenerator<ExtractedPage> {
  // mammoth reads the ZIP itself: it gets the XML parts only (media and embedded files are never inflated),
  // after the guard checked and inflated them.
  const parts = zip.names().filter((n) => /\.(xml|rels)$/i.test(n)).map((name) => ({ name }));
  const buffer = Buffer.from(zip.repack(parts));
  const { value: html } = await mammoth.convertToHtml(
    { buffer },
    {
      // Images are left out without being read (their alt text too: htmlToText keeps text, not attributes).
      convertImage: mammoth.images.imgElement(async () => ({ src: "" })),
      externalFileAccess: false,
      ignoreEmptyParagraphs: true,
    },
  );
  yield { page: null, text: htmlToText(listMarkers(tableRows(html))) };
}

const INNERMOST_TABLE = /<table\b[^>]*>((?:(?!<table\b)[\s\S])*?)<\/table\s*>/i;
const ROW = /<tr\b[^>]*>([\s\S]*?)<\/tr\s*>/gi;
const CELL = /<t[dh]\b[^>]*>([\s\S]*?)<\/t[dh]\s*>/gi;

/** Each table row becomes a paragraph of its cells joined by " | "; nested tables first (innermost out). */
export function tableRows(html: string): string {
  let out = html;
  for (let match = INNERMOST_TABLE.exec(out); match; match = INNERMOST_TABLE.exec(out)) {
    const rows = [...match[1]!.matchAll(ROW)].map((row) =>
      [...row[1]!.matchAll(CELL)]
        .map((cell) => htmlToText(cell[1]!).replace(/\s+/g, " "))
        .join(" | ")
        .trim(),
    );
    const paragraphs = rows.filter((r) => r.replace(/[|\s]/g, "") !== "").map((r) => `<p>${escapeHtml(r)}</p>`);
    out = out.slice(0, match.index) + paragraphs.join("") + out.slice(match.index + match[0].length);
  }
  return out;
}

/** `<li>` items get "- " (in `<ul>`) or "1. ", "2. " (in `<ol>`), nested lists counting on their own. */
export function listMarkers(html: string): string {
  const counters: Array<number | null> = [];
  return html.replace(/<(\/?)(ul|ol|li)\b[^>]*>/gi, (tag, close: string, name: string) => {
    const kind = name.toLowerCase();
    if (kind === "li") {
      if (close || counters.length === 0) return tag;
      const top = counters.length - 1;
      const n = counters[top];
      if (n === null || n === undefined) return `${tag}- `;
      counters[top] = n + 1;
      return `${tag}${n + 1}. `;
    }
    if (close) counters.pop();
    else counters.push(kind === "ol" ? 0 : null);
    return tag;
  });
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
