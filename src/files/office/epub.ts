/**
 * EPUB books: the package document named by META-INF/container.xml, its spine's XHTML documents in reading
 * order, each through htmlToText as uploaded HTML is. EPUBs have no fixed pages, so every chapter is a page
 * with page null (a chapter is one page in the sense of extractPages: text read as it comes).
 */
import type { ExtractedPage } from "../extraction.js";
import { htmlToText } from "../extract-html.js";
import { attrOf, dirOf, findAll, findFirst, parseXml, resolvePart } from "./xml.js";
import type { ZipArchive } from "./zip-guard.js";

const XHTML = new Set(["application/xhtml+xml", "text/html", "application/x-dtbook+xml"]);

export async function* epubPages(zip: ZipArchive): AsyncGenerator<ExtractedPage> {
  const container = zip.text("META-INF/container.xml");
  const rootfile = container === null ? undefined : findFirst(parseXml(container), "rootfile");
  const opfPath = rootfile ? attrOf(rootfile, "full-path") : undefined;
  const opf = opfPath ? zip.text(opfPath) : null;
  if (!opfPath || opf === null) throw new Error("the book's package document (META-INF/container.xml → .opf) is missing");
  const pkg = parseXml(opf);
  const manifest = new Map(findAll(pkg, "item").map((item) => [attrOf(item, "id") ?? "", { href: attrOf(item, "href") ?? "", type: attrOf(item, "media-type") ?? "" }]));
  for (const ref of findAll(pkg, "itemref")) {
    const item = manifest.get(attrOf(ref, "idref") ?? "");
    if (!item || !XHTML.has(item.type)) continue;
    const html = zip.text(resolvePart(dirOf(opfPath), item.href.split("#")[0]!));
    if (html === null) continue;
    const text = htmlToText(html);
    if (text) yield { page: null, text };
    await new Promise((resolve) => setImmediate(resolve));
  }
}
