// The retriever's rules (fusion, symbol leg, graph expansion, range merging, packing, isolation) against the
// in-memory SearchIndex: no Neo4j needed, so each rule is pinned by a small, exact case.
import { strict as assert } from 'node:assert';
import { retrievalSchema } from '../../src/core/config';
import type { Embedder } from '../../src/core/embed';
import { sourceTokens } from '../../src/core/generate';
import { Retriever } from '../../src/core/retrieve';
import { MemorySearchIndex } from '../fakes/memorySearchIndex';

const WS = 'ws-a';
const config = retrievalSchema.parse({});

/** Embeds by a fixed table of question → vector, so the vector leg's ranking is chosen by the test. */
const fakeEmbedder = (table: Record<string, number[]>): Pick<Embedder, 'embed'> => ({
  embed: async (inputs) => ({ vectors: inputs.map((t) => Float32Array.from(table[t] ?? [0, 0, 1])), tokens: inputs.length, truncated: 0 }),
});

const lines = (from: number, n: number, word: string) => Array.from({ length: n }, (_, i) => `${word} line ${from + i}`).join('\n');

describe('Retriever (in-memory search index)', () => {
  it('keyword-only: runs no vector leg and answers from full-text', async () => {
    const index = new MemorySearchIndex();
    index.addFile(WS, [{ path: 'docs/snapshots.md', startLine: 1, text: 'Snapshots are written to disk every minute.' }]);
    index.addFile(WS, [{ path: 'docs/other.md', startLine: 1, text: 'Nothing relevant here.' }]);
    const r = await new Retriever(index, undefined, config).retrieve(WS, 'How often are snapshots written?', 3000);
    assert.equal(r.mode, 'keyword-only');
    assert.ok(!index.calls.some((c) => c.leg === 'vectorSearch'));
    assert.equal(r.sources[0].path, 'docs/snapshots.md');
    assert.deepEqual(r.sources[0].via, ['fulltext']);
  });

  it('fuses the legs by rank: a chunk both legs find beats the top of either', async () => {
    const index = new MemorySearchIndex();
    index.addFile(WS, [{ path: 'a.md', startLine: 1, text: 'alpha unrelated words', embedding: [1, 0, 0] }]);
    index.addFile(WS, [{ path: 'b.md', startLine: 1, text: 'cache eviction policy' }]); // not embedded yet
    index.addFile(WS, [{ path: 'c.md', startLine: 1, text: 'cache eviction and limits', embedding: [0.9, 0.1, 0] }]);
    const embedder = fakeEmbedder({ 'cache eviction policy?': [1, 0, 0] });
    const r = await new Retriever(index, embedder, config).retrieve(WS, 'cache eviction policy?', 3000);
    assert.equal(r.mode, 'hybrid');
    // vector ranks a, c; full-text ranks b, c: c is second in both and beats either leg's first.
    assert.equal(r.sources[0].path, 'c.md');
    assert.deepEqual([...r.sources[0].via].sort(), ['fulltext', 'vector']);
  });

  it('a symbol named in the question brings its definition to the top', async () => {
    const index = new MemorySearchIndex();
    for (let i = 0; i < 5; i++) index.addFile(WS, [{ path: `noise${i}.ts`, startLine: 1, text: 'evict if needed evict needed memory' }]);
    index.addFile(WS, [{ path: 'store.ts', startLine: 40, text: 'function evictIfNeeded() {\n  return drop();\n}', defines: ['evictIfNeeded'] }]);
    const r = await new Retriever(index, undefined, config).retrieve(WS, 'What does `evictIfNeeded` do with memory?', 3000);
    assert.equal(r.sources[0].path, 'store.ts');
    assert.ok(r.sources[0].via.includes('symbol'));
  });

  it('adds the neighbours of a strong hit as context and merges touching ranges into one source with no line twice', async () => {
    const index = new MemorySearchIndex();
    index.addFile(WS, [
      { path: 'guide.md', startLine: 1, text: lines(1, 5, 'intro') },
      { path: 'guide.md', startLine: 6, text: lines(6, 5, 'install pebble on linux') },
      { path: 'guide.md', startLine: 11, text: lines(11, 5, 'next steps') },
      { path: 'guide.md', startLine: 16, text: lines(16, 5, 'far away appendix') },
    ]);
    const r = await new Retriever(index, undefined, config).retrieve(WS, 'install pebble linux', 3000);
    const guide = r.sources.filter((s) => s.path === 'guide.md');
    assert.equal(guide.length, 1, 'one source for the run of chunks');
    assert.equal(guide[0].startLine, 1);
    assert.equal(guide[0].endLine, 15, 'the hit and its two neighbours, not the appendix');
    assert.equal(guide[0].text.split('\n').length, 15);
    assert.equal(guide[0].text.split('\n')[5], 'install pebble on linux line 6', 'each line at its own line number');
    assert.ok(guide[0].via.includes('neighbour') && guide[0].via.includes('fulltext'));
  });

  it('never lets expansion boost a hit that a search leg already found', async () => {
    const index = new MemorySearchIndex();
    index.addFile(WS, [
      { path: 'a.ts', startLine: 1, text: 'token bucket refill' },
      { path: 'a.ts', startLine: 50, text: 'token bucket' },
    ]);
    index.addFile(WS, [{ path: 'b.ts', startLine: 1, text: 'token bucket refill rate' }]);
    const r = await new Retriever(index, undefined, config).retrieve(WS, 'token bucket refill rate', 3000);
    // b.ts matches four words; a.ts#0 three and its neighbour a.ts#1 two: adjacency must not lift a.ts above b.ts.
    assert.equal(r.sources[0].path, 'b.ts');
  });

  it('adds the files the best hits link to, ranked below what led to them', async () => {
    const index = new MemorySearchIndex();
    index.addFile(WS, [{ path: 'docs/index.md', startLine: 1, text: 'rate limiting overview' }], ['docs/limits.md']);
    index.addFile(WS, [{ path: 'docs/limits.md', startLine: 1, text: 'the numbers themselves' }]);
    const r = await new Retriever(index, undefined, config).retrieve(WS, 'rate limiting overview', 3000);
    assert.deepEqual(r.sources.map((s) => s.path), ['docs/index.md', 'docs/limits.md']);
    assert.deepEqual(r.sources[1].via, ['link']);
    assert.ok(r.sources[1].score < r.sources[0].score);
  });

  it('packs within the budget and numbers the sources from 1', async () => {
    const index = new MemorySearchIndex();
    for (let i = 0; i < 6; i++) index.addFile(WS, [{ path: `f${i}.md`, startLine: 1, text: lines(1, 30, `quota window ${i}`) }]);
    const one = sourceTokens({ n: 1, path: 'f0.md', language: 'markdown', startLine: 1, endLine: 30, text: lines(1, 30, 'quota window 0') });
    const budget = Math.floor(one * 2.5);
    const r = await new Retriever(index, undefined, config).retrieve(WS, 'quota window', budget);
    assert.equal(r.sources.length, 2);
    assert.deepEqual(r.sources.map((s) => s.n), [1, 2]);
    assert.ok(r.usedTokens <= budget);
    assert.ok(r.candidates > r.sources.length, 'the sources left out are counted');
  });

  it("never returns another workspace's chunks, whatever they match", async () => {
    const index = new MemorySearchIndex();
    index.addFile('ws-b', [{ path: 'secret.md', startLine: 1, text: 'zebra migration runbook', embedding: [1, 0, 0], defines: ['zebraMigration'] }]);
    index.addFile(WS, [{ path: 'mine.md', startLine: 1, text: 'a runbook', embedding: [0, 1, 0] }]);
    const embedder = fakeEmbedder({ 'zebra migration runbook `zebraMigration`': [1, 0, 0] });
    const r = await new Retriever(index, embedder, config).retrieve(WS, 'zebra migration runbook `zebraMigration`', 3000);
    assert.deepEqual(r.sources.map((s) => s.path), ['mine.md']);
  });
});
