// Token counting. Azure's text-embedding models use cl100k_base; BitNet b1.58 2B4T uses the LLaMA 3 tokenizer, whose
// vocabulary extends cl100k_base, so cl100k counts are a close (slightly high) estimate for both budgets.
type Cl100k = typeof import('gpt-tokenizer/encoding/cl100k_base');

/**
 * The tokenizer remembers the merges of up to 100,000 recent words by default: over a large workspace that cache alone
 * held ~30 MB. A tenth of it keeps the common words at no measurable cost in speed.
 */
const MERGE_CACHE_WORDS = 10_000;
// Workspace files may contain strings such as `<|endoftext|>`: they are text here, never control tokens.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

let encoding: Cl100k | undefined;
/** Loaded on first use: its tables take ~30 MB, and a process that only indexes counts in its chunking worker. */
function cl100k(): Cl100k {
  if (!encoding) {
    encoding = require('gpt-tokenizer/encoding/cl100k_base') as Cl100k;
    encoding.setMergeCacheSize(MERGE_CACHE_WORDS);
  }
  return encoding;
}

export function countTokens(text: string): number {
  return cl100k().countTokens(text, PLAIN_TEXT);
}

/** The longest prefix of `text` that fits in `maxTokens`. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const { encode, decode } = cl100k();
  const ids = encode(text, PLAIN_TEXT);
  return ids.length <= maxTokens ? text : decode(ids.slice(0, maxTokens));
}
