import '../../shim/register';
import type { EngineConfig } from '../../../src/core/config';
import { strict as assert } from 'node:assert';
import type { IndexProgress } from '../../../src/core/indexer';
import { isIndexRelevant, percentOf, progressMessage } from '../../../src/extension/indexing';
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

  it('starts no run for the files a settings change writes: a colour theme is no reason to index', () => {
    assert.equal(isIndexRelevant({ scheme: 'file', path: '/w/.vscode/settings.json' }), false);
    assert.equal(isIndexRelevant({ scheme: 'file', path: '/w/project.code-workspace' }), false);
    assert.equal(isIndexRelevant({ scheme: 'file', path: '/w/.vscode' }), false, 'the folder the first workspace setting creates');
    // Other files of those folders and names still count.
    assert.equal(isIndexRelevant({ scheme: 'file', path: '/w/.vscode/launch.json' }), true);
    assert.equal(isIndexRelevant({ scheme: 'file', path: '/w/config/settings.json' }), true);
  });

});
