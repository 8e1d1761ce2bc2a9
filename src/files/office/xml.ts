/**
 * XML of Office and OpenDocument parts, parsed with fast-xml-parser into ordered nodes (document order matters
 * for text: runs, spans and spaces interleave), with the few lookups the readers need. Entities are decoded
 * (numeric ones too) within fast-xml-parser's expansion limits; nothing is fetched.
 */
import { XMLParser } from "fast-xml-parser";

/** One element: `{ [tag]: children, ":@"?: attributes }`, or a text node `{ "#text": text }`. */
export type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  trimValues: false, // "a", <text:s/>, "b": the spaces in text runs are content
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: true, // also decodes &#233; and &#xE9;
});

export function parseXml(xml: string): XmlNode[] {
  return parser.parse(xml) as XmlNode[];
}

/** The element's tag name; null for a text node. */
export function tagOf(node: XmlNode): string | null {
  for (const key of Object.keys(node)) if (key !== ":@") return key === "#text" ? null : key;
  return null;
}

export function childrenOf(node: XmlNode): XmlNode[] {
  const tag = tagOf(node);
  const children = tag === null ? undefined : node[tag];
  return Array.isArray(children) ? (children as XmlNode[]) : [];
}

export function attrOf(node: XmlNode, name: string): string | undefined {
  const attrs = node[":@"] as Record<string, unknown> | undefined;
  const value = attrs?.[name];
  return value === undefined ? undefined : String(value);
}

export function textOfNode(node: XmlNode): string | null {
  return "#text" in node ? String(node["#text"]) : null;
}

/**
 * Whether element `node` is a `tag`: by its exact name when `tag` has a prefix ("p:sp"), by its local name
 * when not ("sheet" is also "x:sheet": SpreadsheetML's default namespace is sometimes written with a prefix).
 */
export function isTag(node: XmlNode, tag: string): boolean {
  const name = tagOf(node);
  if (name === null) return false;
  if (name === tag) return true;
  return !tag.includes(":") && name.endsWith(`:${tag}`);
}

/** The first element named `tag` among `nodes` and their descendants, depth first. */
export function findFirst(nodes: XmlNode[], tag: string): XmlNode | undefined {
  for (const node of nodes) {
    if (isTag(node, tag)) return node;
    const found = findFirst(childrenOf(node), tag);
    if (found) return found;
  }
  return undefined;
}

/** Every element named `tag` among `nodes` and their descendants (not inside a match), in document order. */
export function findAll(nodes: XmlNode[], tag: string, out: XmlNode[] = []): XmlNode[] {
  for (const node of nodes) {
    if (isTag(node, tag)) out.push(node);
    else findAll(childrenOf(node), tag, out);
  }
  return out;
}

/** A package relationships part (`*.rels`): Id → target resolved against `baseDir` (e.g. "ppt/"). */
export function relationships(xml: string | null, baseDir: string): Map<string, { target: string; type: string; external: boolean }> {
  const rels = new Map<string, { target: string; type: string; external: boolean }>();
  if (xml === null) return rels;
  for (const rel of findAll(parseXml(xml), "Relationship")) {
    const id = attrOf(rel, "Id");
    const target = attrOf(rel, "Target");
    if (!id || target === undefined) continue;
    const external = attrOf(rel, "TargetMode") === "External";
    rels.set(id, { target: external ? target : resolvePart(baseDir, target), type: attrOf(rel, "Type") ?? "", external });
  }
  return rels;
}

/** A part name from a reference relative to `baseDir` ("ppt/slides/" + "../notesSlides/n1.xml"); "/x" is from the root. */
export function resolvePart(baseDir: string, ref: string): string {
  const path = ref.startsWith("/") ? ref.slice(1) : baseDir + ref;
  const parts: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== "." && seg !== "") parts.push(seg);
  }
  return parts.map((s) => safeDecode(s)).join("/");
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The folder of a part name, with its trailing slash ("ppt/slides/slide1.xml" → "ppt/slides/"). */
export function dirOf(part: string): string {
  return part.slice(0, part.lastIndexOf("/") + 1);
}

/** The relationships part of a part ("ppt/slides/slide1.xml" → "ppt/slides/_rels/slide1.xml.rels"). */
export function relsOf(part: string): string {
  return `${dirOf(part)}_rels/${part.slice(part.lastIndexOf("/") + 1)}.rels`;
}
