import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { grammarStems } from '../../src/core/chunk/languages';

describe('extension bundle', () => {
  it('ships exactly the grammars the chunker loads', () => {
    const config = readFileSync(path.resolve(__dirname, '../../esbuild.config.mjs'), 'utf8');
    const listed = /const grammars = \[([^\]]*)\]/.exec(config)?.[1];
    assert.ok(listed, 'esbuild.config.mjs lists the grammars it copies');
    const copied = [...listed.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    assert.deepEqual([...copied].sort(), grammarStems().sort());
  });

  it('builds and ships the chunking worker under the name the engine starts it by', () => {
    const root = path.resolve(__dirname, '../..');
    const config = readFileSync(path.join(root, 'esbuild.config.mjs'), 'utf8');
    assert.match(config, /entryPoints: \{ 'chunk-worker': 'src\/core\/chunk\/worker\.ts' \}/);
    assert.match(readFileSync(path.join(root, 'src/core/chunk/chunker.ts'), 'utf8'), /path\.join\(__dirname, 'chunk-worker\.js'\)/);
    assert.ok(readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').includes('!dist/chunk-worker.js'), '.vscodeignore keeps the worker in the .vsix');
  });
});
