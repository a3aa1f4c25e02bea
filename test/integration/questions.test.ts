// Questions and vectors the engine must refuse or survive, against the real Neo4j and the local Azure and BitNet
// servers: a question of any length (Lucene's clause limit), an empty question, and an all-zero embedding at
// indexing and at question time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { chatSchema, embeddingSchema, indexingSchema, retrievalSchema, type EngineConfig } from '../../src/core/config';
import { EmbeddingError } from '../../src/core/embed';
import { openEngine, type Engine } from '../../src/core/engine';
import { nodeFileSystem } from '../../src/core/node-fs';
import { QuestionError, type Source } from '../../src/core/retrieve';
import { Neo4jStore } from '../../src/core/store';
import { FULLTEXT_FIELDS } from '../../src/core/store/lucene';
import { workspaceFor, type WorkspaceSpec } from '../../src/core/workspace';
import { startChatServer, type ChatServer } from '../servers/chat-completions';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { neo4jTestConfig, TEST_DIMENSIONS } from './neo4j-env';
import { copySample } from './workspace-fixture';

const EMBEDDING_KEY = 'fake-azure-key-for-question-tests';
const CHAT_KEY = 'fake-bitnet-key-for-question-tests';

/** `count` distinct made-up words of letters only (no digit, case or punctuation makes them look like code). */
function madeUpWords(count: number): string[] {
  const syllables = ['ba', 'ce', 'di', 'fo', 'gu', 'ha', 'je', 'ki', 'lo', 'mu', 'na', 'pe', 'ri', 'so', 'tu', 'va', 'we', 'xi', 'yo', 'zu'];
  return Array.from({ length: count }, (_, i) => syllables[i % 20] + syllables[Math.floor(i / 20) % 20] + syllables[Math.floor(i / 400) % 20]);
}

/** 189 distinct everyday words, one cl100k token each with their space: prose that costs about a token a word. */
const VOCABULARY = `garden river mountain window letter market winter summer morning evening kitchen village forest island bridge
  castle harbor meadow candle pencil blanket basket ladder mirror button pocket jacket carpet curtain hammer needle feather
  orange banana cherry lemon pepper butter cheese bread cookie coffee honey sugar salad tomato potato onion carrot engine
  rocket planet comet galaxy ocean desert valley canyon glacier volcano thunder rainbow shadow silver golden purple yellow
  violet crimson bright gentle quiet rapid hollow narrow steady humble clever brave proud calm fierce travel wander gather
  listen borrow follow answer wonder imagine whisper explore collect measure promise remember doctor farmer sailor painter
  singer dancer teacher pilot driver baker tailor hunter artist author banker lawyer animal rabbit turtle dragon falcon
  eagle tiger monkey donkey parrot salmon spider beetle insect kitten puppy horse circle square triangle corner middle
  border surface pattern picture portrait statue temple palace tower cottage ticket journey voyage season holiday festival
  concert theater museum library gallery stadium airport station problem question reason method result number figure
  detail moment minute second hour decade century history friend family mother father sister brother cousin neighbor
  stranger guest member leader captain partner rival`.split(/\s+/);
const proseWords = (count: number) => Array.from({ length: count }, (_, i) => VOCABULARY[i % VOCABULARY.length]);

