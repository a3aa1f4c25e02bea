import { strict as assert } from 'node:assert';
import type { IndexReport } from '../../src/core/indexer';
import { formatReport } from '../../src/cli/format';

const report = (over: Partial<IndexReport> = {}, files: Partial<IndexReport['files']> = {}): IndexReport => ({
  workspaceId: 'w', mode: 'embeddings',
  files: { discovered: 300, changed: 0, unchanged: 0, deleted: 0, skipped: 0, notUpdated: 0, notIndexed: 0, ...files },
  skippedByReason: {}, skipped: [], chunks: { written: 0, embedded: 0, reused: 0 }, unembedded: 0, tokens: 0, estimatedCost: 0, cancelled: false, failures: [], durationMs: 1200,
  ...over,
});

describe('CLI index report wording', () => {
  it('a run that stopped says so first, and never claims "Indexed 300 files"', () => {
    const text = formatReport(report({ error: { message: 'Neo4j is not reachable at neo4j://db', cause: undefined } }, { notIndexed: 300 }));
    assert.match(text, /^Stopped after 1\.2 s \(embeddings\), 300 files found: 0 updated/);
    assert.doesNotMatch(text, /Indexed 300 files/);
    assert.match(text, /300 new file\(s\) are not indexed yet\./);
    assert.doesNotMatch(text, /previous version/, 'new files have no previous version to keep');
  });

  it('"keep their previous version" is said only of changed files that had one', () => {
    const text = formatReport(report({ error: { message: 'cancelled', cause: undefined } }, { changed: 10, notUpdated: 4, notIndexed: 2 }));
    assert.match(text, /4 changed file\(s\) keep their previous version\./);
    assert.match(text, /2 new file\(s\) are not indexed yet\./);
  });

  it('a complete run begins with what it indexed', () => {
    assert.match(formatReport(report({}, { changed: 300 })), /^Indexed 300 files in 1\.2 s \(embeddings\): 300 updated, 0 unchanged, 0 removed\./);
  });
});
