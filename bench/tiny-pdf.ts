/**
 * A minimal PDF writer for benchmarks: one US-letter page, Helvetica (a standard font, nothing embedded),
 * the text wrapped at word boundaries. The font shrinks until the text fits the page.
 */

const PAGE = { width: 612, height: 792, margin: 72 };
/** Helvetica's average glyph width is about half its size; 0.5 keeps lines inside the margins. */
const CHAR_WIDTH = 0.5;

/** A one-page PDF showing `text` (characters outside Latin-1 become "?"). */
export function onePagePdf(text: string): Buffer {
  const { size, lines } = layout(text);
  const leading = size * 1.2;
  const body = lines.map((l) => `(${escape(l)}) Tj T*`).join("\n");
  const stream = `BT /F1 ${size} Tf ${leading.toFixed(2)} TL ${PAGE.margin} ${PAGE.height - PAGE.margin} Td\n${body}\nET`;
  return assemble([
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE.width} ${PAGE.height}] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    `<< /Length ${Buffer.byteLength(stream, "latin1")} >>\nstream\n${stream}\nendstream`,
  ]);
}

/** The largest font size (≤ 10 pt) at which the wrapped text fits on the page. */
function layout(text: string): { size: number; lines: string[] } {
  const usable = { width: PAGE.width - 2 * PAGE.margin, height: PAGE.height - 2 * PAGE.margin };
  for (let size = 10; ; size -= 0.5) {
    const lines = wrap(text, Math.floor(usable.width / (size * CHAR_WIDTH)));
    if (lines.length * size * 1.2 <= usable.height || size <= 3) return { size, lines };
  }
}

/** Each line of `text` wrapped at `width` characters (a title line stays a line of its own). */
function wrap(text: string, width: number): string[] {
  return text.split("\n").flatMap((paragraph) => wrapParagraph(paragraph, width));
}

function wrapParagraph(text: string, width: number): string[] {
  if (!text.trim()) return [""]; // an empty line: the gap between paragraphs
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function escape(s: string): string {
  return s.replace(/[^\x20-\xff]/g, "?").replace(/[\\()]/g, (c) => `\\${c}`);
}

/** Numbers the objects, writes the cross-reference table with exact byte offsets and the trailer. */
function assemble(objects: string[]): Buffer {
  let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}
