// The import scanner: relative imports found in the syntax tree, where the language's entry of grammars.json says they are.
import type { Node, Tree } from '@vscode/tree-sitter-wasm';
import type { Doc } from '../doc';
import type { ImportScan } from '../languages';
import type { RawLink } from '../links';
import { field, kids, unquote } from './nodes';

/** Relative imports: JS/TS import/export/require/import(), Python relative `from`, C/C++ `#include "..."`, Rust `mod x;`, Ruby `require_relative`. */
export function codeImports(tree: Tree, doc: Doc, scan: ImportScan | undefined): RawLink[] {
  const out: RawLink[] = [];
  const add = (spec: string | undefined) => {
    if (spec) out.push({ spec, kind: 'import' });
  };
  const relative = (s: string | undefined) => (s && (s === '.' || s === '..' || s.startsWith('./') || s.startsWith('../')) ? s : undefined);
  // Skip the walk when the text cannot hold what we look for; static JS imports and exports are top-level only.
  if (!scan || (scan.hint && !scan.hint.test(doc.text))) return out;
  const calls = scan.calls && scan.calls.hint.test(doc.text) ? scan.calls.nodes : [];
  const wanted = new Set([...scan.nodes, ...calls]);

  walk(tree, scan.topLevel && calls.length === 0 ? 1 : Infinity, (type) => wanted.has(type), (node) => {
    switch (node.type) {
      case 'import_statement':
      case 'export_statement': {
        const source = field(node, 'source') ?? kids(node).find((c) => c.type === 'import_require_clause');
        const str = source?.type === 'string' ? source : source && kids(source).find((c) => c.type === 'string');
        add(relative(str ? unquote(str.text) : undefined));
        break;
      }
      case 'call_expression': {
        const fn = field(node, 'function');
        if (!fn || !(fn.type === 'import' || (fn.type === 'identifier' && fn.text === 'require'))) break;
        const arg = field(node, 'arguments') && kids(field(node, 'arguments')!)[0];
        if (arg && (arg.type === 'string' || (arg.type === 'template_string' && !arg.text.includes('${')))) add(relative(unquote(arg.text)));
        break;
      }
      case 'import_from_statement':
        for (const spec of pythonSpecs(node)) add(spec);
        break;
      case 'preproc_include': {
        const p = field(node, 'path');
        if (p?.type === 'string_literal') add(unquote(p.text));
        break;
      }
      case 'mod_item': {
        const name = field(node, 'name')?.text;
        if (!name || field(node, 'body')) break;
        // `mod x;` lives next to lib.rs/main.rs/mod.rs, or in a folder named after any other file.
        const base = doc.path.slice(doc.path.lastIndexOf('/') + 1);
        const dir = ['lib.rs', 'main.rs', 'mod.rs'].includes(base) ? '.' : `./${base.replace(/\.rs$/, '')}`;
        add(`${dir}/${name}.rs`);
        add(`${dir}/${name}/mod.rs`);
        break;
      }
      case 'call': {
        if (field(node, 'method')?.text !== 'require_relative') break;
        const arg = field(node, 'arguments');
        const str = arg && kids(arg).find((c) => c.type === 'string');
        if (!str || str.text.includes('#{')) break;
        const spec = unquote(str.text);
        add(`${spec.startsWith('.') ? spec : `./${spec}`}${/\.rb$/.test(spec) ? '' : '.rb'}`);
        break;
      }
    }
  });
  return out;
}

/** `from ..pkg.mod import x` → '../pkg/mod'; `from . import a` → './a' and the package './'. */
function pythonSpecs(node: Node): string[] {
  const module = field(node, 'module_name');
  if (module?.type !== 'relative_import') return [];
  const dots = kids(module).find((c) => c.type === 'import_prefix')?.text.length ?? 1;
  const prefix = dots === 1 ? './' : '../'.repeat(dots - 1);
  const dotted = kids(module).find((c) => c.type === 'dotted_name')?.text;
  if (dotted) return [prefix + dotted.replace(/\./g, '/')];
  const names = node.childrenForFieldName('name').map((n) => (n?.type === 'aliased_import' ? field(n, 'name') : n)?.text);
  return [prefix, ...names.filter((n): n is string => !!n).map((n) => prefix + n.replace(/\./g, '/'))];
}

/** Depth-first walk down to `maxDepth` with a cursor (cheap: no node objects for uninteresting nodes). */
function walk(tree: Tree, maxDepth: number, wanted: (type: string) => boolean, visit: (node: Node) => void): void {
  const cursor = tree.walk();
  let depth = 0;
  try {
    for (;;) {
      if (cursor.nodeIsNamed && wanted(cursor.nodeType)) visit(cursor.currentNode);
      if (depth < maxDepth && cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return;
        depth--;
      }
    }
  } finally {
    cursor.delete();
  }
}
