// Bundles the CLI (and, later, the extension and the webview). Tree-sitter grammars stay as .wasm files next to the bundle.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');

await esbuild.build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  // The grammar package loads its .wasm files relative to itself; the CLI runs from the repository, so it stays external.
  external: ['@vscode/tree-sitter-wasm'],
  logLevel: 'info',
});
