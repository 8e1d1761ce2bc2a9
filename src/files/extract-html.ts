/**
 * HTML → plain text for indexing. A small regex pass rather than a DOM parser: we only need the words a
 * reader would see, in order, with block elements turned into paragraph breaks so the chunker can cut there.
 */

// Elements whose content is never shown as text (or is code/markup that would pollute the index).
const HIDDEN = /<(script|style|noscript|template|svg|math|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
const CDATA = /<!\[CDATA\[[\s\S]*?\]\]>/g;
const BLOCK =
  /<\/?(p|div|section|article|aside|header|footer|main|nav|h[1-6]|ul|ol|dl|table|thead|tbody|tr|blockquote|pre|figure|figcaption|hr|form|fieldset|details|summary)\b[^>]*>/gi;
const LINE = /<(br|li|dt|dd|td|th|option)\b[^>]*>/gi;
const TAG = /<\/?[A-Za-z][^>]*>|<![^>]*>|<\?[^>]*>/g;

// The named entities that occur in ordinary documents; unknown names are left as written.
const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", shy: "",
  copy: "©", reg: "®", trade: "™", deg: "°", plusmn: "±", times: "×", divide: "÷", micro: "µ",
  middot: "·", sect: "§", para: "¶", euro: "€", pound: "£", yen: "¥", cent: "¢",
  ndash: "–", mdash: "—", hellip: "…", bull: "•", laquo: "«", raquo: "»",
  lsquo: "‘", rsquo: "’", sbquo: "‚", ldquo: "“", rdquo: "”", bdquo: "„",
  auml: "ä", ouml: "ö", uuml: "ü", Auml: "Ä", Ouml: "Ö", Uuml: "Ü", szlig: "ß",
  eacute: "é", egrave: "è", ecirc: "ê", aacute: "á", agrave: "à", acirc: "â", ccedil: "ç",
  iacute: "í", oacute: "ó", uacute: "ú", ntilde: "ñ", Eacute: "É", larr: "←", rarr: "→",
};

/** Decodes named and numeric character references (`&amp;`, `&#233;`, `&#xE9;`). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g, (whole, ref: string) => {
    if (ref[0] !== "#") return NAMED[ref] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    // Out-of-range and surrogate code points would throw in fromCodePoint; the HTML spec maps them to U+FFFD.
    const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    return valid ? String.fromCodePoint(code) : "\uFFFD";
  });
}

/** The visible text of an HTML document: tags, scripts, styles and comments removed, entities decoded. */
export function htmlToText(html: string): string {
  const title = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html)?.[1]?.trim() ?? "";
  const body = html
    .replace(COMMENT, " ")
    .replace(CDATA, " ")
    .replace(HIDDEN, " ")
    .replace(BLOCK, "\n\n")
    .replace(LINE, "\n")
    .replace(TAG, " ");
  const text = tidyWhitespace(decodeEntities(body));
  const heading = tidyWhitespace(decodeEntities(title.replace(TAG, " ")));
  // The <title> lives in <head>, which is hidden above; keep it as a first paragraph unless the body repeats it.
  return heading && !text.startsWith(heading) ? `${heading}\n\n${text}` : text;
}

/** Collapses runs of spaces inside lines and keeps at most one blank line between paragraphs. */
export function tidyWhitespace(text: string): string {
  return text
    .replace(/[ \t\f\v\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
