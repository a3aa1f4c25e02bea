// Bundles the CLI and the extension (Node, CommonJS) and the chat webview (browser). The tree-sitter runtime and the
// grammars the chunker uses are copied next to the bundles, since a .vsix carries no node_modules.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const production = process.argv.includes('--production');
const require = createRequire(import.meta.url);

// `node esbuild.config.mjs --grammars <dir>` only copies the grammars (the bundle test checks what the build ships).
const grammarsOnly = process.argv.indexOf('--grammars');
if (grammarsOnly !== -1) {
  copyGrammars(process.argv[grammarsOnly + 1]);
  process.exit(0);
}

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

// The CLI runs from the repository, so the grammar package resolves from node_modules.
await esbuild.build({ ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', external: ['@vscode/tree-sitter-wasm'] });
// The chunking worker both hosts start (src/core/chunk/chunker.ts); it carries its own copy of the tree-sitter runtime.
await esbuild.build({ ...node, entryPoints: { 'chunk-worker': 'src/core/chunk/worker.ts' }, outdir: 'dist' });

if (existsSync('src/extension/extension.ts')) {
  await esbuild.build({ ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode'] });
  // The CLI again, with the tree-sitter runtime inside and the grammars of dist/grammars: the .vsix carries it so the
  // extension can start `workspace-rag mcp` for VS Code's agent mode without node_modules.
  await esbuild.build({ ...node, entryPoints: { 'workspace-rag': 'src/cli/main.ts' }, outdir: 'dist' });
  copyGrammars(path.join('dist', 'grammars'));
}

if (existsSync('src/webview/main.ts')) {
  await esbuild.build({
    entryPoints: { chat: 'src/webview/main.ts' },
    outdir: path.join('media', 'dist'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
  });
}

/** The runtime and only the grammars the chunker loads, those src/core/chunk/grammars.json names (each weighs 0.2–5 MB). */
function copyGrammars(target) {
  const source = path.dirname(require.resolve('@vscode/tree-sitter-wasm'));
  const grammars = new Set(Object.values(require('./src/core/chunk/grammars.json')).map((language) => language.grammar));
  mkdirSync(target, { recursive: true });
  for (const file of ['tree-sitter.wasm', ...[...grammars].map((g) => `tree-sitter-${g}.wasm`)]) {
    if (existsSync(path.join(source, file))) cpSync(path.join(source, file), path.join(target, file));
  }
}
