/**
 * A deterministic stand-in for an embedding model: a signed, hashed bag of words, L2-normalised
 * (Ollama's `/api/embed` returns unit vectors too). Texts sharing words get a high cosine similarity,
 * so retrieval tests can reason about rankings without a real model.
 */
export function hashEmbedding(text: string, dims: number): number[] {
  const vector = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = fnv1a(word);
    // One bit of the hash picks the sign, so unrelated words cancel out instead of all adding up.
    vector[h % dims]! += h & 0x8000_0000 ? -1 : 1;
  }
  const norm = Math.hypot(...vector);
  // A real model never returns a zero vector; give word-less text a fixed direction instead.
  if (norm === 0) return vector.map((_, i) => (i === 0 ? 1 : 0));
  return vector.map((v) => v / norm);
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x0100_0193);
  }
  return h >>> 0;
}
