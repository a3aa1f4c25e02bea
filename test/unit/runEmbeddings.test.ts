// One indexing run's embeddings (src/core/indexer/embeddings.ts) against the local Azure embeddings server: a text
// the run has received a vector for is never bought again, whatever a caller decided across an await.
import assert from 'node:assert/strict';
import { embeddingSchema } from '../../src/core/config';
import { Embedder } from '../../src/core/embed';
import { RunEmbeddings, type EmbeddingCounts } from '../../src/core/indexer/embeddings';
import { VectorCache } from '../../src/core/indexer/vectorCache';
import type { ChunkToEmbed, FileWrite } from '../../src/core/ports';
import type { StoredChunk } from '../../src/core/types';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';

const KEY = 'run-embeddings-test-key-0123';

describe('RunEmbeddings', function () {
  this.timeout(20_000);
  let server: EmbeddingServer;
  before(async () => (server = await startEmbeddingServer({ apiKey: KEY })));
  after(() => server.close());

  const chunk = (key: string, text: string): ChunkToEmbed => ({ id: `id-${key}`, embedKey: key, tokens: 3, text });
  const served = () => server.requests.flatMap((r, i) => (server.statuses[i] === 200 ? (r.body as { input: string[] }).input : []));

  it('reads back a text whose call ended and whose batch was written while a caller looked it up, instead of paying again', async () => {
    const embedder = new Embedder(embeddingSchema.parse({ endpoint: server.url, apiKey: KEY, deployment: 'text-embedding-3-small', dimensions: 256 }));
    const written = new Map<string, Float32Array>();
    let releaseLookUp!: () => void;
    const lookUpHeld = new Promise<void>((resolve) => (releaseLookUp = resolve));
    let lookUps = 0;
    const store = {
      async cachedEmbeddings(keys: string[]): Promise<Map<string, Float32Array>> {
        // The second caller's look-up (the first that happens while `first` is in flight) is held until that call
        // has ended and its batch has been written.
        if (++lookUps === 1) await lookUpHeld;
        return new Map(keys.filter((k) => written.has(k)).map((k) => [k, written.get(k)!]));
      },
    };
    const unwritten = new VectorCache();
    const counts: EmbeddingCounts = { tokens: 0, chunks: { embedded: 0, reused: 0 } };
    const run = new RunEmbeddings(embedder, store, unwritten, counts, { stop: new AbortController().signal, bytesToRead: 0 });
    const first = chunk('k-first', 'snapshots are written atomically');
    const other = chunk('k-other', 'eviction keeps the memory cap');
    const batch: FileWrite[] = [{ file: { path: 'a.md' } as FileWrite['file'], chunks: [{ ...first, embedding: null } as unknown as StoredChunk] }];

    const ahead = run.ahead(batch, 10_000); // `first` is in flight from here on
    const found = new Map<string, Float32Array>();
    const later = run.vectorsFor([first, other], found); // looks up `other` only: `first` is in flight
    await ahead;
    // The first batch is written with its vector, which leaves the unwritten cache for the store.
    written.set(first.embedKey, batch[0].chunks[0].embedding as Float32Array);
    unwritten.delete(first.embedKey);
    releaseLookUp();
    await later;

    assert.deepEqual(served().sort(), [first.text, other.text].sort(), 'each text bought once');
    assert.deepEqual([...found.keys()].sort(), [first.embedKey, other.embedKey].sort());
    assert.deepEqual(Array.from(found.get(first.embedKey)!), Array.from(written.get(first.embedKey)!));
    assert.equal(counts.chunks.embedded, 2);
  });
});
