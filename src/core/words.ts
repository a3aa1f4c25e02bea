// The words of a question, one source of truth for every part that matches them against files: the full-text leg's
// query (keywordsOf), and the term weights that pick a source's most relevant lines (termWeights, lineTerms).

// Question words and function words: the full-text index keeps stop words (code needs `in`, `is`, `for`), so the
// question drops them itself, or a long file full of "to" and "the" outranks the one that answers.
const STOP_WORDS = new Set(
  ('a an and are as at be by can could did do does doing for from had has have how i if in into is it its me my of on or ' +
    'should so than that the their them then there these they this those to was we were what when where which who whom why ' +
    'will with would you your about explain show tell find please any some').split(' '),
);

/** The question's searchable words, for the full-text leg; the question itself when nothing else is left. */
export function keywordsOf(question: string): string {
  const kept = question.split(/\s+/).filter((word) => {
    const bare = word.replace(/^[^\p{L}\p{N}_$`]+|[^\p{L}\p{N}_$`]+$/gu, '').toLowerCase();
    return bare !== '' && !STOP_WORDS.has(bare);
  });
  return kept.length ? kept.join(' ') : question;
}

/** The words of a text, split at camelCase too, lowercased: what lineTerms stems and termsNotMentioned matches. */
const wordsOf = (text: string): string[] => text.replace(/([a-z\d])([A-Z])/g, '$1 $2').split(/[^\p{L}\p{N}]+/u).map((w) => w.toLowerCase());

/**
 * The distinct terms of a text as matching compares them: identifiers split at camelCase and snake_case, lower case,
 * without stop words, with a light suffix strip so "routes", "routing" and "route" meet.
 */
export function lineTerms(text: string): Set<string> {
  const out = new Set<string>();
  for (const lower of wordsOf(text)) {
    if (lower.length < 2 || STOP_WORDS.has(lower)) continue;
    out.add(stem(lower));
  }
  return out;
}

const SUFFIXES = ['ing', 'ed', 'es', 's', 'e'];
function stem(word: string): string {
  for (const suffix of SUFFIXES) if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length);
  return word;
}

/**
 * The question's terms weighted by how rare they are among `lines` (inverse document frequency over lines): a word
 * on every line of the candidates (the package's name, `function`) says little about which lines answer.
 */
export function termWeights(question: string, lines: readonly string[]): Map<string, number> {
  const terms = lineTerms(question);
  const df = new Map<string, number>([...terms].map((t) => [t, 0]));
  for (const line of lines) for (const t of lineTerms(line)) if (df.has(t)) df.set(t, df.get(t)! + 1);
  return new Map([...df].map(([t, n]) => [t, Math.log((lines.length + 1) / (n + 0.5))]));
}

/**
 * The terms (lineTerms of a question) that no word of these hits starts with, in their text, path, symbol or heading:
 * the only ones the full-text index can find absent (absentTerms asks the same of every chunk, by prefix).
 */
export function termsNotMentioned(terms: readonly string[], hits: ReadonlyArray<{ text: string; path: string; symbol?: string; headingPath?: string }>): string[] {
  const left = new Set(terms);
  for (const hit of hits) {
    if (left.size === 0) break;
    for (const field of [hit.text, hit.path, hit.symbol ?? '', hit.headingPath ?? ''])
      for (const word of wordsOf(field)) if (word.length >= 3) for (const t of left) if (word.startsWith(t)) left.delete(t);
  }
  return [...left];
}

/**
 * The question's words as written, each with the terms it is matched by (lineTerms, at least 3 letters): what the
 * weak-match check asks the index about. A word is absent when none of its terms is found.
 */
export function questionWords(question: string): Array<{ word: string; terms: string[] }> {
  const out = new Map<string, string[]>();
  for (const raw of question.split(/[\s,;:!?()"'`[\]{}<>=]+/)) {
    const word = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    const terms = [...lineTerms(word)].filter((t) => t.length >= 3);
    if (terms.length && !out.has(word)) out.set(word, terms);
  }
  return [...out].map(([word, terms]) => ({ word, terms }));
}
