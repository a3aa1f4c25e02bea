// The extension's indexing service with a fake engine: a run that fails as a whole pauses automatic updates (no run
// at every save, each paying for the work before the failure) until a command or a settings change, and files that
// could not be indexed are named once per set, in the status bar and a notification.
import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { EngineConfig } from '../../../src/core/config';
import type { Engine } from '../../../src/core/engine';
import type { IndexReport } from '../../../src/core/indexer';
import { StoreUnavailableError } from '../../../src/core/store';
import type { EngineHost } from '../../../src/extension/engineHost';
import { IndexingService } from '../../../src/extension/indexing';
import { Log } from '../../../src/extension/log';
import type { IndexState, IndexStatusBar } from '../../../src/extension/statusBar';

const recorded = (vscode as unknown as { recorded: { messages: Array<{ level: string; text: string }> } }).recorded;

const report = (failures: IndexReport['failures'] = []): IndexReport => ({
  workspaceId: 'w', mode: 'keyword-only', files: { discovered: 3, changed: 3 - failures.length, unchanged: 0, deleted: 0, skipped: failures.length, notUpdated: 0, notIndexed: 0 },
  skippedByReason: {}, skipped: [], chunks: { written: 3, embedded: 0, reused: 0 }, unembedded: 0, tokens: 0, estimatedCost: 0, cancelled: false, failures, durationMs: 5,
});

function setup(index: () => Promise<IndexReport>, settleMs?: number) {
  let runs = 0;
  let statusCalls = 0;
  const errors: string[] = [];
  let state: IndexState = { kind: 'unknown' };
  const engine = {
    capabilities: { embeddings: false, generation: false },
    index: async () => (runs++, index()),
    status: async () => (statusCalls++, { files: 3, chunks: 3, embedded: 0, symbols: 0, links: 0, lastIndexedAt: undefined, skippedByReason: {}, skipped: [] }),
    pendingChanges: async () => 0,
    clear: async () => undefined,
  } as unknown as Engine;
  const config = { neo4j: { uri: 'neo4j://x', database: 'neo4j' }, indexing: {}, retrieval: {} } as unknown as EngineConfig;
  const host = { use: (work: (o: { engine: Engine; config: EngineConfig }) => Promise<unknown>) => work({ engine, config }) } as unknown as EngineHost;
  const channel = Object.fromEntries(['trace', 'debug', 'info', 'warn', 'error'].map((l) => [l, () => undefined]));
  const service = new IndexingService({
    host,
    log: new Log(channel as unknown as vscode.LogOutputChannel, (t) => t),
    redact: (t) => t,
    statusBar: { set: (s: IndexState) => (state = s), get state() { return state; } } as unknown as IndexStatusBar,
    workspace: () => ({ id: 'w', name: 'w', roots: [{ name: 'w', path: '/w' }] }),
    autoUpdate: () => true,
    showError: (e) => void errors.push(e.message),
    settleMs,
  });
  // What the debounced watcher calls after a burst of file events.
  const filesChanged = async () => {
    (service as unknown as { onFilesChanged(): void }).onFilesChanged();
    await (service as unknown as { queue: { idle(): Promise<void> } }).queue.idle();
  };
  return { service, filesChanged, runs: () => runs, errors, state: () => state, statusCalls: () => statusCalls };
}

describe('IndexingService (fake engine)', () => {
  beforeEach(() => (recorded.messages.length = 0));

  it('pauses automatic updates after a failed run, says so once, and resumes after a settings change or a command', async () => {
    const s = setup(async () => {
      throw new StoreUnavailableError('unreachable', 'Neo4j is not reachable at neo4j://x');
    });
    await s.filesChanged();
    assert.equal(s.runs(), 1);
    assert.equal(s.state().kind, 'unavailable');
    for (let i = 0; i < 5; i++) await s.filesChanged();
    assert.equal(s.runs(), 1, 'saves do not retry the failed run');
    assert.equal(s.errors.length, 1, 'the failure is reported once');
    await s.service.settingsChanged();
    await s.filesChanged();
    assert.equal(s.runs(), 2, 'a settings change lets the next file change try again');
    await s.service.index(false);
    assert.equal(s.runs(), 3, 'a command always runs');
    s.service.dispose();
  });

  it('names the files it could not index in the status bar, and notifies once per set of files', async () => {
    let failures = [{ path: 'lib/stream.js', message: 'Neo4j refused lib/stream.js' }];
    const s = setup(async () => report(failures));
    await s.filesChanged();
    assert.deepEqual(s.state(), { kind: 'failed', files: ['lib/stream.js'] });
    await s.filesChanged();
    const warnings = () => recorded.messages.filter((m) => m.level === 'warning');
    assert.equal(warnings().length, 1);
    assert.match(warnings()[0].text, /Could not index lib\/stream\.js; they keep their previous version/);
    failures = [...failures, { path: 'b.ts', message: 'the chunker failed' }];
    await s.filesChanged();
    assert.equal(warnings().length, 2, 'a new set of failing files is said again');
    failures = [];
    await s.filesChanged();
    assert.equal(s.state().kind, 'up-to-date');
    s.service.dispose();
  });

  it('checks settings once they stop changing: typing an endpoint is not a status check (and an error) per keystroke', async () => {
    const s = setup(async () => report(), 40);
    for (let i = 0; i < 5; i++) {
      s.service.settingsChangedSoon();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(s.statusCalls(), 0, 'nothing while the value keeps changing');
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(s.statusCalls(), 1);
    assert.equal(s.runs(), 0, 'a settings change is no index run');
    s.service.dispose();
  });

  it('confirms what Clear Index removed', async () => {
    const s = setup(async () => report());
    assert.equal(await s.service.clear('workspace'), true);
    assert.deepEqual(recorded.messages.filter((m) => m.level === 'info').map((m) => m.text), ['Workspace RAG: Cleared the index of /w: 3 files, 3 chunks and 0 symbols removed from Neo4j.']);
    assert.equal(s.state().kind, 'not-indexed');
    s.service.dispose();
  });
});
