// Code chunker: symbols found by tree-sitter become chunks; a symbol over budget is split into its members (classes,
// namespaces) or at statement boundaries (functions); the glue between symbols becomes 'code' chunks.
import type { Parser } from '@vscode/tree-sitter-wasm';
import type { Doc, Piece } from '../doc';
import type { Syntax } from '../languages';
import type { RawLink } from '../links';
export { parserFor } from './grammar';
import { codeImports } from './imports';
import { CodeChunker } from './syntax';

/** Parses and chunks; undefined when the tree is unusable. The tree is freed before returning. */
export function chunkCode(doc: Doc, parser: Parser, syntax: Syntax): { pieces: Piece[]; links: RawLink[] } | undefined {
  const tree = parser.parse(doc.text);
  if (!tree) return undefined;
  try {
    const pieces = new CodeChunker(doc, syntax).chunk(tree);
    return pieces && { pieces, links: codeImports(tree, doc, syntax.imports) };
  } finally {
    tree.delete();
  }
}
