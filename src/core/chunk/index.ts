// Chunking entry point: Markdown by headings, code by syntax (tree-sitter), everything else by line windows.
//
// Every chunk is a whole range of lines: `text` is exactly lines startLine..endLine (1-based, inclusive) joined by '\n',
// with any '\r' of a CRLF file kept, so a citation shows the file as it is. `tokens` counts `embeddingInput(chunk)`
// (header + text) and stays within `maxTokens`. A single line longer than the budget (a paragraph without line breaks, a
// data URI, a huge table row) becomes several chunks of that line, each with the `column` where its text starts
// (longLines.ts): still an exact slice of the file, and cited as that line.
import type { Chunk } from '../types';
import { chunkCode, parserFor } from './code';
import { Doc, type Piece } from './doc';
import { languageOf, syntaxOf } from './languages';
import type { RawLink } from './links';
import { markdownLinks, markdownPieces } from './markdown';
import { splitLongLines } from './longLines';
import { windowPieces } from './windows';

export { embeddingInput } from './doc';
export { languageOf } from './languages';
export { resolveLinks, type RawLink } from './links';

/** Bump whenever chunk boundaries, metadata or links could change for the same input (part of FileRecord.chunkerKey). */
export const CHUNKER_VERSION = '5';

/** A file's chunks in order, and its relative links and imports (unresolved). */
export interface ChunkedFile {
  chunks: Chunk[];
  links: RawLink[];
}

/** IndexingConfig.chunkTokens and IndexingConfig.overlapLines. */
export interface ChunkSettings {
  maxTokens: number;
  /** Lines repeated between consecutive fallback windows. */
  overlapLines: number;
}

export interface ChunkOptions extends ChunkSettings {
  /**
   * The folder holding `tree-sitter.wasm` and the grammar files (the extension ships them in dist/grammars); by default
   * the installed @vscode/tree-sitter-wasm package.
   */
  grammarDir?: string;
}

/**
 * Chunks one file and lists its relative links/imports (unresolved; see `resolveLinks`). Code whose syntax tree is mostly
 * errors falls back to line windows; a grammar that fails to load is an error (a broken installation must not degrade
 * silently into windows).
 */
export async function chunkFile(path: string, text: string, opts: ChunkOptions): Promise<ChunkedFile> {
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1) throw new RangeError(`maxTokens must be a positive integer, got ${opts.maxTokens}`);
  if (!Number.isInteger(opts.overlapLines) || opts.overlapLines < 0) {
    throw new RangeError(`overlapLines must be a non-negative integer, got ${opts.overlapLines}`);
  }
  const language = languageOf(path);
  const syntax = syntaxOf(language);
  if (!/\S/.test(text)) return { chunks: [], links: [] };
  const doc = new Doc(path, text, language, opts.maxTokens);
  let pieces: Piece[] | undefined;
  let links: RawLink[] = [];
  if (language === 'markdown') {
    pieces = markdownPieces(doc);
    links = markdownLinks(doc);
  } else if (syntax) {
    const parser = await parserFor(syntax.grammar, opts.grammarDir);
    try {
      const result = chunkCode(doc, parser, syntax);
      if (result) ({ pieces, links } = result);
    } finally {
      parser.delete();
    }
  }
  pieces ??= windowPieces(doc, opts.overlapLines);
  return { chunks: splitLongLines(pieces.map((p) => doc.toChunk(p)), opts.maxTokens), links };
}
