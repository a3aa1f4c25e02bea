// Every value the store indexes has a bounded size. Neo4j's range indexes refuse a key beyond about 8 KB ("Property
// value is too large to index"), and real code produces such values: tsc down-levels private methods of a class into a
// computed method name tens of KB long, and a minified bundle can hold a "heading" or a link of any length. Keys are
// derived from bounded values (hashed when too long); names and paths that are only shown are clipped.
import { createHash } from 'node:crypto';
import type { Chunk, FileLink } from '../types';

/** Longer than any identifier a question would name (the longest in TypeScript's own sources is under 100). */
export const MAX_SYMBOL_NAME = 256;
/** A heading path is shown above a source and searched as words; a page of it helps neither. */
export const MAX_HEADING_PATH = 512;
/** A chunk's header (a signature shown above a part of a split symbol) is prompt text: a few lines at most. */
const MAX_HEADER = 1024;
/**
 * Link and import targets are workspace paths. The store joins them to file keys inside Cypher, so a target must stay
 * below the size at which keyPart hashes (512 characters are at most 2048 UTF-8 bytes).
 */
const MAX_LINK_TARGET = 512;
/** Keys made of a workspace id and a path or a name stay well under the range index's ~8 KB key limit (UTF-8 bytes). */
const MAX_KEY_PART_BYTES = 2048;

/** Cuts text to `max` characters with an ellipsis, never splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = Array.from(text.slice(0, max)).join('');
  return `${Array.from(cut).slice(0, -1).join('')}…`;
}

/** A key part as it is when small, else a fixed-size digest, so any path or name gives an indexable key. */
export function keyPart(value: string): string {
  return Buffer.byteLength(value, 'utf8') <= MAX_KEY_PART_BYTES ? value : `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/** The chunk with its indexed and shown properties bounded; a name too long to be an identifier defines nothing. */
export function boundChunk<C extends Chunk>(chunk: C): C {
  const bounded: C = { ...chunk, defines: chunk.defines.filter((name) => name.length <= MAX_SYMBOL_NAME) };
  if (chunk.symbol !== undefined) bounded.symbol = clip(chunk.symbol, MAX_SYMBOL_NAME);
  if (chunk.headingPath !== undefined) bounded.headingPath = clip(chunk.headingPath, MAX_HEADING_PATH);
  if (chunk.header !== undefined) bounded.header = clip(chunk.header, MAX_HEADER);
  return bounded;
}

export const boundLinks = (links: FileLink[]): FileLink[] => links.filter((l) => l.target.length <= MAX_LINK_TARGET);
