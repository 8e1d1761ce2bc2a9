import type { Annotation, FileSearchResult } from "../api/wire.js";

/** A numbered source the model was shown: `[n] file (page p): text`. Numbering runs across the whole run. */
export interface NumberedSource {
  n: number;
  result: FileSearchResult;
}

export interface Cited {
  /** The reply, with markers appended when the model wrote none. */
  text: string;
  annotations: Annotation[];
}

/** Markers the model may write for source n: [1], [1, 2], 【1】, 【1†source】, [source 1]. */
const MARKER = /【\s*(\d+)(?:[:†][^】]*)?】|\[(?:source\s*)?(\d+(?:\s*,\s*\d+)*)\]/gi;
/** Sources the reply shares at least this many distinct content words with count as used. */
const MIN_SHARED_WORDS = 3;
const MAX_APPENDED = 3;

/**
 * Turns a reply into text + file_citation annotations.
 *
 * 1. If the model wrote markers that name sources it was shown, each marker becomes an annotation in place.
 * 2. Small local models often ignore citation instructions; then the sources whose text the reply draws on
 *    (shared content words) get markers appended at the end, `【n†file, p. 3】`, each annotated. Appending
 *    (never inserting) keeps the streamed deltas a prefix of the final text.
 */
export function cite(reply: string, sources: NumberedSource[]): Cited {
  if (sources.length === 0) return { text: reply, annotations: [] };
  const byNumber = new Map(sources.map((s) => [s.n, s.result]));
  const annotations: Annotation[] = [];
  for (const match of reply.matchAll(MARKER)) {
    const numbers = (match[1] ?? match[2] ?? "").split(",").map((x) => Number(x.trim()));
    const result = numbers.map((n) => byNumber.get(n)).find((r) => r !== undefined);
    if (result) annotations.push(annotation(match[0], match.index, result));
  }
  if (annotations.length > 0) return { text: reply, annotations };
  return appendMarkers(reply, usedSources(reply, sources));
}

function appendMarkers(reply: string, used: NumberedSource[]): Cited {
  let text = reply.trimEnd() === reply ? reply : reply.trimEnd();
  const annotations: Annotation[] = [];
  for (const source of used) {
    const page = source.result.page ? `, p. ${source.result.page}` : "";
    const marker = `【${source.n}†${source.result.file_name}${page}】`;
    text += text.endsWith(" ") || text === "" ? "" : " ";
    annotations.push(annotation(marker, text.length, source.result));
    text += marker;
  }
  return { text, annotations };
}

/** Sources ranked by distinct content words shared with the reply; one per file and page. */
function usedSources(reply: string, sources: NumberedSource[]): NumberedSource[] {
  const replyWords = contentWords(reply);
  const seen = new Set<string>();
  return sources
    .map((s) => ({ s, shared: countShared(replyWords, contentWords(s.result.content?.map((c) => c.text).join(" ") ?? "")) }))
    .filter((x) => x.shared >= MIN_SHARED_WORDS)
    .sort((a, b) => b.shared - a.shared || a.s.n - b.s.n)
    .map((x) => x.s)
    .filter((s) => {
      const key = `${s.result.file_id}#${s.result.page ?? ""}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, MAX_APPENDED);
}

function annotation(text: string, start: number, result: FileSearchResult): Annotation {
  const quote = result.content?.[0]?.text.slice(0, 200);
  return {
    type: "file_citation",
    text,
    start_index: start,
    end_index: start + text.length,
    file_citation: { file_id: result.file_id, ...(quote ? { quote } : {}), ...(result.page ? { page: result.page } : {}) },
  };
}

const STOP = new Set("that this with from have were been they their there which what when where will would could should about into than then them these those your also only other such some more most very just over under does each".split(" "));

function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? [];
  return new Set(words.filter((w) => !STOP.has(w)));
}

function countShared(a: Set<string>, b: Set<string>): number {
  let n = 0;
  for (const w of a) if (b.has(w)) n++;
  return n;
}

/**
 * file_path annotations for files the run's code wrote. The hosted API linked them as
 * `sandbox:/mnt/data/<name>`; clients replace that text with a download link. A mention of the link or of the
 * bare file name is annotated in place; otherwise a markdown link is appended. A name written again by a later
 * call is one file to the reader: it is annotated once, pointing at the latest version.
 */
export function annotateFiles(cited: Cited, files: { file_id: string; name: string }[]): Cited {
  let text = cited.text;
  const annotations = [...cited.annotations];
  const latest = new Map(files.map((f) => [f.name, f]));
  for (const file of latest.values()) {
    const link = `sandbox:/mnt/data/${file.name}`;
    let start = findName(text, link);
    let marker = link;
    if (start === -1) {
      start = findName(text, file.name);
      marker = file.name;
    }
    if (start === -1) {
      text += `${text === "" || text.endsWith(" ") ? "" : " "}[${file.name}](`;
      start = text.length;
      marker = link;
      text += `${link})`;
    }
    annotations.push({ type: "file_path", text: marker, start_index: start, end_index: start + marker.length, file_path: { file_id: file.file_id } });
  }
  return { text, annotations };
}

const NAME_CHAR = /[\p{L}\p{N}_-]/u;

/** Where `name` first occurs as a whole name: "a.csv" is not found inside "data.csv" or "a.csv2" (a final "." may follow). */
function findName(text: string, name: string): number {
  for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, at + 1)) {
    const before = text[at - 1] ?? "";
    const after = text.slice(at + name.length, at + name.length + 2);
    const joinedBefore = NAME_CHAR.test(before) || before === ".";
    const joinedAfter = NAME_CHAR.test(after[0] ?? "") || (after[0] === "." && NAME_CHAR.test(after[1] ?? ""));
    if (!joinedBefore && !joinedAfter) return at;
  }
  return -1;
}
