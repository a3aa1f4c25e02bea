// A save during a long first index: once every file is written and the run only fills in vectors, a new request takes
// the embedding over (the running run ends, the next one starts at once), instead of waiting for the last vector.
import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { EngineConfig } from '../../../src/core/config';
import type { Engine } from '../../../src/core/engine';
import type { IndexOptions, IndexPhase, IndexReport } from '../../../src/core/indexer';
import type { EngineHost } from '../../../src/extension/engineHost';
import { IndexingService } from '../../../src/extension/indexing';
import { Log } from '../../../src/extension/log';
import type { IndexState, IndexStatusBar } from '../../../src/extension/statusBar';

const report = (unembedded: number): IndexReport => ({
  workspaceId: 'w', mode: 'embeddings', files: { discovered: 3, changed: 3, unchanged: 0, deleted: 0, skipped: 0, notUpdated: 0, notIndexed: 0 },
  skippedByReason: {}, skipped: [], chunks: { written: 30, embedded: 30 - unembedded, reused: 0 }, unembedded,
  ...(unembedded ? { coverage: { chunks: 30, embedded: 30 - unembedded } } : {}),
  tokens: 0, estimatedCost: 0, cancelled: false, failures: [], durationMs: 5,
});

/** A first index that writes its files, then embeds until it is handed over (or told it is done). */
function setup() {
  const runs: IndexOptions[] = [];
  const states: IndexState[] = [];
  let finishEmbedding!: () => void;
  const embeddingDone = new Promise<void>((resolve) => (finishEmbedding = resolve));
  const progress = (o: IndexOptions, phase: IndexPhase) => o.onProgress?.({ phase, filesTotal: 3, filesDone: 3, chunksDone: 30, tokens: 0 });
  const engine = {
    capabilities: { embeddings: true, generation: false },
    index: async (_ws: unknown, o: IndexOptions) => {
      runs.push(o);
      if (runs.length > 1) return report(0); // the next run: the rest of the embedding
      progress(o, 'indexing');
      await writing;
      progress(o, 'embedding');
      const handedOver = o.handOver?.aborted ? Promise.resolve() : new Promise<void>((resolve) => o.handOver?.addEventListener('abort', () => resolve(), { once: true }));
      await Promise.race([handedOver, embeddingDone]);
      return report(o.handOver?.aborted ? 12 : 0);
    },
    status: async () => ({ files: 3, chunks: 30, embedded: 30, symbols: 0, links: 0, lastIndexedAt: undefined, skippedByReason: {}, skipped: [] }),
    pendingChanges: async () => 0,
  } as unknown as Engine;
  let filesWritten!: () => void;
  const writing = new Promise<void>((resolve) => (filesWritten = resolve));
  const config = { neo4j: { uri: 'neo4j://x', database: 'neo4j' }, indexing: {}, retrieval: {}, embedding: { pricePerMillionTokens: 0.02 } } as unknown as EngineConfig;
  const host = { use: (work: (o: { engine: Engine; config: EngineConfig }) => Promise<unknown>) => work({ engine, config }) } as unknown as EngineHost;
  const channel = Object.fromEntries(['trace', 'debug', 'info', 'warn', 'error'].map((l) => [l, () => undefined]));
  const service = new IndexingService({
    host,
    log: new Log(channel as unknown as vscode.LogOutputChannel, (t) => t),
    redact: (t) => t,
    statusBar: { set: (s: IndexState) => void states.push(s), get state() { return states.at(-1) ?? { kind: 'unknown' }; } } as unknown as IndexStatusBar,
    workspace: () => ({ id: 'w', name: 'w', roots: [{ name: 'w', path: '/w' }] }),
    autoUpdate: () => true,
    showError: () => undefined,
  });
  const filesChanged = () => (service as unknown as { onFilesChanged(): void }).onFilesChanged();
  const idle = () => (service as unknown as { queue: { idle(): Promise<void> } }).queue.idle();
  return { service, runs, states, filesChanged, idle, filesWritten, finishEmbedding };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('IndexingService: a save during a long first index', () => {
  it('takes the embedding over once every file is written: the first run ends, the next starts at once', async () => {
    const s = setup();
    const first = s.service.index(false);
    await tick();
    s.filesWritten();
    await tick();
    assert.equal(s.runs[0].handOver?.aborted, false);
    s.filesChanged(); // a save while the vectors fill in
    await first;
    await s.idle();
    assert.equal(s.runs[0].handOver?.aborted, true, 'the running run was asked to hand over');
    assert.equal(s.runs.length, 2, 'and the save ran without waiting for the last vector');
    assert.ok(s.states.some((st) => st.kind === 'partly-embedded' && st.percent === 60), JSON.stringify(s.states));
    assert.equal(s.states.at(-1)!.kind, 'up-to-date');
    s.service.dispose();
  });

  it('a save that came while the files were still being written takes over when the embedding starts', async () => {
    const s = setup();
    const first = s.service.index(false);
    await tick();
    s.filesChanged(); // queued behind the run, which is still writing files
    await tick();
    assert.equal(s.runs[0].handOver?.aborted, false, 'the files are written first');
    s.filesWritten();
    await first;
    await s.idle();
    assert.equal(s.runs[0].handOver?.aborted, true);
    assert.equal(s.runs.length, 2);
    s.service.dispose();
  });

  it('without a new request the run embeds to its end', async () => {
    const s = setup();
    const first = s.service.index(false);
    await tick();
    s.filesWritten();
    await tick();
    s.finishEmbedding();
    await first;
    assert.equal(s.runs[0].handOver?.aborted, false);
    assert.equal(s.runs.length, 1);
    assert.equal(s.states.at(-1)!.kind, 'up-to-date');
    s.service.dispose();
  });
});
