// Word features shared by the fake embedding model and the fake chat model, so "related" means the same thing to both.

const STOPWORDS = new Set(
  (
    'a an and are as at be but by can do does for from has have how i if in into is it its me my of on or our so ' +
    'that the their then there these this to was we what when where which who why will with you your'
  ).split(' '),
);

/** Lower-cased words of `text`; identifiers are split at camelCase, snake_case and digit boundaries. Stopwords kept. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const ident of text.match(/[\p{L}\p{N}_]+/gu) ?? []) {
    if (/^[a-z0-9]+$/.test(ident)) {
      out.push(ident); // the common case, without the splitting regexes
      continue;
    }
    const parts = ident
      .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
      .replace(/(\p{N})(\p{Lu}\p{Ll})/gu, '$1 $2')
      .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
      .split(/[\s_]+/);
    for (const p of parts) if (p) out.push(p.toLowerCase());
  }
  return out;
}

/** Words that carry meaning: no stopwords, no single characters. */
export function meaningfulWords(text: string): string[] {
  return words(text).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}

/** 32-bit FNV-1a: cheap, stable across runs and platforms. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A deterministic embedding with real similarity structure: a signed-hash bag of meaningful words and word bigrams,
 * L2-normalised. Texts sharing words have a higher cosine than texts that share none.
 */
export function hashEmbedding(text: string, dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  const ws = meaningfulWords(text);
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    v[h % dimensions] += h & 0x80000000 ? -weight : weight;
  };
  for (let i = 0; i < ws.length; i++) {
    add(ws[i], 1);
    if (i > 0) add(`${ws[i - 1]} ${ws[i]}`, 0.5);
  }
  if (ws.length === 0) add(`\u0000${text.trim()}`, 1); // texts without words still get a stable unit vector
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  if (norm === 0) {
    v[0] = 1; // every feature cancelled out: still answer with a unit vector
    return v;
  }
  for (let i = 0; i < dimensions; i++) v[i] /= norm;
  return v;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}
