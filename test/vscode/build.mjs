// Compiles the extension-host test suite (and the throwaway smoke extension) to CommonJS for VS Code's extension host.
//   node test/vscode/build.mjs
// Output: test/vscode/out/suite/index.js (the extensionTestsPath), out/suite/**/*.test.js, smoke-extension/out/extension.js.
// 'vscode' is provided by the extension host.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const suiteDir = path.join(here, 'suite');
const outDir = path.join(here, 'out');

const testEntries = readdirSync(suiteDir, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => path.join(suiteDir, file));

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Inline maps serve a debugger attached to the extension host. Stack traces still name the .js bundles (the host's own
  // Error.prepareStackTrace ignores source maps), which stay readable because nothing is minified.
  sourcemap: 'inline',
  // Only our sources are bundled; packages (mocha, zod, ...) load from the repository's node_modules at run time.
  external: ['vscode'],
  packages: 'external',
  logLevel: 'info',
};

// Stale bundles of deleted tests would otherwise still be picked up by the suite's glob.
rmSync(path.join(outDir, 'suite'), { recursive: true, force: true });

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [path.join(suiteDir, 'index.ts'), ...testEntries],
    outbase: suiteDir,
    outdir: path.join(outDir, 'suite'),
  }),
  esbuild.build({
    ...common,
    entryPoints: [path.join(here, 'smoke-extension', 'src', 'extension.ts')],
    outfile: path.join(here, 'smoke-extension', 'out', 'extension.js'),
  }),
]);
