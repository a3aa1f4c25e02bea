// File extension → language id, and what the code chunker knows of each language it parses (grammars.json): its
// tree-sitter grammar, how it names members, and where its imports are. Adding a language is one entry there; the
// build ships the grammars that table names (esbuild.config.mjs).
import * as path from 'node:path';
import { z } from 'zod';
import table from './grammars.json';

const BY_EXTENSION: Record<string, string> = {
  md: 'markdown', markdown: 'markdown', mdx: 'markdown', mdown: 'markdown', mkd: 'markdown',
  ts: 'typescript', mts: 'typescript', cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
  py: 'python', pyi: 'python', pyw: 'python',
  go: 'go',
  java: 'java',
  cs: 'csharp',
  rs: 'rust',
  c: 'c', h: 'c',
  cc: 'cpp', cpp: 'cpp', cxx: 'cpp', 'c++': 'cpp', hh: 'cpp', hpp: 'cpp', hxx: 'cpp', 'h++': 'cpp', ipp: 'cpp', inl: 'cpp',
  rb: 'ruby', rake: 'ruby', gemspec: 'ruby',
  php: 'php', phtml: 'php',
  sh: 'shell', bash: 'shell', zsh: 'shell', ksh: 'shell',
  ps1: 'powershell', psm1: 'powershell',
  json: 'json', jsonc: 'json', json5: 'json',
  yaml: 'yaml', yml: 'yaml',
  toml: 'toml',
  ini: 'ini', cfg: 'ini', conf: 'ini', properties: 'properties',
  xml: 'xml', xsd: 'xml', xsl: 'xml', svg: 'xml', csproj: 'xml', props: 'xml', targets: 'xml', plist: 'xml',
  html: 'html', htm: 'html', vue: 'vue', svelte: 'svelte',
  css: 'css', scss: 'scss', sass: 'sass', less: 'less',
  sql: 'sql',
  graphql: 'graphql', gql: 'graphql', proto: 'proto',
  kt: 'kotlin', kts: 'kotlin', swift: 'swift', scala: 'scala', dart: 'dart', lua: 'lua', r: 'r', pl: 'perl',
  ex: 'elixir', exs: 'elixir', erl: 'erlang', hs: 'haskell', fs: 'fsharp', fsx: 'fsharp', clj: 'clojure', zig: 'zig',
  tf: 'terraform', hcl: 'terraform', gradle: 'groovy', groovy: 'groovy',
  rst: 'restructuredtext', adoc: 'asciidoc', tex: 'latex', txt: 'text', csv: 'csv', tsv: 'csv',
};

const BY_NAME: Record<string, string> = {
  dockerfile: 'dockerfile', containerfile: 'dockerfile', makefile: 'makefile', gnumakefile: 'makefile',
  rakefile: 'ruby', gemfile: 'ruby', '.bashrc': 'shell', '.zshrc': 'shell', '.profile': 'shell',
  'cmakelists.txt': 'cmake', jenkinsfile: 'groovy',
};

/** The language id of a path: 'markdown', a tree-sitter language, a config/text format, or 'text'. */
export function languageOf(filePath: string): string {
  const base = path.posix.basename(filePath.replace(/\\/g, '/')).toLowerCase();
  const byName = BY_NAME[base];
  if (byName) return byName;
  if (base.startsWith('dockerfile.') || base.endsWith('.dockerfile')) return 'dockerfile';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'text';
  return BY_EXTENSION[base.slice(dot + 1)] ?? 'text';
}

const pattern = z.string().transform((source) => new RegExp(source));
const nodeTypes = z.array(z.string()).min(1);

const syntaxSchema = z.strictObject({
  /**
   * Grammar file stem: `tree-sitter-<stem>.wasm` in @vscode/tree-sitter-wasm. C is parsed with the C++ grammar (the
   * package ships no C grammar).
   */
  grammar: z.string(),
  /** Joins an owner and a member in symbol names: `Store.get`, `Store::get`. */
  separator: z.enum(['.', '::']).default('.'),
  /** The constructor's name, which stays in the class skeleton when a class is split (C++ names it after its class). */
  constructorName: z.string().optional(),
  /** Methods name their type in a receiver, `func (s *Store) Get()` (Go). */
  receivers: z.boolean().default(false),
  /** Where relative imports are; none when the language has none the chunker follows. */
  imports: z
    .strictObject({
      /** Node types that can hold one. */
      nodes: nodeTypes,
      /** Only the top level is looked at (static JS imports and exports). */
      topLevel: z.boolean().default(false),
      /** The syntax tree is not walked when the text does not match (a cheap test that no import can be there). */
      hint: pattern.optional(),
      /** Further node types, looked for at any depth when the text matches their hint (`require()`, `import()`). */
      calls: z.strictObject({ nodes: nodeTypes, hint: pattern }).optional(),
    })
    .optional(),
});

export type Syntax = z.infer<typeof syntaxSchema>;
export type ImportScan = NonNullable<Syntax['imports']>;

const SYNTAX: ReadonlyMap<string, Syntax> = new Map(Object.entries(z.record(z.string(), syntaxSchema).parse(table)));

/** What the code chunker knows of a language, or undefined when it has no grammar (chunked by line windows). */
export function syntaxOf(language: string): Syntax | undefined {
  return SYNTAX.get(language);
}

/** The languages parsed with a grammar. */
export function syntaxLanguages(): string[] {
  return [...SYNTAX.keys()];
}
