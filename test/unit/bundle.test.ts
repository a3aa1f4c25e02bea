import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunkFile } from '../../src/core/chunk';
import { WorkerChunker } from '../../src/core/chunk/chunker';
import { languageOf, syntaxLanguages } from '../../src/core/chunk/languages';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'chunk');
const OPTIONS = { maxTokens: 384, overlapLines: 2 };

describe('extension bundle', () => {
  it('ships every grammar the chunker loads: each language parses from the copied folder alone', async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rag-grammars-'));
    // The build's own copy step; a fresh worker then loads the runtime and each grammar from that folder only.
    execFileSync(process.execPath, ['esbuild.config.mjs', '--grammars', dir], { cwd: ROOT });
    const chunker = new WorkerChunker({ grammarDir: dir });
    try {
      const fixtures = fs.readdirSync(FIXTURES).map((name) => name.replace(/\.txt$/, ''));
      for (const language of syntaxLanguages()) {
        const name = fixtures.find((f) => languageOf(f) === language);
        assert.ok(name, `a fixture in test/fixtures/chunk for ${language}`);
        const text = fs.readFileSync(path.join(FIXTURES, fs.existsSync(path.join(FIXTURES, name)) ? name : `${name}.txt`), 'utf8');
        const shipped = await chunker.chunk(name, text, OPTIONS);
        assert.ok(shipped.chunks.some((c) => c.symbol), `${name} is chunked by syntax`);
        assert.deepEqual(shipped, await chunkFile(name, text, OPTIONS), `${name}: the same chunks as with the installed package`);
      }
    } finally {
      await chunker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds and ships the chunking worker under the name the engine starts it by', () => {
    const config = fs.readFileSync(path.join(ROOT, 'esbuild.config.mjs'), 'utf8');
    assert.match(config, /entryPoints: \{ 'chunk-worker': 'src\/core\/chunk\/worker\.ts' \}/);
    assert.match(fs.readFileSync(path.join(ROOT, 'src/core/chunk/chunker.ts'), 'utf8'), /path\.join\(__dirname, 'chunk-worker\.js'\)/);
    assert.ok(fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').includes('!dist/chunk-worker.js'), '.vscodeignore keeps the worker in the .vsix');
  });

  it('builds and ships the CLI the extension starts as its MCP server, tree-sitter inside and the grammars beside it', () => {
    const config = fs.readFileSync(path.join(ROOT, 'esbuild.config.mjs'), 'utf8');
    const entry = /await esbuild\.build\(\{ \.\.\.node, entryPoints: \{ 'workspace-rag': 'src\/cli\/main\.ts' \}, outdir: 'dist'( [^}]*)? \}\);/.exec(config);
    assert.ok(entry, 'esbuild.config.mjs builds dist/workspace-rag.js from the CLI');
    assert.ok(!entry[1]?.includes('external'), 'nothing is external: the .vsix has no node_modules');
    assert.match(fs.readFileSync(path.join(ROOT, 'src/extension/agents.ts'), 'utf8'), /serverScript: string/);
    assert.match(fs.readFileSync(path.join(ROOT, 'src/extension/extension.ts'), 'utf8'), /path\.join\(context\.extensionPath, 'dist', 'workspace-rag\.js'\)/);
    assert.match(fs.readFileSync(path.join(ROOT, 'src/cli/main.ts'), 'utf8'), /path\.join\(__dirname, 'grammars'\)/);
    assert.ok(fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').includes('!dist/workspace-rag.js'), '.vscodeignore keeps it in the .vsix');
  });
});
