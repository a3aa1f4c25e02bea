// What a syntax node declares: its kind, name and body, read from the node types of every grammar the chunker parses.
import type { Node } from '@vscode/tree-sitter-wasm';
import type { Syntax } from '../languages';
import { field, isIdentifier, kids, unquote } from './nodes';

/** What a syntax node declares. `decl` is the declaration inside wrappers such as `export` or decorators. */
export interface Desc {
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

export interface MemberContext {
  inClass: boolean;
  className?: string;
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
const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);

/** What `node` declares, or null when it declares no symbol (it is glue); `syntax` is its language's entry. */
export function describe(node: Node, ctx: MemberContext, syntax: Syntax): Desc | null {
  switch (node.type) {
    case 'export_statement': {
      const decl = field(node, 'declaration');
      if (decl) return describe(decl, ctx, syntax);
      const value = field(node, 'value');
      if (value && FUNCTION_VALUES.has(value.type)) return make('function', 'default', value, ctx, syntax);
      if (value && value.type === 'class') return make('class', 'default', value, ctx, syntax);
      return null;
    }
    case 'decorated_definition': {
      const def = field(node, 'definition');
      return def ? describe(def, ctx, syntax) : null;
    }
    case 'template_declaration':
    case 'ambient_declaration':
    case 'expression_statement': {
      for (const c of kids(node)) {
        if (node.type === 'expression_statement' && c.type !== 'internal_module' && c.type !== 'module') continue;
        const d = describe(c, ctx, syntax);
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
      if (FUNCTION_VALUES.has(value.type)) return make(ctx.inClass ? 'method' : 'function', name.text, node, ctx, syntax, value);
      if (value.type === 'class') return make('class', name.text, node, ctx, syntax, value);
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
      if (receiver && syntax.receivers) {
        const d = make('method', field(node, 'name')?.text ?? '', node, ctx, syntax);
        const type = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)\s*$/.exec(receiver.text)?.[1];
        return d && type ? { ...d, owner: type } : d;
      }
      break;
    }
    case 'impl_item': {
      const type = field(node, 'type');
      return type ? make('impl', type.text, node, ctx, syntax) : null;
    }
    case 'function_definition': {
      const declarator = field(node, 'declarator');
      if (!declarator) break; // Python, PHP, Bash: named by the 'name' field
      const name = cFunctionName(declarator);
      if (!name) return null;
      const kind = ctx.inClass || name.includes('::') ? 'method' : 'function';
      return make(kind, name, node, ctx, syntax);
    }
    case 'type_definition': {
      const names = node.childrenForFieldName('declarator').map((d) => d && cTypeName(d)).filter((s): s is string => !!s);
      return names.length ? { ...make('type', names[0], node, ctx, syntax)!, body: null, alsoDefines: names.slice(1) } : null;
    }
  }
  const kind = KINDS[node.type];
  if (!kind) return null;
  if (NEEDS_BODY.has(node.type) && !field(node, 'body')) return null;
  const nameNode = field(node, 'name');
  if (!nameNode) return null;
  return make(kind, nameNode.type === 'string' ? unquote(nameNode.text) : nameNode.text, node, ctx, syntax);
}

/** `owner` holds the body when it is not the declaration itself (`const f = () => {...}`). */
function make(kind: string, name: string, decl: Node, ctx: MemberContext, syntax: Syntax, owner: Node = decl): Desc | null {
  if (!name) return null;
  if (ctx.inClass && kind === 'function') kind = 'method';
  // Constructors stay in the class skeleton when a class is split.
  if (ctx.inClass && kind === 'method' && (name === syntax.constructorName || name === ctx.className || name === `~${ctx.className}`)) {
    return null;
  }
  const body = field(owner, 'body') ?? kids(owner).find((c) => BODY_TYPES.has(c.type)) ?? null;
  return { kind, name, decl, body, classLike: CLASS_LIKE.has(kind) };
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
export function glueNames(node: Node): string[] {
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
      const left = assignment?.type === 'assignment_expression' || assignment?.type === 'assignment' ? field(assignment, 'left') : null;
      if (!left) return [];
      if (/identifier$/.test(left.type)) return [left.text];
      return left.type === 'member_expression' ? assignedMember(left, field(assignment, 'right')) : [];
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

/**
 * `Reply.prototype.hijack = function () {}` and `module.exports.build = () => {}` define a function the code calls
 * `hijack` or `build`: the member's name, and its owner's (`Reply.hijack`) unless the owner is only `module.exports`.
 */
function assignedMember(left: Node, right: Node | null): string[] {
  if (!right || !FUNCTION_VALUES.has(right.type)) return [];
  const property = field(left, 'property');
  if (!property || !/identifier$/.test(property.type)) return [];
  const owner = (field(left, 'object')?.text ?? '').replace(/\.prototype$/, '');
  const qualified = /^[A-Za-z_$][\w$]*$/.test(owner) && owner !== 'exports' && owner !== 'module' ? [`${owner}.${property.text}`] : [];
  return [property.text, ...qualified];
}
