// Code chunker: symbols found by tree-sitter become chunks; a symbol over budget is split into its members (classes,
// namespaces) or at statement boundaries (functions); the glue between symbols becomes 'code' chunks.
import type { Node, Parser, Tree } from '@vscode/tree-sitter-wasm';
import type { Doc, Piece } from './doc';
import type { RawLink } from './links';
import { splitRange } from './windows';

/** What a syntax node declares. `decl` is the declaration inside wrappers such as `export` or decorators. */
interface Desc {
  kind: string;
  name: string;
  decl: Node;
  /** Members (classes, namespaces) or statements (functions). */
  body: Node | null;
  /** Members are qualified with this symbol's name (classes, traits, impls...), not namespaces or modules. */
  classLike: boolean;
  /** Explicit owner, e.g. a Go method's receiver type. */
  owner?: string;
  /** Further names declared by the same node (e.g. a Go `type (...)` group). */
  alsoDefines?: string[];
}

interface Item {
  start: number;
  end: number;
  desc: Desc;
  /** Symbols sharing a row with this one are folded in (chunks are whole rows). */
  folded: Desc[];
}

interface MemberContext {
  inClass: boolean;
  className?: string;
}

interface Scope extends MemberContext {
  /** Header of pieces in this scope, and of the piece holding the container's signature row. */
  header?: string;
  outerHeader?: string;
  sigRow: number;
  glueKind: string;
  glueSymbol?: string;
  qualifier?: string;
}

