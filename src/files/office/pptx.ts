/**
 * PowerPoint decks (.pptx, .pptm, .ppsx, .potx): one page per slide, its number the slide's position in the
 * deck (ppt/presentation.xml's slide list, through its relationships, not the slide files' names, which keep
 * the order slides were made in). A page reads
 *
 *     Slide 3: <title>
 *
 *     <the other text: paragraphs in shape order, table rows as "a | b | c">
 *
 *     Speaker notes: <the slide's notes>
 *
 * Slide numbers, dates and footers (the placeholders repeated on every slide) are left out, as are slides
 * with no text. Charts and SmartArt keep their text in parts of their own and are not read. Element names are
 * matched with the prefixes PowerPoint and LibreOffice write (p:, a:, r:).
 */
import type { ExtractedPage } from "../extraction.js";
import { attrOf, childrenOf, dirOf, findAll, findFirst, parseXml, relationships, relsOf, tagOf, textOfNode, type XmlNode } from "./xml.js";
import type { ZipArchive } from "./zip-guard.js";

const REPEATED_PLACEHOLDERS = new Set(["sldNum", "dt", "ftr", "hdr", "sldImg"]);
const TITLES = new Set(["title", "ctrTitle"]);

export async function* pptxPages(zip: ZipArchive, mainPart = "ppt/presentation.xml"): AsyncGenerator<ExtractedPage> {
  const presentation = zip.text(mainPart);
  if (presentation === null) throw new Error(`the presentation part '${mainPart}' is missing`);
  const rels = relationships(zip.text(relsOf(mainPart)), dirOf(mainPart));
  const slides = findAll(parseXml(presentation), "p:sldId").flatMap((s) => rels.get(attrOf(s, "r:id") ?? "")?.target ?? []);
  for (const [i, part] of slides.entries()) {
    const slideXml = zip.text(part);
    if (slideXml === null) continue;
    const slide = shapesText(parseXml(slideXml));
    const notesPart = [...relationships(zip.text(relsOf(part)), dirOf(part)).values()].find((r) => r.type.endsWith("/notesSlide") && !r.external);
    const notesXml = notesPart ? zip.text(notesPart.target) : null;
    const notes = notesXml === null ? [] : shapesText(parseXml(notesXml)).body;
    const text = [
      slide.title.length ? `Slide ${i + 1}: ${slide.title.join(" ")}` : `Slide ${i + 1}`,
      slide.body.join("\n"),
      notes.length ? `Speaker notes: ${notes.join("\n")}` : "",
    ].filter(Boolean);
    if (text.length > 1 || slide.title.length) yield { page: i + 1, text: text.join("\n\n"), standalone: true };
    await new Promise((resolve) => setImmediate(resolve)); // a long deck does not hold the event loop
  }
}

/** The text of a slide's (or notes page's) shapes, in document order; titles apart. */
function shapesText(nodes: XmlNode[]): { title: string[]; body: string[] } {
  const out = { title: [] as string[], body: [] as string[] };
  collect(nodes, out.body, out.title);
  return out;
}

function collect(nodes: XmlNode[], body: string[], title: string[]): void {
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === null) continue;
    if (tag === "p:sp") {
      const nvSpPr = childrenOf(node).find((c) => tagOf(c) === "p:nvSpPr");
      const ph = nvSpPr ? findFirst([nvSpPr], "p:ph") : undefined;
      const type = ph ? attrOf(ph, "type") : undefined;
      if (type && REPEATED_PLACEHOLDERS.has(type)) continue;
      collect(childrenOf(node), type && TITLES.has(type) ? title : body, title);
    } else if (tag === "a:tbl") {
      for (const row of findAll(childrenOf(node), "a:tr")) {
        const cells = findAll(childrenOf(row), "a:tc").map((cell) => findAll(childrenOf(cell), "a:p").map(paragraphText).join(" ").trim());
        if (cells.some(Boolean)) body.push(cells.join(" | "));
      }
    } else if (tag === "a:p") {
      const text = paragraphText(node).trim();
      if (text) body.push(text);
    } else if (tag === "mc:AlternateContent") {
      // The same content twice (for newer and older readers): read one of them.
      const choice = childrenOf(node).find((c) => tagOf(c) === "mc:Choice") ?? childrenOf(node).find((c) => tagOf(c) === "mc:Fallback");
      if (choice) collect(childrenOf(choice), body, title);
    } else {
      collect(childrenOf(node), body, title);
    }
  }
}

/** A paragraph's runs and fields (`a:t`), line breaks (`a:br`) as spaces. */
function paragraphText(node: XmlNode): string {
  let text = "";
  const walk = (nodes: XmlNode[]) => {
    for (const n of nodes) {
      const tag = tagOf(n);
      if (tag === "a:t") text += childrenOf(n).map((c) => textOfNode(c) ?? "").join("");
      else if (tag === "a:br") text += " ";
      else if (tag !== null && tag !== "a:rPr" && tag !== "a:pPr") walk(childrenOf(n));
    }
  };
  walk(childrenOf(node));
  return text.replace(/\s+/g, " ");
}