describe('questions and vectors the engine refuses or survives (real Neo4j)', function () {
  this.timeout(120_000);
  const neo4jConfig = neo4jTestConfig();
  let embeddings: EmbeddingServer;
  let chat: ChatServer;
  let store: Neo4jStore;
  let driver: Driver;
  let dimensions = TEST_DIMENSIONS;
  const engines: Engine[] = [];
  const created: WorkspaceSpec[] = [];

  const config = (): EngineConfig => ({
    neo4j: neo4jConfig,
    embedding: embeddingSchema.parse({
      endpoint: embeddings.url,
      apiKey: EMBEDDING_KEY,
      deployment: 'text-embedding-3-small',
      dimensions,
      maxRetries: 1,
      timeoutMs: 5000,
    }),
    chat: chatSchema.parse({ endpoint: chat.azureEndpoint, apiKey: CHAT_KEY, authStyle: 'api-key', apiVersion: '2024-05-01-preview', timeoutMs: 5000 }),
    indexing: indexingSchema.parse({}),
    retrieval: retrievalSchema.parse({}),
  });
  const engine = async () => {
    const e = await openEngine(config(), nodeFileSystem);
    engines.push(e);
    return e;
  };
  const workspace = (dir: string) => {
    const ws = workspaceFor([{ name: path.basename(dir), path: dir }]);
    created.push(ws);
    return ws;
  };
  const count = async (cypher: string, params: Record<string, unknown>) =>
    Number((await driver.executeQuery(cypher, params, { database: neo4jConfig.database })).records[0].get('n'));

  before(async () => {
    embeddings = await startEmbeddingServer({ apiKey: EMBEDDING_KEY, dimensions: TEST_DIMENSIONS });
    chat = await startChatServer({ apiKey: CHAT_KEY, apiVersion: '2024-05-01-preview' });
    store = await Neo4jStore.connect(neo4jConfig);
    driver = neo4j.driver(neo4jConfig.uri, neo4j.auth.basic(neo4jConfig.username, neo4jConfig.password), { disableLosslessIntegers: true });
    // Never clears the database: another suite may be using it; embed at whatever size its vector index has.
    dimensions = (await store.vectorDimensions()) ?? TEST_DIMENSIONS;
  });

  after(async () => {
    for (const ws of created) await store?.clearWorkspace(ws.id).catch(() => undefined);
    for (const e of engines) await e.close().catch(() => undefined);
    await store?.close();
    await driver?.close();
    await embeddings?.close();
    await chat?.close();
  });

  describe('a question of any length', () => {
    let e: Engine;
    let ws: WorkspaceSpec;

    before(async () => {
      e = await engine();
      ws = workspace(await copySample('long-question'));
      assert.equal((await e.index(ws)).error, undefined);
    });

    it('the bound knows every field of the full-text index', async () => {
      const rows = await driver.executeQuery('SHOW FULLTEXT INDEXES YIELD name, properties WHERE name = "chunk_fulltext" RETURN properties', {}, { database: neo4jConfig.database });
      assert.deepEqual(rows.records[0].get('properties'), [...FULLTEXT_FIELDS]);
    });

    it('answers a 2,000-word question (more than Lucene allows as clauses) from the right file', async () => {
      // A pasted wall of notes with the real question inside: 2,000 words (about 2,000 tokens, so BitNet's 4096-token
      // context still has room for sources) of 190 distinct searchable ones; 205 searchable words were already too many.
      const words = proseWords(1990);
      words.splice(1000, 0, 'How', 'often', 'is', 'PEBBLE_SNAPSHOT_INTERVAL_SECONDS', 'applied', 'when', 'writing', 'snapshots', 'to', 'disk?');
      const question = words.join(' ');
      assert.equal(question.split(' ').length, 2000);
      const retrieved: Source[] = (await e.search(ws, question)).sources;
      const answer = await e.ask(ws, question);
      assert.equal(answer.mode, 'generated');
      // Retrieval finds it; how many sources the prompt then carries is the first-token budget's call (session.ts).
      assert.ok(
        retrieved.some((s) => s.path === 'docs/configuration.md' && s.text.includes('PEBBLE_SNAPSHOT_INTERVAL_SECONDS')),
        JSON.stringify(retrieved.map((s) => [s.path, s.via])),
      );
      assert.equal(answer.sources[0].path, 'docs/configuration.md');
    });

    it('finds the same file by keywords alone when every word is long and code-like', async () => {
      // 600 distinct snake_case words, each analysed into one token; the one that matters comes last.
      const question = [...madeUpWords(600).map((w) => `${w}_${w}`), 'PEBBLE_SNAPSHOT_INTERVAL_SECONDS'].join(' ');
      const retrieval = await e.search(ws, question, { budgetTokens: 3000 });
      assert.ok(retrieval.sources.some((s) => s.path === 'docs/configuration.md'), JSON.stringify(retrieval.sources.map((s) => s.path)));
    });

    it('a question too long for the model says so instead of "found nothing"', async () => {
      const question = proseWords(4000).join(' ');
      await assert.rejects(e.ask(ws, question), (err: unknown) => {
        assert.ok(err instanceof QuestionError, String(err));
        assert.equal(err.kind, 'too-long');
        assert.match(err.message, /4096-token context/);
        return true;
      });
    });
  });

  describe('an empty question', () => {
    it('is refused by the engine with a typed error, without asking Azure or BitNet', async () => {
      const e = await engine();
      const ws = workspace(await copySample('empty-question'));
      const before = { embeddings: embeddings.stats.requests, chat: chat.requests.length };
      for (const question of ['', '   ', '\n\t \u00a0']) {
        for (const call of [() => e.ask(ws, question), () => e.search(ws, question)]) {
          await assert.rejects(call(), (err: unknown) => {
            assert.ok(err instanceof QuestionError, String(err));
            assert.equal(err.kind, 'empty');
            assert.match(err.message, /empty/);
            return true;
          });
        }
      }
      assert.deepEqual({ embeddings: embeddings.stats.requests, chat: chat.requests.length }, before);
    });
  });

  describe('an all-zero embedding', () => {
    afterEach(() => embeddings.setFault(null));

    it('at indexing: the run reports it, naming the deployment, stores no vector of that batch, and the next run embeds what is missing', async () => {
      const e = await engine();
      const dir = await copySample('zero-vector');
      // A text no earlier run embedded, so the database-wide embedding cache cannot answer for it.
      await fs.writeFile(path.join(dir, 'docs/fresh.md'), `# Fresh\n\nA note written for run ${randomUUID()}.\n`);
      const ws = workspace(dir);
      embeddings.setFault({ kind: 'zero-vector' });
      const report = await e.index(ws);
      assert.match(report.error?.message ?? '', /text-embedding-3-small/);
      assert.match(report.error?.message ?? '', /all-zero/);
      assert.ok(report.error?.cause instanceof EmbeddingError && report.error.cause.kind === 'bad-response');
      // Keyword-first: the files and chunks are written (searchable by keywords), but no all-zero vector is stored.
      const fresh = 'MATCH (c:Chunk {workspace: $ws, path: "docs/fresh.md"}) RETURN count(c) AS n';
      assert.equal(await count(`MATCH (c:Chunk {workspace: $ws, path: "docs/fresh.md"}) WHERE c.embedding IS NOT NULL RETURN count(c) AS n`, { ws: ws.id }), 0);

      embeddings.setFault(null);
      const next = await e.index(ws);
      assert.equal(next.error, undefined);
      assert.ok((await count(fresh, { ws: ws.id })) > 0);
      assert.equal(await count('MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NULL RETURN count(c) AS n', { ws: ws.id }), 0, 'every chunk embedded');
      assert.equal(await count('MATCH (f:File {workspace: $ws}) RETURN count(f) AS n', { ws: ws.id }), 10);
    });

    it('at question time: the question fails with the same clear error, not a keyword-only answer', async () => {
      const e = await engine();
      const ws = workspace(await copySample('zero-question'));
      assert.equal((await e.index(ws)).error, undefined);
      const chatRequests = chat.requests.length;
      embeddings.setFault({ kind: 'zero-vector' });
      await assert.rejects(e.ask(ws, 'How often does Pebble write snapshots to disk?'), (err: unknown) => {
        assert.ok(err instanceof EmbeddingError, String(err));
        assert.equal(err.kind, 'bad-response');
        assert.match(err.message, /all-zero embedding for input 0/);
        return true;
      });
      assert.equal(chat.requests.length, chatRequests, 'BitNet is not asked');
    });
  });
});
