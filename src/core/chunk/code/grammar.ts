// Grammar loading: the tree-sitter runtime and the grammar files, from @vscode/tree-sitter-wasm or from the folder a
// host ships them in (the extension's dist/grammars, since a .vsix carries no node_modules).
import * as path from 'node:path';
import { Language, Parser } from '@vscode/tree-sitter-wasm';

/** Resolved from node_modules only when no directory was given (the CLI and tests); bundles pass their own copy. */
const GRAMMAR_PACKAGE: string = '@vscode/tree-sitter-wasm';

// The runtime initialises once per process, from the directory of the first parse; the wasm of each grammar loads on
// first use and is cached.
let runtime: Promise<void> | undefined;
const languages = new Map<string, Promise<Language>>();

function initRuntime(dir: string): Promise<void> {
  runtime ??= Parser.init({ locateFile: (file: string) => path.join(dir, file) }).catch((e: unknown) => {
    runtime = undefined;
    throw e;
  });
  return runtime;
}

/**
 * A parser for the grammar `tree-sitter-<stem>.wasm` in `grammarDir` (which also holds `tree-sitter.wasm`; by default
 * the installed package). Throws when the grammar cannot be loaded.
 */
export async function parserFor(stem: string, grammarDir?: string): Promise<Parser> {
  const dir = grammarDir ?? path.dirname(require.resolve(GRAMMAR_PACKAGE));
  await initRuntime(dir);
  const file = path.join(dir, `tree-sitter-${stem}.wasm`);
  let loading = languages.get(file);
  if (!loading) {
    loading = Language.load(file);
    languages.set(file, loading);
    loading.catch(() => languages.delete(file));
  }
  const parser = new Parser();
  parser.setLanguage(await loading);
  return parser;
}
