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
function fnv1a(s: string): number {
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

/** Dimensions each feature touches in denseEmbedding: with tens of features per text, every dimension gets several. */
const SPREAD = 32;
/** Each feature's pattern: SPREAD seeded pseudo-random (dimension, weight in [-1, 1]) pairs, the same on every run. */
const patterns = new Map<string, { at: Uint16Array; weight: Float32Array }>();
const PATTERN_CACHE_LIMIT = 200_000;

function pattern(feature: string, dimensions: number): { at: Uint16Array; weight: Float32Array } {
  const key = `${dimensions}\u0000${feature}`;
  let p = patterns.get(key);
  if (p) return p;
  p = { at: new Uint16Array(SPREAD), weight: new Float32Array(SPREAD) };
  let x = fnv1a(feature) || 1; // xorshift32 seeded by the feature
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < SPREAD; i++) {
    p.at[i] = next() % dimensions;
    p.weight[i] = next() / 0x80000000 - 1;
  }
  if (patterns.size < PATTERN_CACHE_LIMIT) patterns.set(key, p);
  return p;
}

/**
 * The same words and bigrams as hashEmbedding, but each spread over SPREAD dimensions with random weights (a sparse
 * random projection), so the vectors are dense like a real model's rather than mostly zeros. Index settings that trade
 * precision for speed (int8 quantization) behave on them much as on real embeddings, unlike on the sparse ones.
 */
export function denseEmbedding(text: string, dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  const ws = meaningfulWords(text);
  const add = (feature: string, weight: number) => {
    const p = pattern(feature, dimensions);
    for (let i = 0; i < SPREAD; i++) v[p.at[i]] += weight * p.weight[i];
  };
  for (let i = 0; i < ws.length; i++) {
    add(ws[i], 1);
    if (i > 0) add(`${ws[i - 1]} ${ws[i]}`, 0.5);
  }
  if (ws.length === 0) add(`\u0000${text.trim()}`, 1);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm) || 1;
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
