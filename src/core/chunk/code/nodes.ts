// Small readers of tree-sitter nodes shared by the syntax chunker and the import scanner.
import type { Node } from '@vscode/tree-sitter-wasm';

export const kids = (n: Node): Node[] => n.namedChildren.filter((c): c is Node => c !== null);
/** Last row a node occupies: a node ending at column 0 ends on the previous row (preprocessor lines, Rust doc comments). */
export const endRow = (n: Node): number =>
  n.endPosition.column === 0 && n.endPosition.row > n.startPosition.row ? n.endPosition.row - 1 : n.endPosition.row;
export const field = (n: Node, name: string): Node | null => n.childForFieldName(name);
export const unquote = (s: string): string => s.replace(/^(['"`])(.*)\1$/s, '$2');
export const isIdentifier = (n: Node | null | undefined): n is Node => !!n && /identifier$/.test(n.type);
