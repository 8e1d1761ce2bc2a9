/**
 * The words search works with outside LanceDB's analyzer (query expansion, proximity): letters first, then
 * letters, combining marks (Devanagari, Thai, … vowel signs) or digits; at least 3 characters; lower-cased;
 * English function words dropped, as the full-text index drops them (DEFAULT_FTS removeStopWords).
 */
const WORD = /[\p{L}][\p{L}\p{M}\p{N}]{2,}/gu;

/** The content words of `text`, in order. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).filter((w) => !STOP_WORDS.has(w));
}

/** English function words (a common short list). */
const STOP_WORDS = new Set(
  (
    "a about above after again against all also am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have having " +
    "he her here hers herself him himself his how however into is it its itself just may me might more most must " +
    "my myself no nor not now of off on once only or other our ours ourselves out over own same shall she should " +
    "so some such than that the their theirs them themselves then there these they this those through thus to too " +
    "under until up upon very was we were what when where which while who whom why will with within without would " +
    "you your yours yourself yourselves"
  ).split(" "),
);
