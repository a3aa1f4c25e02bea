// Code by syntax: grammar.ts loads the tree-sitter grammars, syntax.ts (with describe.ts) turns a syntax tree into
// pieces, imports.ts finds the relative imports. All of them go by the language's entry of grammars.json (`Syntax`).
import type { Parser } from '@vscode/tree-sitter-wasm';
import type { Doc, Piece } from '../doc';
import type { Syntax } from '../languages';
import type { RawLink } from '../links';
import { codeImports } from './imports';
import { CodeChunker } from './syntax';

export { parserFor } from './grammar';

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
