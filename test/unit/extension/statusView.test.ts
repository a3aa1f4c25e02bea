import '../../shim/register';
import { strict as assert } from 'node:assert';
import type { IndexSummary } from '../../../src/extension/indexing';
import { renderStatus } from '../../../src/extension/statusView';

const summary = (over: Partial<IndexSummary> = {}): IndexSummary => ({
  workspace: '/home/me/project',
  files: 120,
  chunks: 900,
  embedded: 850,
  symbols: 300,
  links: 40,
  lastIndexedAt: '2026-12-01T10:00:00Z',
  skippedByReason: { secret: 1, minified: 2, 'index-failed': 1 },
  skipped: [
    { path: '.env', reason: 'secret', detail: 'name matches .env*' },
    { path: 'dist/app.min.js', reason: 'minified' },
    { path: 'web/`odd`\nname.js', reason: 'minified' },
    { path: 'lib/stream.js', reason: 'index-failed', detail: 'Neo4j refused lib/stream.js' },
  ],
  changedFiles: 0,
  failedFiles: ['lib/stream.js'],
  keywordOnly: false,
  retrievalOnly: true,
  endpoints: { neo4j: 'neo4j://127.0.0.1:7687 (database neo4j)', embeddings: 'https://r.openai.azure.com (deployment e3, 1536 dimensions)' },
  ...over,
});

describe('Show Index Status view', () => {
  it('lists counts, modes, endpoints and every skipped file under its reason', () => {
    const text = renderStatus(summary({ embedded: 900 }));
    for (const needle of ['| files | 120 |', '| chunks | 900 (900 with embeddings) |', '| symbols | 300 |', '| links between files | 40 |', 'retrieval-only (no BitNet endpoint)', 'neo4j://127.0.0.1:7687', '### secret (1)', '### minified (2)', '`` web/`odd` name.js ``']) {
      assert.ok(text.includes(needle), `missing ${needle}\n${text}`);
    }
    assert.match(text, /## Not indexed \(they keep their previous version\)\n\n- ` lib\/stream\.js ` — ` Neo4j refused lib\/stream\.js `/);
    assert.doesNotMatch(text, /2026-12-01T10:00:00Z/, 'a readable date, not an ISO timestamp');
  });

  it('says how each endpoint is signed in to: an API key, or Microsoft Entra ID and its tenant', () => {
    const keyless = renderStatus(summary({ signIn: { embeddings: 'Microsoft Entra ID (tenant contoso.onmicrosoft.com)', chat: 'Microsoft Entra ID (tenant contoso.onmicrosoft.com)' } }));
    assert.match(keyless, /\| embeddings sign-in \| Microsoft Entra ID \(tenant contoso\.onmicrosoft\.com\) \|/);
    assert.match(keyless, /\| BitNet sign-in \| Microsoft Entra ID/);
    assert.match(renderStatus(summary({ signIn: { embeddings: 'API key' } })), /\| embeddings sign-in \| API key \|/);
    assert.doesNotMatch(renderStatus(summary()), /sign-in/, 'nothing configured, nothing said');
  });

  it('says how much is embedded while some chunks wait for their vectors, except keyword-only', () => {
    const partly = renderStatus(summary({ failedFiles: [] }));
    assert.match(partly, /^# Workspace RAG: embedded 94%$/m);
    assert.ok(partly.includes('| chunks | 900 (850 with embeddings: embedding 94%, full-text and graph search find the rest meanwhile) |'), partly);
    assert.match(renderStatus(summary({ embedded: 900 })), /^# Workspace RAG: up to date$/m);
    assert.match(renderStatus(summary({ embedded: 0, keywordOnly: true })), /^# Workspace RAG: up to date$/m);
    assert.ok(renderStatus(summary({ embedded: 899 })).includes('embedding 99%'), 'never 100% while one is missing');
  });

  it('says how many more there are when a reason has more files than it lists', () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ path: `gen/f${i}.js`, reason: 'minified' as const }));
    const text = renderStatus(summary({ skippedByReason: { minified: 80 }, skipped: many, failedFiles: [] }));
    assert.match(text, /- … and 30 more/);
  });
});
