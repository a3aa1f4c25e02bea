// File extension → language id, and language id → tree-sitter grammar, loaded lazily from @vscode/tree-sitter-wasm.
import * as path from 'node:path';
import { Language, Parser } from '@vscode/tree-sitter-wasm';

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

/** Grammar file stem per language; C is parsed with the C++ grammar (the package ships no C grammar). */
const GRAMMARS: Record<string, string> = {
  typescript: 'typescript', tsx: 'tsx', javascript: 'javascript', python: 'python', go: 'go', java: 'java',
  csharp: 'c-sharp', rust: 'rust', c: 'cpp', cpp: 'cpp', ruby: 'ruby', php: 'php', shell: 'bash',
};

/** The grammar files the chunker loads, `tree-sitter-<stem>.wasm`; the extension bundle ships exactly these. */
export function grammarStems(): string[] {
  return [...new Set(Object.values(GRAMMARS))];
}

export function hasGrammar(language: string): boolean {
  return language in GRAMMARS;
}

let grammarDirectory: string | undefined;
/** Resolved from node_modules only when no directory was set (the CLI and tests); bundles set their own copy. */
const GRAMMAR_PACKAGE: string = '@vscode/tree-sitter-wasm';

/**
 * Where `tree-sitter.wasm` and the grammar files live. The extension bundle calls this with its own copy before the first
 * parse; `undefined` restores the default (the installed package).
 */
export function setGrammarDirectory(dir: string | undefined): void {
  grammarDirectory = dir;
  languages.clear();
}

/** The directory set with setGrammarDirectory, if any (handed on to the chunking worker). */
export function grammarDirectorySetting(): string | undefined {
  return grammarDirectory;
}

function resolveGrammarDirectory(): string {
  return grammarDirectory ?? path.dirname(require.resolve(GRAMMAR_PACKAGE));
}

// The runtime initialises once per process; the wasm of each grammar loads on first use and is cached.
let runtime: Promise<void> | undefined;
const languages = new Map<string, Promise<Language>>();

function initRuntime(): Promise<void> {
  runtime ??= Parser.init({ locateFile: (file: string) => path.join(resolveGrammarDirectory(), file) }).catch((e: unknown) => {
    runtime = undefined;
    throw e;
  });
  return runtime;
}

/** A parser for the language, or undefined when it has no grammar. Throws when the grammar cannot be loaded. */
export async function parserFor(language: string): Promise<Parser | undefined> {
  const stem = GRAMMARS[language];
  if (!stem) return undefined;
  await initRuntime();
  let loading = languages.get(stem);
  if (!loading) {
    loading = Language.load(path.join(resolveGrammarDirectory(), `tree-sitter-${stem}.wasm`));
    languages.set(stem, loading);
    loading.catch(() => languages.delete(stem));
  }
  const parser = new Parser();
  parser.setLanguage(await loading);
  return parser;
}
