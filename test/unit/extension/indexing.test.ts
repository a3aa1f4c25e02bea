import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { indexingSchema, type EngineConfig } from '../../../src/core/config';
import type { Engine } from '../../../src/core/engine';
import type { IndexProgress } from '../../../src/core/indexer';
import { nodeFileSystem } from '../../../src/core/node-fs';
import type { FileState } from '../../../src/core/store';
import { isIndexRelevant, pendingChanges, percentOf, progressMessage } from '../../../src/extension/indexing';
import { presentState } from '../../../src/extension/statusBar';

const progress = (p: Partial<IndexProgress>): IndexProgress => ({ phase: 'indexing', filesTotal: 0, filesDone: 0, chunksDone: 0, tokens: 0, ...p });

describe('extension indexing helpers', () => {
  it('reports progress as files, chunks, tokens and estimated cost', () => {
    const config = { embedding: { pricePerMillionTokens: 0.02 } } as EngineConfig;
    assert.equal(progressMessage(progress({ filesDone: 3, filesTotal: 10, chunksDone: 12, tokens: 500_000 }), config), '3/10 files · 12 chunks · 500000 tokens · ~$0.01');
    assert.equal(percentOf(progress({ filesDone: 3, filesTotal: 10 })), 30);
    assert.equal(percentOf(progress({ phase: 'discovering' })), 0);
    assert.equal(percentOf(progress({ phase: 'done' })), 100);
  });

  it('shows the four status bar states', () => {
    assert.match(presentState({ kind: 'not-indexed' }).text, /not indexed/);
    assert.match(presentState({ kind: 'indexing', percent: 42 }).text, /indexing 42%/);
    assert.match(presentState({ kind: 'up-to-date', files: 3 }).text, /up to date/);
    assert.match(presentState({ kind: 'changed', files: 1 }).text, /1 file changed/);
    assert.match(presentState({ kind: 'changed', files: 4 }).text, /4 files changed/);
  });

  it('ignores changes inside .git and node_modules', () => {
    assert.equal(isIndexRelevant({ scheme: 'file', path: '/w/docs/a.md' }), true);
    assert.equal(isIndexRelevant({ scheme: 'file', path: '/w/.git/index' }), false);
    assert.equal(isIndexRelevant({ scheme: 'file', path: '/w/node_modules/x/a.js' }), false);
    assert.equal(isIndexRelevant({ scheme: 'git', path: '/w/docs/a.md' }), false);
  });

  it('counts new, changed and deleted files against the stored states', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rag-pending-'));
    try {
      for (const name of ['same.md', 'edited.md', 'new.md']) fs.writeFileSync(path.join(root, name), `# ${name}\n`);
      const stat = (name: string) => fs.statSync(path.join(root, name));
      const chunkerKey = 'k1';
      const state = (name: string, delta = 0): FileState => ({ fileHash: 'h', size: stat(name).size + delta, mtimeMs: stat(name).mtimeMs, chunkerKey });
      const stored = new Map<string, FileState>([
        ['same.md', state('same.md')],
        ['edited.md', state('edited.md', 1)],
        ['deleted.md', { fileHash: 'h', size: 1, mtimeMs: 1, chunkerKey }],
      ]);
      const engine = { store: { fileStates: async () => new Map(stored) }, indexer: { chunkerKey } } as unknown as Engine;
      const ws = { id: 'w', name: 'w', roots: [{ name: 'w', path: root }] };
      const config = { indexing: indexingSchema.parse({}) } as EngineConfig;
      assert.equal(await pendingChanges(engine, config, ws, nodeFileSystem), 3, 'edited + new + deleted');
      const rechunk = { ...engine, indexer: { chunkerKey: 'k2' } } as unknown as Engine;
      assert.equal(await pendingChanges(rechunk, config, ws, nodeFileSystem), 4, 'new chunking settings touch every file');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
