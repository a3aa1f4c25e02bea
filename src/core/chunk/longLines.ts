// A single line longer than the token budget (a paragraph without a line break, a data URI, a giant table row)
// becomes several chunks of that one line, each within the budget: `column` says where in the line each part starts,
// so every chunk is still an exact slice of the file and a citation of it is still its line. Without this, a 3 MB
// line of prose became one 575k-token chunk that no embedding model takes whole and no prompt can hold.
import { createHash } from 'node:crypto';
import { countTokens } from '../tokens';
import type { Chunk } from '../types';
import { embeddingInput } from './doc';

/** Cuts prefer a space in the last tenth of a part, so words stay whole where the line has any spaces. */
const BREAK_WINDOW = 0.1;

/** Every chunk over budget that is a single line, split into parts of that line within `maxTokens`. */
export function splitLongLines(chunks: Chunk[], maxTokens: number): Chunk[] {
  return chunks.flatMap((c) => (c.tokens > maxTokens && c.startLine === c.endLine ? partsOf(c, maxTokens) : [c]));
}

function partsOf(chunk: Chunk, maxTokens: number): Chunk[] {
  const line = chunk.text;
  const charsPerToken = line.length / Math.max(1, chunk.tokens);
  // The heading path and header are embedded above the text and share the budget (embeddingInput).
  const context = [chunk.headingPath, chunk.header].filter(Boolean).join('\n');
  const textBudget = Math.max(16, maxTokens - (context ? countTokens(context) + 1 : 0));
  const parts: Chunk[] = [];
  let at = 0;
  while (at < line.length) {
    let end = Math.min(line.length, at + Math.max(1, Math.floor(textBudget * charsPerToken * 0.9)));
    if (end < line.length) {
      const space = line.lastIndexOf(' ', end);
      if (space > at && space >= end - (end - at) * BREAK_WINDOW) end = space + 1;
    }
    // The estimate can be high where the text is dense: shrink until the exact count fits.
    let text = line.slice(at, end);
    let tokens = countTokens(text);
    while (tokens > textBudget && end - at > 1) {
      end = at + Math.max(1, Math.floor((end - at) * 0.9));
      text = line.slice(at, end);
      tokens = countTokens(text);
    }
    // A part never ends between the two halves of a surrogate pair.
    if (end < line.length && /[\uD800-\uDBFF]/.test(line[end - 1])) {
      end++;
      text = line.slice(at, end);
      tokens = countTokens(text);
    }
    const part: Chunk = {
      ...chunk,
      // Definitions belong to the line as a whole: the first part has them.
      defines: parts.length === 0 ? chunk.defines : [],
      text,
      column: at,
      tokens,
      contentHash: createHash('sha256').update(text).digest('hex'),
    };
    part.tokens = countTokens(embeddingInput(part));
    parts.push(part);
    at = end;
  }
  return parts;
}
