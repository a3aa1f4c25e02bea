// Compiles the extension-host test suite to CommonJS for VS Code's extension host, after building the extension itself
// (esbuild.config.mjs: dist/extension.js, dist/grammars, media/dist/chat.js), since the suite runs against that bundle.
//   node test/vscode/build.mjs
// Output: test/vscode/out/suite/index.js (the extensionTestsPath) and out/suite/**/*.test.js.
// 'vscode' is provided by the extension host.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
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

const repo = path.resolve(here, '..', '..');
const extension = spawnSync(process.execPath, [path.join(repo, 'esbuild.config.mjs')], { cwd: repo, stdio: 'inherit' });
if (extension.status !== 0) throw new Error(`building the extension failed (${extension.status ?? extension.signal})`);

await esbuild.build({
  ...common,
  entryPoints: [path.join(suiteDir, 'index.ts'), ...testEntries],
  outbase: suiteDir,
  outdir: path.join(outDir, 'suite'),
});
