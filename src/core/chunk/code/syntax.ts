// Code chunker: symbols found by tree-sitter become chunks; a symbol over budget is split into its members (classes,
// namespaces) or at statement boundaries (functions); the glue between symbols becomes 'code' chunks.
import type { Node, Tree } from '@vscode/tree-sitter-wasm';
import type { Doc, Piece } from '../doc';
import type { Syntax } from '../languages';
import { splitRange } from '../windows';
import { type Desc, describe, glueNames, type MemberContext } from './describe';
import { endRow, field, kids } from './nodes';

interface Item {
  start: number;
  end: number;
  desc: Desc;
  /** Symbols sharing a row with this one are folded in (chunks are whole rows). */
  folded: Desc[];
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

/** Wrappers whose children are read as if they were the parent's (include guards, `extern "C" {}`, Java enum bodies). */
const TRANSPARENT = new Set([
  'preproc_ifdef', 'preproc_if', 'preproc_else', 'preproc_elif', 'preproc_elifdef', 'linkage_specification',
  'declaration_list', 'enum_body_declarations', 'ERROR',
]);
const ATTACHED = new Set(['attribute_item', 'decorator', 'attribute_list', 'annotation']);
// A row that only closes a block (`}`, `};`, `end`, `#endif`), optionally followed by a comment.
const CLOSING_ROW = /^\s*(?:[{}()[\];,]+|end|fi|done|esac|#\s*(?:endif|else)\b[^\r]*)\s*(?:(?:\/\/|\/\*|#)[^\r]*)?\r?$/;

export class CodeChunker {
  private readonly pieces: Array<Piece & { closing?: boolean }> = [];
  /** Names declared outside any symbol (top-level constants, variables), by the row where their declaration starts. */
  private readonly glueNames = new Map<number, string[]>();
  private readonly sep: string;

  constructor(
    private readonly doc: Doc,
    private readonly syntax: Syntax,
  ) {
    this.sep = syntax.separator;
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
        const desc = describe(node, ctx, this.syntax);
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

  /** Every name a whole symbol defines: itself, folded neighbours, functions declared in it and, for containers, their members. */
  private definesOf(desc: Desc, scope: Scope): string[] {
    const name = this.qualify(desc, scope);
    const out = [name, ...(desc.alsoDefines ?? []), ...this.nestedFunctions(desc).map((f) => f.name)];
    if (desc.body && (desc.classLike || desc.kind === 'module')) {
      const inner: Scope = { ...scope, inClass: desc.classLike, className: desc.name, qualifier: desc.classLike ? name : scope.qualifier };
      for (const it of this.collect(kids(desc.body), inner)) {
        for (const d of [it.desc, ...it.folded]) out.push(...this.definesOf(d, inner));
      }
    }
    return out;
  }

  /**
   * Functions declared in a function's body, at any depth, with the row each starts on: a factory such as fastify's
   * `buildRouting` declares `findRoute` and a dozen others, which a question names like any other function.
   */
  private nestedFunctions(desc: Desc): Array<{ row: number; name: string }> {
    if (!desc.body || desc.classLike || desc.kind === 'module') return [];
    return statements(desc.body).flatMap((node) => {
      const d = describe(node, { inClass: false }, this.syntax);
      return d && d.kind === 'function' ? [{ row: node.startPosition.row, name: d.name }, ...this.nestedFunctions(d)] : [];
    });
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
    const inner = this.doc.header(header, sig);
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
    const nested = this.nestedFunctions(d);
    const partHeader = (row: number) => (row <= sigRow ? header : inner);
    for (const [s, e] of splitRange(this.doc, it.start, it.end, { header: partHeader, breakAfter: (r) => ends.has(r) })) {
      const h = partHeader(s);
      // Each part also defines the functions declared on its rows, so a question naming one finds its lines.
      const inPart = nested.filter((f) => f.row >= s && f.row <= e).map((f) => f.name);
      this.pieces.push({ kind: d.kind, symbol: name, start: s, end: e, defines: [...defines, ...inPart], ...(h ? { header: h } : {}) });
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
/** A header shows at most this many lines of one declaration (a long parameter list keeps its beginning). */
const SIGNATURE_LINES = 3;

/**
 * The declaration's own lines down to the one where its body opens, verbatim (line endings aside): a header shown
 * above a part is real lines of the file, never a signature rebuilt from its tokens.
 */
function signature(d: Desc, doc: Doc): string {
  const first = d.decl.startPosition.row;
  const body = d.body && d.body.startIndex > d.decl.startIndex ? d.body : null;
  // A brace opens the body on its own row (kept); an indented block (Python) starts at its first statement (not kept).
  const bodyRow = !body ? first : Math.max(first, body.startPosition.row - (doc.text[body.startIndex] === '{' ? 0 : 1));
  return doc.lines
    .slice(first, Math.min(bodyRow, first + SIGNATURE_LINES - 1) + 1)
    .map((line) => line.replace(/\r$/, ''))
    .join('\n');
}

/** Statements of a function body (Go wraps them in a statement_list). */
function statements(body: Node | null): Node[] {
  if (!body) return [];
  const children = kids(body);
  return children.length === 1 && children[0].type === 'statement_list' ? kids(children[0]) : children;
}
