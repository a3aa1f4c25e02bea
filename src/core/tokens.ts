// Token counting. Azure's text-embedding models use cl100k_base; BitNet b1.58 2B4T uses the LLaMA 3 tokenizer, whose
// vocabulary extends cl100k_base, so cl100k counts are a close (slightly high) estimate for both budgets.
import { countTokens as countCl100k, encode, decode } from 'gpt-tokenizer/encoding/cl100k_base';

// Workspace files may contain strings such as `<|endoftext|>`: they are text here, never control tokens.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

export function countTokens(text: string): number {
  return countCl100k(text, PLAIN_TEXT);
}

/** The longest prefix of `text` that fits in `maxTokens`. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const ids = encode(text, PLAIN_TEXT);
  return ids.length <= maxTokens ? text : decode(ids.slice(0, maxTokens));
}
