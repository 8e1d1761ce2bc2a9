/**
 * Hostile PDFs, made in code (no binary fixtures): a page tree whose every level reuses one child, and a page
 * whose Flate content stream inflates a thousandfold. Both are valid PDFs with a correct xref table.
 */
import { constants, createDeflate } from "node:zlib";

const FONT = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";

/** A PDF of the given objects (1-based, object 1 the catalog); `streams[n]` is object n's stream data. */
function pdfOf(objects: string[], streams: Map<number, Buffer> = new Map()): Buffer {
  const parts: Buffer[] = [Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    const n = i + 1;
    offsets.push(offset);
    const data = streams.get(n);
    const chunk = data
      ? Buffer.concat([Buffer.from(`${n} 0 obj\n${body}\nstream\n`, "latin1"), data, Buffer.from("\nendstream\nendobj\n", "latin1")])
      : Buffer.from(`${n} 0 obj\n${body}\nendobj\n`, "latin1");
    parts.push(chunk);
    offset += chunk.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, "0000000000 65535 f \n", ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`)].join("");
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`, "latin1"));
  return Buffer.concat(parts);
}

/**
 * 2^`levels` pages in ~2 KB: the catalog's page tree has `levels` Pages nodes, each with two Kids that are the
 * same next node; the last node's Kids are one Page (showing `text`) twice.
 */
export function pageTreeBomb(levels = 20, text = "page tree bomb"): Buffer {
  const content = Buffer.from(`BT /F1 12 Tf 72 720 Td (${text}) Tj ET`, "latin1");
  // 1 catalog, 2..levels+1 Pages nodes, levels+2 the Page, levels+3 its content, levels+4 the font.
  const page = levels + 2;
  const objects = ["<< /Type /Catalog /Pages 2 0 R >>"];
  for (let i = 0; i < levels; i++) {
    const node = 2 + i;
    const kid = node + 1;
    const parent = i === 0 ? "" : ` /Parent ${node - 1} 0 R`;
    objects.push(`<< /Type /Pages /Kids [${kid} 0 R ${kid} 0 R] /Count ${2 ** (levels - i)}${parent} >>`);
  }
  objects.push(`<< /Type /Page /Parent ${page - 1} 0 R /MediaBox [0 0 612 792] /Contents ${page + 1} 0 R /Resources << /Font << /F1 ${page + 2} 0 R >> >> >>`);
  objects.push(`<< /Length ${content.length} >>`);
  objects.push(FONT);
  return pdfOf(objects, new Map([[page + 1, content]]));
}

/**
 * One page whose FlateDecode content stream shows `text` and then inflates to `inflatedBytes` of spaces
 * (deflated as it is made, so neither this process nor the PDF holds them: 1 GiB deflates to ~1 MB).
 */
export async function inflateBomb(inflatedBytes: number, text = "inflate bomb"): Promise<Buffer> {
  const head = Buffer.from(`BT /F1 12 Tf 72 720 Td (${text}) Tj ET\n`, "latin1");
  const deflate = createDeflate({ level: constants.Z_BEST_COMPRESSION, memLevel: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    deflate.on("end", resolve);
    deflate.on("error", reject);
  });
  const spaces = Buffer.alloc(1024 * 1024, 0x20);
  deflate.write(head);
  for (let left = inflatedBytes - head.length; left > 0; left -= spaces.length) {
    const ok = deflate.write(left >= spaces.length ? spaces : spaces.subarray(0, left));
    if (!ok) await new Promise((resolve) => deflate.once("drain", resolve));
  }
  deflate.end();
  await ended;
  const data = Buffer.concat(out);
  return pdfOf(
    [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
      `<< /Length ${data.length} /Filter /FlateDecode >>`,
      FONT,
    ],
    new Map([[4, data]]),
  );
}
