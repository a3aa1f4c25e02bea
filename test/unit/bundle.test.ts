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
});
