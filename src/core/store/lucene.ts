// Lucene query text for the full-text index: free user text made safe and bounded, and the term that confines a query
// to one workspace.
import { createHash } from 'node:crypto';

/**
 * A single Lucene term that identifies the workspace in the full-text index: hex survives the analyzer as one token,
 * so `+wsToken:<it>` is an exact filter inside Lucene (the raw id would be split into several tokens).
 */
export const workspaceToken = (workspaceId: string): string => `w${createHash('sha256').update(workspaceId).digest('hex').slice(0, 40)}`;

/**
 * The properties of the full-text index (schema.ts creates it ON EACH of them, in this order). `pathWords` is the
 * chunk's path as words (pathWordsOf), so "logging" finds docs/Reference/Logging.md and "content type parser" finds
 * lib/contentTypeParser.js: Lucene's standard analyzer keeps `logging.md` and `contentTypeParser.js` as one token each.
 */
export const FULLTEXT_FIELDS = ['text', 'symbol', 'headingPath', 'pathWords', 'wsToken'] as const;

/** A path's folders and file name as they are, and split into words at separators and camelCase humps. */
export function pathWordsOf(path: string): string {
  const words = new Set<string>();
  for (const segment of path.split('/')) {
    words.add(segment);
    for (const part of segment.split(/[^\p{L}\p{N}]+/u).filter(Boolean)) {
      words.add(part);
      for (const hump of part.split(/(?<=[\p{Ll}\p{N}])(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/u)) words.add(hump);
    }
  }
  return [...words].filter(Boolean).join(' ');
}

/**
 * Lucene's IndexSearcher.maxClauseCount, which Neo4j 5.26 leaves at its default. It counts every leaf clause of the
 * whole query, and the query parser turns each analysed token of an unqualified word into one clause per field.
 * Measured against Neo4j 5.26.30: `+wsToken:w… +(t1 … tn)` runs with 204 one-token words (204 × 5 fields + 1 = 1021
 * clauses) and fails with TooManyClauses at 205 (1026); 68 words of three tokens each (`a\/b\/c`) run, 69 fail.
 */
const MAX_CLAUSES = 1024;
/** What a query may spend on the user's words: the clause limit less the workspace clause, per field. Here 204. */
const TOKEN_CEILING = Math.floor((MAX_CLAUSES - 1) / FULLTEXT_FIELDS.length);
/**
 * Analysed tokens kept from one query, well under TOKEN_CEILING (640 + 1 clauses): the margin absorbs any token our
 * count misses, and 128 distinct words are more than a question needs to find its files; longer text only adds noise.
 */
export const MAX_QUERY_TOKENS = 128;

const LUCENE_SPECIAL = /[+\-&|!(){}[\]^"~*?:\\/]/g;

/**
 * At least as many tokens as Lucene's StandardTokenizer makes of a word (never fewer: an undercount could pass the
 * clause limit). A run of letters, digits, marks and underscores is one token at most, except that the tokenizer splits
 * Han and Hiragana into single characters, Katakana from other letters, and emits each emoji on its own; we count
 * every punctuation break as a split, where the tokenizer keeps `store.ts` or `3.14` whole.
 */
const ANALYZER_TOKEN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Extended_Pictographic}\p{Regional_Indicator}]|\p{Script=Katakana}[\p{Script=Katakana}\p{M}]*|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}\p{M}_])+/gu;

/** The analysed tokens of a word, as ANALYZER_TOKEN counts them. */
const tokensOf = (word: string): string[] => word.match(ANALYZER_TOKEN) ?? [];

/** Identifiers, paths and other code-like words: camelCase, snake_case, dotted.names, a/path, calls(), `ticks`. */
const CODE_LIKE = /[\p{Ll}\p{N}][\p{Lu}]|\w_\w|\w[./:]\w|\w\(|`/u;

/**
 * Turns free user text into a safe Lucene query of OR-ed terms: every syntax character is escaped and the bare
 * operators AND / OR / NOT become plain lowercase words. Words without a letter or digit are dropped (the analyzer
 * would leave nothing of them) and repeated words are sent once (the analyzer lowercases, so `Store` and `store` are
 * one). Returns '' when nothing searchable is left.
 *
 * The query stays within Lucene's clause limit however long the text: when its words count more than `maxTokens`
 * analysed tokens, the code-like words are kept first, then the longer ones (the rarer, as words go), then the
 * earlier ones, and the kept words are sent in their original order.
 */
export function escapeLucene(userText: string, maxTokens = MAX_QUERY_TOKENS): string {
  const seen = new Set<string>();
  const words = userText.split(/\s+/).filter((word) => {
    const key = word.toLowerCase();
    if (!/[\p{L}\p{N}]/u.test(word) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return boundTokens(words, Math.min(maxTokens, TOKEN_CEILING)).map(escapeWord).join(' ');
}

const escapeWord = (word: string): string => (word === 'AND' || word === 'OR' || word === 'NOT' ? word.toLowerCase() : word.replace(LUCENE_SPECIAL, '\\$&'));

/** The words whose tokens fit in `budget`, preferred as escapeLucene says; a lone word over budget keeps its first tokens. */
function boundTokens(words: string[], budget: number): string[] {
  const cost = words.map((w) => tokensOf(w).length);
  if (cost.reduce((a, b) => a + b, 0) <= budget) return words;
  const preference = (i: number) => [CODE_LIKE.test(words[i]) ? 0 : 1, -words[i].length, i];
  const ranked = words.map((_, i) => i).sort((a, b) => compareTuples(preference(a), preference(b)));
  const kept = new Set<number>();
  let left = budget;
  for (const i of ranked) {
    if (cost[i] > left) continue;
    kept.add(i);
    left -= cost[i];
    if (left === 0) break;
  }
  // Nothing fitted: the best word alone is longer than the budget (a pasted path of hundreds of parts, a paragraph of
  // Chinese without spaces). Its first tokens, as separate words, still search.
  if (kept.size === 0) return tokensOf(words[ranked[0]]).slice(0, budget);
  return words.filter((_, i) => kept.has(i));
}

function compareTuples(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
