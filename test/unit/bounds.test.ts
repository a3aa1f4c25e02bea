import { strict as assert } from 'node:assert';
import { boundChunk, boundLinks, clip, keyPart, MAX_HEADING_PATH, MAX_SYMBOL_NAME } from '../../src/core/indexer/bounds';
import type { Chunk } from '../../src/core/types';

const chunk = (over: Partial<Chunk>): Chunk => ({
  path: 'a.js', language: 'javascript', kind: 'method', startLine: 1, endLine: 1, text: 'x', contentHash: 'h', tokens: 1, defines: [], ...over,
});

describe('bounds of indexed values', () => {
  it('drops a computed method name tens of KB long from the names a chunk defines, and clips it for display', () => {
    const computed = `[(_a = ${'x'.repeat(40_000)})]`;
    const bounded = boundChunk(chunk({ symbol: computed, defines: [computed, 'render'] }));
    assert.deepEqual(bounded.defines, ['render']);
    assert.equal(bounded.symbol!.length, MAX_SYMBOL_NAME);
    assert.ok(bounded.symbol!.endsWith('…'));
  });

  it('clips heading paths and keeps ordinary values exactly', () => {
    const long = boundChunk(chunk({ headingPath: 'A > '.repeat(1000) }));
    assert.equal(long.headingPath!.length, MAX_HEADING_PATH);
    const plain = chunk({ symbol: 'PebbleStore.evictIfNeeded', headingPath: 'Install > Linux', defines: ['evictIfNeeded'] });
    assert.deepEqual(boundChunk(plain), plain);
  });

  it('never splits a surrogate pair when clipping', () => {
    assert.equal(clip('😀😀😀', 3), '😀…');
  });

  it('hashes key parts beyond the index key limit and keeps short ones readable', () => {
    assert.equal(keyPart('src/a.ts'), 'src/a.ts');
    const long = keyPart('é'.repeat(5000));
    assert.match(long, /^sha256:[0-9a-f]{64}$/);
    assert.equal(keyPart('é'.repeat(5000)), long, 'deterministic');
  });

  it('drops link targets that cannot be workspace paths', () => {
    assert.deepEqual(boundLinks([{ target: 'docs/a.md', kind: 'link' }, { target: 'x'.repeat(5000), kind: 'link' }]), [{ target: 'docs/a.md', kind: 'link' }]);
  });
});
