// An answer while the workspace is partly embedded (keyword-first indexing): still hybrid retrieval, with the vector
// leg over the embedded chunks, and it says how much is embedded; nothing is said once everything is, or without
// embeddings at all.
import { strict as assert } from 'node:assert';
import { retrievalSchema } from '../../src/core/config';
import type { Embedder } from '../../src/core/embed';
import { Retriever } from '../../src/core/retrieve';
import { Asker, partlyEmbeddedNote } from '../../src/core/answer';
import type { EmbeddingBacklog } from '../../src/core/ports';
import { MemorySearchIndex } from '../fakes/memorySearchIndex';

const WS = 'ws-partly';

describe('answers of a partly embedded workspace', () => {
  const setUp = () => {
    const index = new MemorySearchIndex();
    // One chunk has its vector, the other is written without one yet (found by keywords only).
    index.addFile(WS, [{ path: 'docs/snapshots.md', startLine: 1, text: 'Snapshots are written to disk every minute.', embedding: [1, 0, 0] }]);
    index.addFile(WS, [{ path: 'docs/compaction.md', startLine: 1, text: 'Compaction drops expired keys from snapshots once a day.' }]);
    const embedder: Pick<Embedder, 'embed'> = { embed: async (inputs) => ({ vectors: inputs.map(() => Float32Array.from([1, 0, 0])), tokens: 1, truncated: 0 }) };
    return { index, embedder };
  };
  const asked: string[] = [];
  const backlog = (b: EmbeddingBacklog) => async (id: string) => (asked.push(id), b);

  it('is hybrid, finds the embedded chunk by vector and the other by keywords, and says the share embedded', async () => {
    const { index, embedder } = setUp();
    const progress: string[] = [];
    const answer = await new Asker(new Retriever(index, embedder, retrievalSchema.parse({})), undefined, undefined, backlog({ chunks: 2, unembedded: 1 })).ask(
      WS,
      'When does compaction drop snapshots?',
      { onProgress: (p) => p.kind === 'fallback' && progress.push(p.message) },
    );
    assert.equal(answer.retrievalMode, 'hybrid');
    assert.deepEqual(answer.embedding, { chunks: 2, embedded: 1 });
    const note = 'Embedding 50%: the vector search covered the 1 of 2 chunks embedded so far; full-text and graph search covered every chunk.';
    assert.ok(answer.notices.includes(note), answer.notices.join(' | '));
    assert.deepEqual(progress, [note], 'the chat hears of it before the answer ends');
    const byPath = new Map(answer.sources.map((s) => [s.path, s.via]));
    assert.ok(byPath.get('docs/snapshots.md')?.includes('vector'));
    assert.ok(byPath.get('docs/compaction.md')?.includes('fulltext'));
    assert.ok(!byPath.get('docs/compaction.md')?.includes('vector'));
    assert.deepEqual(asked.slice(-1), [WS]);
  });

  it('says nothing once every chunk is embedded, nor keyword-only, nor when the count fails', async () => {
    const { index, embedder } = setUp();
    const complete = await new Asker(new Retriever(index, embedder, retrievalSchema.parse({})), undefined, undefined, backlog({ chunks: 2, unembedded: 0 })).ask(WS, 'snapshots');
    assert.equal(complete.embedding, undefined);
    assert.ok(!complete.notices.some((n) => n.startsWith('Embedding')));
    const keywordOnly = await new Asker(new Retriever(index, undefined, retrievalSchema.parse({})), undefined, undefined, backlog({ chunks: 2, unembedded: 1 })).ask(WS, 'snapshots');
    assert.equal(keywordOnly.retrievalMode, 'keyword-only');
    assert.equal(keywordOnly.embedding, undefined, 'keyword-only retrieval has no vector leg to be partial');
    const failing = await new Asker(new Retriever(index, embedder, retrievalSchema.parse({})), undefined, undefined, async () => {
      throw new Error('Neo4j went away');
    }).ask(WS, 'snapshots');
    assert.equal(failing.embedding, undefined);
    assert.ok(failing.sources.length > 0, 'a failed count only leaves the answer unlabelled');
  });

  it('never says 100% while a chunk is missing, and counts with separators', () => {
    assert.match(partlyEmbeddedNote({ chunks: 53_415, embedded: 53_414 }), /^Embedding 99%: the vector search covered the 53,414 of 53,415 chunks/);
  });
});