const KINDS: Record<string, string> = {
  function_declaration: 'function', generator_function_declaration: 'function', function_signature: 'function',
  function_definition: 'function', function_item: 'function', method: 'function',
  method_definition: 'method', method_declaration: 'method', singleton_method: 'method',
  class_declaration: 'class', abstract_class_declaration: 'class', class_definition: 'class', class: 'class',
  record_declaration: 'class', class_specifier: 'class',
  interface_declaration: 'interface', annotation_type_declaration: 'interface',
  trait_item: 'trait', trait_declaration: 'trait',
  enum_declaration: 'enum', enum_item: 'enum', enum_specifier: 'enum',
  type_alias_declaration: 'type', type_item: 'type', type_definition: 'type',
  struct_item: 'struct', struct_declaration: 'struct', struct_specifier: 'struct', union_specifier: 'struct', union_item: 'struct',
  impl_item: 'impl',
  namespace_declaration: 'module', namespace_definition: 'module', internal_module: 'module', module: 'module', mod_item: 'module',
  macro_definition: 'macro',
};
const CLASS_LIKE = new Set(['class', 'interface', 'trait', 'enum', 'struct', 'impl']);
/** Kinds that only declare something when they have a body (`struct node *p;` and `mod x;` only refer to one). */
const NEEDS_BODY = new Set(['class_specifier', 'struct_specifier', 'union_specifier', 'enum_specifier', 'mod_item', 'namespace_definition']);
const BODY_TYPES = new Set([
  'class_body', 'declaration_list', 'field_declaration_list', 'block', 'body_statement', 'interface_body', 'enum_body',
  'statement_block', 'compound_statement', 'enum_variant_list', 'enumerator_list',
]);
/** Wrappers whose children are read as if they were the parent's (include guards, `extern "C" {}`, Java enum bodies). */
const TRANSPARENT = new Set([
  'preproc_ifdef', 'preproc_if', 'preproc_else', 'preproc_elif', 'preproc_elifdef', 'linkage_specification',
  'declaration_list', 'enum_body_declarations', 'ERROR',
]);
const ATTACHED = new Set(['attribute_item', 'decorator', 'attribute_list', 'annotation']);
const CONSTRUCTORS: Record<string, string> = {
  typescript: 'constructor', tsx: 'constructor', javascript: 'constructor', python: '__init__', php: '__construct', ruby: 'initialize',
};
const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);
// A row that only closes a block (`}`, `};`, `end`, `#endif`), optionally followed by a comment.
const CLOSING_ROW = /^\s*(?:[{}()[\];,]+|end|fi|done|esac|#\s*(?:endif|else)\b[^\r]*)\s*(?:(?:\/\/|\/\*|#)[^\r]*)?\r?$/;

const kids = (n: Node): Node[] => n.namedChildren.filter((c): c is Node => c !== null);
/** Last row a node occupies: a node ending at column 0 ends on the previous row (preprocessor lines, Rust doc comments). */
const endRow = (n: Node): number =>
  n.endPosition.column === 0 && n.endPosition.row > n.startPosition.row ? n.endPosition.row - 1 : n.endPosition.row;
const field = (n: Node, name: string): Node | null => n.childForFieldName(name);
const unquote = (s: string): string => s.replace(/^(['"`])(.*)\1$/s, '$2');

export class CodeChunker {
  private readonly pieces: Array<Piece & { closing?: boolean }> = [];
  /** Names declared outside any symbol (top-level constants, variables), by the row where their declaration starts. */
  private readonly glueNames = new Map<number, string[]>();
  private readonly sep: string;

  constructor(private readonly doc: Doc) {
    this.sep = doc.language === 'rust' || doc.language === 'cpp' || doc.language === 'c' ? '::' : '.';
  }

  /** Pieces for the whole file, or undefined when the tree is too broken to trust. */
  chunk(tree: Tree): Piece[] | undefined {
    const root = tree.rootNode;
    if (!usable(root, this.doc)) return undefined;
    const nodes = kids(root);
    const items = this.collect(nodes, { inClass: false }, true);
    this.sequence(0, this.doc.lastRow, items, nodes, { inClass: false, sigRow: -1, glueKind: 'code' });
    return this.finish();
  }

  // ---- symbols ----

  private describe(node: Node, ctx: MemberContext): Desc | null {
    switch (node.type) {
      case 'export_statement': {
        const decl = field(node, 'declaration');
        if (decl) return this.describe(decl, ctx);
        const value = field(node, 'value');
        if (value && FUNCTION_VALUES.has(value.type)) return this.make('function', 'default', value, ctx);
        if (value && value.type === 'class') return this.make('class', 'default', value, ctx);
        return null;
      }
      case 'decorated_definition': {
        const def = field(node, 'definition');
        return def ? this.describe(def, ctx) : null;
      }
      case 'template_declaration':
      case 'ambient_declaration':
      case 'expression_statement': {
        for (const c of kids(node)) {
          if (node.type === 'expression_statement' && c.type !== 'internal_module' && c.type !== 'module') continue;
          const d = this.describe(c, ctx);
          if (d) return d;
        }
        return null;
      }
      case 'lexical_declaration':
      case 'variable_declaration':
      case 'public_field_definition':
      case 'field_definition': {
        // `const f = () => {}` and `const A = class {}` are symbols; other variables are glue.
        const declarators = node.type.endsWith('field_definition') ? [node] : kids(node).filter((c) => c.type === 'variable_declarator');
        if (declarators.length !== 1) return null;
        const name = field(declarators[0], 'name') ?? field(declarators[0], 'property');
        const value = field(declarators[0], 'value');
        if (!name || !value || !/identifier$/.test(name.type)) return null;
        if (FUNCTION_VALUES.has(value.type)) return this.make(ctx.inClass ? 'method' : 'function', name.text, node, ctx, value);
        if (value.type === 'class') return this.make('class', name.text, node, ctx, value);
        return null;
      }
      case 'type_declaration': {
        // Go: `type X struct {...}` or a `type (...)` group.
        const specs = kids(node).filter((c) => c.type === 'type_spec' || c.type === 'type_alias');
        const names = specs.map((s) => field(s, 'name')?.text).filter((s): s is string => !!s);
        if (!names.length) return null;
        const t = field(specs[0], 'type')?.type;
        const kind = t === 'struct_type' ? 'struct' : t === 'interface_type' ? 'interface' : 'type';
        return { kind, name: names[0], decl: node, body: null, classLike: false, alsoDefines: names.slice(1) };
      }
      case 'method_declaration': {
        const receiver = field(node, 'receiver');
        if (receiver && this.doc.language === 'go') {
          const d = this.make('method', field(node, 'name')?.text ?? '', node, ctx);
          const type = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)\s*$/.exec(receiver.text)?.[1];
          return d && type ? { ...d, owner: type } : d;
        }
        break;
      }
      case 'impl_item': {
        const type = field(node, 'type');
        return type ? this.make('impl', type.text, node, ctx) : null;
      }
      case 'function_definition': {
        const declarator = field(node, 'declarator');
        if (!declarator) break; // Python, PHP, Bash: named by the 'name' field
        const name = cFunctionName(declarator);
        if (!name) return null;
        const kind = ctx.inClass || name.includes('::') ? 'method' : 'function';
        return this.make(kind, name, node, ctx);
      }
      case 'type_definition': {
        const names = node.childrenForFieldName('declarator').map((d) => d && cTypeName(d)).filter((s): s is string => !!s);
        return names.length ? { ...this.make('type', names[0], node, ctx)!, body: null, alsoDefines: names.slice(1) } : null;
      }
    }
    const kind = KINDS[node.type];
    if (!kind) return null;
    if (NEEDS_BODY.has(node.type) && !field(node, 'body')) return null;
    const nameNode = field(node, 'name');
    if (!nameNode) return null;
    return this.make(kind, nameNode.type === 'string' ? unquote(nameNode.text) : nameNode.text, node, ctx);
  }

  /** `owner` holds the body when it is not the declaration itself (`const f = () => {...}`). */
  private make(kind: string, name: string, decl: Node, ctx: MemberContext, owner: Node = decl): Desc | null {
    if (!name) return null;
    if (ctx.inClass && kind === 'function') kind = 'method';
    // Constructors stay in the class skeleton when a class is split.
    if (ctx.inClass && kind === 'method' && (name === CONSTRUCTORS[this.doc.language] || name === ctx.className || name === `~${ctx.className}`)) {
      return null;
    }
    const body = field(owner, 'body') ?? kids(owner).find((c) => BODY_TYPES.has(c.type)) ?? null;
    return { kind, name, decl, body, classLike: CLASS_LIKE.has(kind) };
  }

  /** Symbols among sibling nodes, each widened to the comments, attributes and decorators right above it. */
  private collect(nodes: Node[], ctx: MemberContext, topLevel = false): Item[] {
    const items: Item[] = [];
    let lead: { start: number; end: number } | undefined;
    let lastEnd = -1;
    for (const node of nodes) {
      const start = node.startPosition.row;
      const end = endRow(node);
      if (node.type.includes('comment') || ATTACHED.has(node.type)) {
        if (lead && start <= lead.end + 1) lead.end = Math.max(lead.end, end);
        else lead = start > lastEnd ? { start, end } : undefined;
        lastEnd = Math.max(lastEnd, end);
        continue;
      }
      const inner = transparentKids(node);
      if (inner) {
        items.push(...this.collect(inner, ctx, topLevel));
      } else {
        const desc = this.describe(node, ctx);
        if (desc) items.push({ start: lead && lead.end + 1 >= start ? Math.min(lead.start, start) : start, end, desc, folded: [] });
        else if (topLevel) {
          const names = glueNames(node);
          if (names.length) this.glueNames.set(start, [...(this.glueNames.get(start) ?? []), ...names]);
        }
      }
      lead = undefined;
      lastEnd = Math.max(lastEnd, end);
    }
    // Chunks are whole rows: symbols that share a row become one item.
    const merged: Item[] = [];
    for (const it of items) {
      const prev = merged[merged.length - 1];
      if (prev && it.start <= prev.end) {
        prev.end = Math.max(prev.end, it.end);
        prev.folded.push(it.desc, ...it.folded);
      } else merged.push(it);
    }
    return merged;
  }

  private qualify(d: Desc, scope: Scope): string {
    if (d.owner) return `${d.owner}${this.sep}${d.name}`;
    return scope.qualifier ? `${scope.qualifier}${this.sep}${d.name}` : d.name;
  }

  /** Every name a whole symbol defines: itself, folded neighbours and, for containers, their members. */
  private definesOf(desc: Desc, scope: Scope): string[] {
    const name = this.qualify(desc, scope);
    const out = [name, ...(desc.alsoDefines ?? [])];
    if (desc.body && (desc.classLike || desc.kind === 'module')) {
      const inner: Scope = { ...scope, inClass: desc.classLike, className: desc.name, qualifier: desc.classLike ? name : scope.qualifier };
      for (const it of this.collect(kids(desc.body), inner)) {
        for (const d of [it.desc, ...it.folded]) out.push(...this.definesOf(d, inner));
      }
    }
    return out;
  }

  // ---- emission ----

  /** Rows start..end of one scope: its symbols in order and the glue between them. */
  private sequence(start: number, end: number, items: Item[], siblings: Node[], scope: Scope): void {
    const nodeEnds = new Set(siblings.map(endRow));
    let pos = start;
    for (const it of items) {
      this.glue(pos, it.start - 1, scope, nodeEnds);
      this.symbol(it, scope);
      pos = it.end + 1;
    }
    this.glue(pos, end, scope, nodeEnds);
  }

  private glue(start: number, end: number, scope: Scope, nodeEnds: Set<number>): void {
    const range = this.doc.trim(start, end);
    if (!range) return;
    const base = { kind: scope.glueKind, ...(scope.glueSymbol ? { symbol: scope.glueSymbol } : {}) };
    const header = (row: number) => (row <= scope.sigRow ? scope.outerHeader : scope.header);
    let closing = true;
    for (let r = range[0]; r <= range[1] && closing; r++) closing = this.doc.isBlank(r) || CLOSING_ROW.test(this.doc.lines[r]);
    const breakAfter = (r: number) => nodeEnds.has(r);
    for (const [s, e] of splitRange(this.doc, range[0], range[1], { header, breakAfter })) {
      const h = header(s);
      // Each piece gets its own `defines`: finish() adds the names declared on its rows.
      const defines = scope.glueSymbol ? [scope.glueSymbol] : [];
      this.pieces.push({ ...base, defines, start: s, end: e, ...(h ? { header: h } : {}), ...(closing ? { closing } : {}) });
    }
  }

  private symbol(it: Item, scope: Scope): void {
    const d = it.desc;
    const name = this.qualify(d, scope);
    const header = scope.header;
    const base = { kind: d.kind, symbol: name, ...(header ? { header } : {}) };
    // A container is kept whole only while small: past that its members are cited on their own lines.
    const limit = d.body && (d.classLike || d.kind === 'module') ? this.doc.cohesiveTokens : undefined;
    if (this.doc.fits(it.start, it.end, header, limit)) {
      const defines = [it.desc, ...it.folded].flatMap((x) => this.definesOf(x, scope));
      this.pieces.push({ ...base, start: it.start, end: it.end, defines });
      return;
    }
    const sig = signature(d, this.doc);
    const sigRow = d.decl.startPosition.row;
    const inner = this.doc.header([header, sig].filter(Boolean).join('\n'));
    if (d.body && (d.classLike || d.kind === 'module')) {
      const siblings = kids(d.body);
      const ctx: MemberContext = { inClass: d.classLike, className: d.name };
      const members = this.collect(siblings, ctx);
      if (members.length) {
        this.sequence(it.start, it.end, members, siblings, {
          ...ctx, header: inner, outerHeader: header, sigRow, glueKind: d.kind, glueSymbol: name,
          qualifier: d.classLike ? name : scope.qualifier,
        });
        return;
      }
    }
    // A long function (or a container without members): parts at statement boundaries, each under the signature.
    const ends = new Set(statements(d.body).map(endRow));
    const defines = [name, ...it.folded.map((f) => this.qualify(f, scope))];
    const partHeader = (row: number) => (row <= sigRow ? header : inner);
    for (const [s, e] of splitRange(this.doc, it.start, it.end, { header: partHeader, breakAfter: (r) => ends.has(r) })) {
      const h = partHeader(s);
      this.pieces.push({ kind: d.kind, symbol: name, start: s, end: e, defines: [...defines], ...(h ? { header: h } : {}) });
    }
  }

  /** Rows that only close blocks join a neighbour (previous first) when it stays within budget; glue gets its names. */
  private finish(): Piece[] {
    const out: Array<Piece & { closing?: boolean }> = [];
    const pieces = this.pieces;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      const prev = out[out.length - 1];
      const next = pieces[i + 1];
      if (p.closing && prev && this.doc.fits(prev.start, p.end, prev.header)) prev.end = p.end;
      else if (p.closing && next && !next.closing && this.doc.fits(p.start, next.end, next.header)) next.start = p.start;
      else out.push(p);
    }
    return out.map(({ closing: _c, ...p }) => {
      if (p.symbol === undefined) {
        for (let row = p.start; row <= p.end; row++) p.defines.push(...(this.glueNames.get(row) ?? []));
      }
      return p;
    });
  }
}

/** Children read in place of the node: preprocessor conditionals, `extern "C"`, anonymous namespaces, error nodes. */
function transparentKids(node: Node): Node[] | undefined {
  if (TRANSPARENT.has(node.type)) return kids(node);
  const body = node.type === 'namespace_definition' && !field(node, 'name') ? field(node, 'body') : null;
  return body ? kids(body) : undefined;
}

/** A tree whose top level is mostly errors is not worth following; the caller falls back to windows. */
function usable(root: Node, doc: Doc): boolean {
  if (root.type === 'ERROR') return false;
  if (!root.hasError) return true;
  let broken = 0;
  for (const c of kids(root)) if (c.type === 'ERROR' || c.isMissing) broken += endRow(c) - c.startPosition.row + 1;
  return broken * 2 <= doc.lines.length;
}

/** The declaration's text up to its body, on one line: `class Store extends Base {`, `def f(x):`. */
function signature(d: Desc, doc: Doc): string {
  const decl = d.decl;
  const body = d.body && d.body.startIndex > decl.startIndex ? d.body : null;
  let text = body ? doc.text.slice(decl.startIndex, body.startIndex) : doc.lines[decl.startPosition.row];
  text = text.replace(/\s+/g, ' ').trim();
  if (body && doc.text[body.startIndex] === '{' && !text.endsWith('{')) text += ' {';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** Statements of a function body (Go wraps them in a statement_list). */
function statements(body: Node | null): Node[] {
  if (!body) return [];
  const children = kids(body);
  return children.length === 1 && children[0].type === 'statement_list' ? kids(children[0]) : children;
}

function cFunctionName(declarator: Node): string | undefined {
  let d: Node | null = declarator;
  while (d && d.type !== 'function_declarator') d = field(d, 'declarator');
  const name = d && field(d, 'declarator');
  return name?.text.replace(/\s+/g, '');
}

function cTypeName(declarator: Node): string | undefined {
  let d: Node | null = declarator;
  while (d && !/identifier$/.test(d.type)) d = field(d, 'declarator');
  return d?.text;
}

/** Names of top-level constants and variables that live in glue chunks. */
function glueNames(node: Node): string[] {
  switch (node.type) {
    case 'export_statement': {
      const decl = field(node, 'declaration');
      return decl ? glueNames(decl) : [];
    }
    case 'lexical_declaration':
    case 'variable_declaration':
      return kids(node).filter((c) => c.type === 'variable_declarator').map((c) => field(c, 'name')).filter(isIdentifier).map((n) => n.text);
    case 'expression_statement': {
      const assignment = kids(node)[0];
      const left = assignment?.type === 'assignment' ? field(assignment, 'left') : null;
      return isIdentifier(left) ? [left.text] : [];
    }
    case 'const_declaration':
    case 'var_declaration':
      return kids(node).flatMap((spec) => spec.childrenForFieldName('name')).filter(isIdentifier).map((n) => n.text);
    case 'const_item':
    case 'static_item':
    case 'preproc_def':
    case 'preproc_function_def': {
      const name = field(node, 'name');
      return name ? [name.text] : [];
    }
    default:
      return [];
  }
}

const isIdentifier = (n: Node | null | undefined): n is Node => !!n && /identifier$/.test(n.type);

// ---- imports ----

const JS_LIKE = new Set(['typescript', 'tsx', 'javascript']);

/** Relative imports: JS/TS import/export/require/import(), Python relative `from`, C/C++ `#include "..."`, Rust `mod x;`, Ruby `require_relative`. */
export function codeImports(tree: Tree, doc: Doc): RawLink[] {
  const out: RawLink[] = [];
  const lang = doc.language;
  const add = (spec: string | undefined) => {
    if (spec) out.push({ spec, kind: 'import' });
  };
  const relative = (s: string | undefined) => (s && (s === '.' || s === '..' || s.startsWith('./') || s.startsWith('../')) ? s : undefined);
  const js = JS_LIKE.has(lang);
  const dynamicCalls = js && /\b(?:require|import)\s*\(/.test(doc.text);
  // Skip the walk when the text cannot hold what we look for; static JS imports and exports are top-level only.
  const possible = js || (lang === 'python' && /\bfrom\s+\./.test(doc.text)) || ((lang === 'c' || lang === 'cpp') && doc.text.includes('include'))
    || (lang === 'rust' && /\bmod\s/.test(doc.text)) || (lang === 'ruby' && doc.text.includes('require_relative'));
  if (!possible) return out;

  walk(tree, js && !dynamicCalls ? 1 : Infinity, (type) => {
    if (js) return type === 'import_statement' || type === 'export_statement' || (dynamicCalls && type === 'call_expression');
    if (lang === 'python') return type === 'import_from_statement';
    if (lang === 'c' || lang === 'cpp') return type === 'preproc_include';
    if (lang === 'rust') return type === 'mod_item';
    return type === 'call';
  }, (node) => {
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

/** Parses and chunks; undefined when the tree is unusable. The tree is freed before returning. */
export function chunkCode(doc: Doc, parser: Parser): { pieces: Piece[]; links: RawLink[] } | undefined {
  const tree = parser.parse(doc.text);
  if (!tree) return undefined;
  try {
    const pieces = new CodeChunker(doc).chunk(tree);
    return pieces && { pieces, links: codeImports(tree, doc) };
  } finally {
    tree.delete();
  }
}
