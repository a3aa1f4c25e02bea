// `npm run bench:quality` (scripts/bench-quality.sh): retrieval quality and BitNet's modelled time to first token on
// a real sentence-embedding model, for issue 9. The question set is bench/quality/questions.ts's (58 questions on
// fastify@4.28.1 with gold line ranges); embeddings come from the real-model server of embeddingServer.ts; answers
// from the chat test server in its CPU-BitNet mode (test/servers/chat-completions.ts), which models llama.cpp's prompt
// cache. Prints a Markdown report and writes it to bench/quality/results.md. No assertions: targets get ✓/✗.
//
// Approaches, all on the same index, embeddings and Neo4j:
//   vector, full-text, symbol   each leg of the retriever alone (Neo4jStore's vectorSearch / fulltextSearch /
//                               symbolDefinitions with the retriever's own keywordsOf / identifiersIn); its prompt is
//                               its top 5 hits
//   retriever                   Engine.ask as shipped: the full retriever, the sources sent chosen for the 8 s
//                               first-token budget at the learned prompt speed (pinned at 78 tok/s)
//   retriever, full context     the same with firstTokenSeconds 600: sources fill the context (the recall baseline)
//   keyword-only                Engine.ask without embeddings (8 s budget)
//   LangChain.js                Neo4jVectorStore.similaritySearchWithScore, k = 5; its prompt is its top 5 documents
// Each question is asked on a fresh engine and chat server (a cold prompt cache), then a short follow-up on the same
// topic with the first question and its answer in the history (as the chat panel sends it), on the same engine and
// server. The modelled time to first token is the prompt tokens the server had to process (not in its cache) / 78.
//
// Options: --model minilm|e5 (minilm; e5 is several times slower), --limit N (the first N questions; the report then
// goes to stdout only unless --out is given), --out FILE (bench/quality/results.md), --keep (keep the corpus in
// <tmp>/workspace-rag-quality/ and both indexes for the next run, which then embeds nothing), --threads N (the model's
// threads).
// Neo4j: NEO4J_URI and friends; scripts/bench-quality.sh starts a server of its own (port 7698, .neo4j-quality/),
// because the real model's 384-dimension vectors cannot share a database with the test suites' 256-dimension index.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import neo4j from 'neo4j-driver';
import { chatSchema, indexingSchema, retrievalSchema, type EngineConfig } from '../../src/core/config';
import { Embedder } from '../../src/core/embed';
import { openEngine, type Engine } from '../../src/core/engine';
import type { Answer } from '../../src/core/answer';
import { buildMessages, sourceTokens, type ChatMessage, type PromptSource } from '../../src/core/generate';
import { nodeFileSystem } from '../../src/core/node-fs';
import { identifiersIn, type Retrieval } from '../../src/core/retrieve';
import { keywordsOf } from '../../src/core/words';
import { Neo4jStore } from '../../src/core/store';
import type { Hit } from '../../src/core/types';
import { workspaceFor, type WorkspaceSpec } from '../../src/core/workspace';
import { startChatServer, type ChatServer, type ModelledRequest } from '../../test/servers/chat-completions';
import { neo4jTestConfig } from '../../test/integration/neo4j-env';
import { startRealEmbeddingServer, type RealEmbeddingModel, type RealEmbeddingServer } from './embeddingServer';
import { langchainIndex, type LangChainHit, type LangChainIndex } from './langchain';
import { answerLineRecall, firstHitRank } from './metrics';
import { loadQualityCorpus, type QualityQuestion } from './questions';
import { renderReport, type ApproachId, type Outcome, type RunInfo } from './report';
import { summaryOf, withQualitySection } from './section';

/** Issue 9's P: BitNet b1.58 2B4T's prompt speed on microsoft/BitNet's i7-13800H figures, in tokens per second. */
const P = 78;
const FIRST_TOKEN_SECONDS = 8;
/** chatSchema's maximum: 46,800 tokens at 78 tok/s, more than BitNet's 4096-token context holds. */
const FULL_CONTEXT_SECONDS = 600;
/** Candidates per leg, as the retriever fetches them (retrieval.candidateK); the symbol leg's limit is the retriever's. */
const LEG_K = retrievalSchema.parse({}).candidateK;
const SYMBOL_LIMIT = 6;
/** The prompt of a leg alone and of LangChain.js: its top 5. */
const PROMPT_K = 5;
const ROOT = path.resolve(__dirname, '..', '..');
const progress = (m: string) => process.stderr.write(`==> ${m}\n`);

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: process.env.BENCH_QUALITY_MODEL ?? 'minilm' },
    limit: { type: 'string' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    threads: { type: 'string' },
  },
});
if (args.model !== 'minilm' && args.model !== 'e5') throw new Error(`--model: minilm or e5, not ${args.model}`);
const model: RealEmbeddingModel = args.model;
const limit = args.limit === undefined ? undefined : Number(args.limit);
if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error('--limit: a positive whole number of questions');
const outFile = args.out ?? (limit === undefined ? path.join(__dirname, 'results.md') : undefined);

/** The follow-up asked after each question: short, on the same topic (the question's search words), as a user types it. */
function followUpOf(q: QualityQuestion): string {
  const topic = keywordsOf(q.question).split(/\s+/).slice(0, 8).join(' ').replace(/[?.!,;:]+$/, '');
  return `What else should I know about that: ${topic}?`;
}

// ---- the modelled BitNet ----------------------------------------------------------------------------------------

/**
 * The chat server in CPU-BitNet mode (llama.cpp's prompt cache per slot, its rendered prompt length, `timings`), but
 * nothing waits: the prompt is "processed" at an infinite speed, so its `timings.prompt_ms` is 0, which the engine's
 * speed learning ignores (speed.ts skips a non-positive time) and the engine keeps the 78 tok/s it is given. A finite
 * speed such as 1e6 tok/s would be learned, and every later question would get the whole context.
 */
function modelledBitNet(): Promise<ChatServer> {
  return startChatServer({ cpu: { promptTokensPerSecond: Infinity, generationTokensPerSecond: 1e6 } });
}

/** The modelled request of each chat request made since `from` that the server accepted. */
const modelledSince = (server: ChatServer, from: number): ModelledRequest[] =>
  server.requests
    .slice(from)
    .map((r) => r.modelled)
    .filter((m): m is ModelledRequest => m !== undefined && !m.rejected);

/** A prompt sent as the engine lays it out (buildMessages), with llama.cpp's prompt cache on; the answer and what was modelled. */
async function complete(server: ChatServer, messages: ChatMessage[]): Promise<{ text: string; modelled: ModelledRequest }> {
  const from = server.requests.length;
  const res = await fetch(`${server.llamaEndpoint}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages, stream: false, cache_prompt: true, max_tokens: 512, temperature: 0.2 }),
  });
  if (!res.ok) throw new Error(`the chat server answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
  const [modelled] = modelledSince(server, from);
  if (!modelled) throw new Error('the chat server modelled no request');
  return { text: body.choices[0].message.content, modelled };
}

const asSources = (hits: Array<Pick<Hit, 'path' | 'startLine' | 'endLine' | 'language' | 'text'> & { header?: string }>): PromptSource[] =>
  hits.map((h, i) => ({ n: i + 1, path: h.path, startLine: h.startLine, endLine: h.endLine, language: h.language, header: h.header, text: h.text }));

/**
 * A leg alone or LangChain.js: the question's top sources as the prompt, then the follow-up's with the first answer in
 * the history, on one fresh server. No sources: nothing is sent (the engine answers "found nothing" without BitNet).
 */
async function promptPair(question: string, first: PromptSource[], followUp: string, second: PromptSource[]): Promise<Partial<Outcome>> {
  if (first.length === 0) return { sent: 0 };
  const server = await modelledBitNet();
  try {
    const a = await complete(server, buildMessages({ question, sources: first }));
    const out: Partial<Outcome> = { sent: first.length, promptTokens: a.modelled.promptTokens, firstProcessed: a.modelled.processedTokens };
    if (second.length > 0) {
      const history: ChatMessage[] = [
        { role: 'user', content: question },
        { role: 'assistant', content: a.text },
      ];
      const b = await complete(server, buildMessages({ question: followUp, sources: second, history }));
      out.followUpProcessed = b.modelled.processedTokens;
    }
    return out;
  } finally {
    await server.close();
  }
}

// ---- the engine ------------------------------------------------------------------------------------------------

/** A property named like "weak" on the retrieval or the answer, if the engine has one (issue 9 asks it to mark weak matches). */
function weakMark(...objects: object[]): boolean | undefined {
  let found: boolean | undefined;
  for (const o of objects) {
    for (const [k, v] of Object.entries(o)) if (/weak/i.test(k)) found = Boolean(found) || Boolean(Array.isArray(v) ? v.length : v);
  }
  return found;
}

/**
 * One question and its follow-up through Engine.ask on a fresh engine and a fresh modelled BitNet, its prompt speed
 * pinned at P by the cache folder's prompt-speed.json (speed.ts), so the budget is what a CPU endpoint gets.
 */
async function askPair(base: EngineConfig, firstTokenSeconds: number, ws: WorkspaceSpec, q: QualityQuestion, cacheDir: string): Promise<Partial<Outcome>> {
  const server = await modelledBitNet();
  const endpoint = server.llamaEndpoint;
  await fs.writeFile(path.join(cacheDir, 'prompt-speed.json'), JSON.stringify({ [endpoint]: { tokensPerSecond: P, samples: 1 } }));
  let engine: Engine | undefined;
  try {
    engine = await openEngine({ ...base, chat: chatSchema.parse({ endpoint, firstTokenSeconds }) }, nodeFileSystem, { cacheDir });
    // The ranking: Engine.search's packed sources in rank order (ask's onSources reports only those the prompt
    // carries, in prompt order). Its budget is a short question's, a few tokens more than ask's.
    const ranked: Retrieval = await engine.search(ws, q.question);
    const before = server.requests.length;
    let carried: Retrieval | undefined;
    const first = await engine.ask(ws, q.question, { onSources: (r) => (carried = r) });
    const [m1] = modelledSince(server, before).slice(-1);
    checkPinnedSpeed(first);
    const out: Partial<Outcome> = {
      rank: firstHitRank(ranked.sources, q.gold),
      recall: q.gold.length ? answerLineRecall(first.sources, q.gold) : undefined,
      topScore: ranked.sources[0]?.score,
      sent: first.sources.length,
      promptTokens: m1?.promptTokens,
      firstProcessed: m1?.processedTokens,
      weak: weakMark(ranked, first, ...(carried ? [carried] : [])),
      mode: first.mode,
      fallback: ranked.fallback ?? first.notices[0],
      firstSourceTokens: first.sources[0] && sourceTokens(first.sources[0]),
    };
    if (first.mode === 'generated') {
      const history: ChatMessage[] = [
        { role: 'user', content: q.question },
        { role: 'assistant', content: first.text },
      ];
      const mark = server.requests.length;
      const second = await engine.ask(ws, followUpOf(q), { history });
      checkPinnedSpeed(second);
      const [m2] = modelledSince(server, mark).slice(-1);
      out.followUpProcessed = m2?.processedTokens;
      out.engineFollowUpNewTokens = second.prompt?.newTokens;
    }
    return out;
  } finally {
    await engine?.close();
    await server.close();
  }
}

/** The engine's own estimate must be newTokens / 78 tok/s: had it learned another speed, the budget would be wrong. */
function checkPinnedSpeed(a: Answer): void {
  if (!a.prompt) return;
  const expected = (a.prompt.newTokens / P) * 1000;
  if (Math.abs(a.prompt.estimatedFirstTokenMs - expected) > 2)
    throw new Error(`the engine estimated ${a.prompt.estimatedFirstTokenMs} ms for ${a.prompt.newTokens} new tokens: its prompt speed is not the pinned ${P} tok/s`);
}

// ---- set-up ----------------------------------------------------------------------------------------------------

/** The real model's 384-dimension index must not land in the test suites' database (256 dimensions, port 7687). */
function checkOwnNeo4j(uri: string): void {
  const port = /:(\d+)(?:\/|$)/.exec(uri)?.[1] ?? '7687';
  if (port === '7687' && process.env.BENCH_QUALITY_SHARED_NEO4J !== '1')
    throw new Error(
      `NEO4J_URI is ${uri}, the test suites' server: run \`npm run bench:quality\` (scripts/bench-quality.sh starts a Neo4j of its own), ` +
        'or set BENCH_QUALITY_SHARED_NEO4J=1 for a database you own.',
    );
}

async function neo4jVersion(cfg: EngineConfig['neo4j']): Promise<string> {
  const driver = neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.username, cfg.password));
  try {
    const { records } = await driver.executeQuery('CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS v, edition', {}, { database: cfg.database });
    return records.map((r) => `${String(r.get('name'))} ${String(r.get('v'))} ${String(r.get('edition'))}`).join(', ');
  } finally {
    await driver.close();
  }
}

/**
 * The corpus in a folder of a stable path (a stable workspace id, for --keep) outside this repository: inside it, the
 * repository's .gitignore would apply to the corpus (discovery honours enclosing ignore files) and skip every file.
 */
async function placeCorpus(tmp: string): Promise<string> {
  const dir = path.join(os.tmpdir(), 'workspace-rag-quality', 'fastify@4.28.1');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await fs.cp(tmp, dir, { recursive: true, preserveTimestamps: true });
  await fs.rm(tmp, { recursive: true, force: true });
  return dir;
}

/** The workspace's counts in the index (a kept index writes no chunk). */
async function countsOf(base: EngineConfig, ws: WorkspaceSpec, cacheRoot: string): Promise<{ chunks: number; symbols: number }> {
  const engine = await openEngine(base, nodeFileSystem, { cacheDir: path.join(cacheRoot, 'index') });
  try {
    const { chunks, symbols } = await engine.status(ws);
    return { chunks, symbols };
  } finally {
    await engine.close();
  }
}

/** The engine measured: HEAD, and whether src/ differs from it (others may be editing the tree). */
function engineVersion(): string {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
    return `${git('rev-parse', '--short', 'HEAD')} (${git('log', '-1', '--format=%cI')})${dirty ? `, with ${dirty} uncommitted file(s) in src/` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0];
  const neo4jCfg = neo4jTestConfig();
  checkOwnNeo4j(neo4jCfg.uri);

  const engineAt = engineVersion();
  const corpus = await loadQualityCorpus();
  const dir = await placeCorpus(corpus.dir);
  const questions = limit === undefined ? corpus.questions : corpus.questions.slice(0, limit);
  const ws = workspaceFor([{ name: 'fastify', path: dir }]);
  progress(`corpus fastify@4.28.1 in ${dir}; ${questions.length} questions; model ${model}; Neo4j ${neo4jCfg.uri}`);

  const cacheRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'workspace-rag-quality-'));
  let server: RealEmbeddingServer | undefined;
  let lc: LangChainIndex | undefined;
  let store: Neo4jStore | undefined;
  try {
    progress(`starting the ${model} embedding server (setup on first use)`);
    server = await startRealEmbeddingServer({ model, threads: args.threads === undefined ? undefined : Number(args.threads) });
    const base: EngineConfig = {
      neo4j: neo4jCfg,
      embedding: server.embeddingConfig(),
      indexing: indexingSchema.parse({ include: corpus.include }),
      retrieval: retrievalSchema.parse({}),
    };

    // ---- index: the engine, then LangChain.js, on the same model and Neo4j
    progress('indexing with the engine (the real model embeds every chunk: minutes)');
    const indexer = await openEngine(base, nodeFileSystem, { cacheDir: path.join(cacheRoot, 'index') });
    // Without --keep every run indexes from nothing, so its index timings are real (a run with --keep left it filled).
    if (!args.keep) await indexer.clear({ workspace: ws });
    let lastShown = 0;
    const t0 = performance.now();
    const report = await indexer
      .index(ws, {
        onProgress: (p) => {
          if (p.chunksDone - lastShown >= 200) progress(`  ${(lastShown = p.chunksDone)} chunks written`);
        },
      })
      .finally(() => indexer.close());
    const indexMs = performance.now() - t0;
    if (report.error) throw new Error(`indexing the corpus failed: ${report.error.message}`);
    if (report.files.discovered === 0) throw new Error(`the engine found no file to index in ${dir}: ${JSON.stringify(report.skipped.slice(0, 5))}`);
    progress(`engine index: ${report.chunks.written} chunks written (${report.chunks.embedded} embedded) from ${report.files.discovered} files in ${(indexMs / 1000).toFixed(0)} s`);

    lc = await langchainIndex(neo4jCfg, server, dir, args.keep, progress);
    if (!lc.reused) progress(`LangChain.js index: ${lc.documents} documents in ${(lc.ms / 1000).toFixed(0)} s`);

    // ---- the questions
    store = await Neo4jStore.connect(neo4jCfg);
    const embedder = new Embedder(server.embeddingConfig());
    const keywordOnly: EngineConfig = { ...base, embedding: undefined };
    const outcomes = new Map<ApproachId, Map<string, Outcome>>();
    const record = (a: ApproachId, q: QualityQuestion, o: Partial<Outcome>) => {
      if (!outcomes.has(a)) outcomes.set(a, new Map());
      outcomes.get(a)!.set(q.id, { sent: 0, ...o });
    };
    const cacheDirs: Record<string, string> = {};
    for (const k of ['retriever', 'retriever-full', 'keyword']) await fs.mkdir((cacheDirs[k] = path.join(cacheRoot, k)), { recursive: true });

    const tq = performance.now();
    for (const [i, q] of questions.entries()) {
      progress(`[${i + 1}/${questions.length}] ${q.id}`);
      const followUp = followUpOf(q);
      const safely = async (a: ApproachId, run: () => Promise<Partial<Outcome>>) => {
        try {
          record(a, q, await run());
        } catch (e) {
          progress(`  ${a}: ${e instanceof Error ? e.message : String(e)}`);
          record(a, q, { error: e instanceof Error ? e.message : String(e) });
        }
      };

      // Each leg alone: the question's hits ranked as the leg returns them; the prompt is its top 5.
      const [qVector, fVector] = (await embedder.embed([q.question, followUp])).vectors;
      const legs: Record<'vector' | 'fulltext' | 'symbol', (text: string, vector: Float32Array) => Promise<Hit[]>> = {
        vector: (_text, vector) => store!.vectorSearch(ws.id, vector, LEG_K),
        fulltext: (text) => store!.fulltextSearch(ws.id, keywordsOf(text), LEG_K),
        symbol: async (text) => {
          const names = identifiersIn(text);
          return names.length ? store!.symbolDefinitions(ws.id, names, SYMBOL_LIMIT) : [];
        },
      };
      for (const [leg, search] of Object.entries(legs) as Array<[keyof typeof legs, (typeof legs)['vector']]>) {
        await safely(leg, async () => {
          const hits = await search(q.question, qVector);
          const top = asSources(hits.slice(0, PROMPT_K));
          const followTop = asSources((await search(followUp, fVector)).slice(0, PROMPT_K));
          return {
            rank: firstHitRank(hits, q.gold),
            recall: q.gold.length ? answerLineRecall(top, q.gold) : undefined,
            topScore: hits[0]?.score,
            ...(await promptPair(q.question, top, followUp, followTop)),
          };
        });
      }

      await safely('langchain', async () => {
        const hits: LangChainHit[] = await lc!.search(q.question, PROMPT_K);
        const top = asSources(hits);
        const followTop = asSources(await lc!.search(followUp, PROMPT_K));
        return {
          rank: firstHitRank(hits, q.gold),
          recall: q.gold.length ? answerLineRecall(top, q.gold) : undefined,
          topScore: hits[0]?.score,
          ...(await promptPair(q.question, top, followUp, followTop)),
        };
      });

      await safely('retriever', () => askPair(base, FIRST_TOKEN_SECONDS, ws, q, cacheDirs.retriever));
      await safely('retriever-full', () => askPair(base, FULL_CONTEXT_SECONDS, ws, q, cacheDirs['retriever-full']));
      await safely('keyword', () => askPair(keywordOnly, FIRST_TOKEN_SECONDS, ws, q, cacheDirs.keyword));
    }
    const questionsMs = performance.now() - tq;

    const info: RunInfo = {
      date: new Date(),
      model,
      modelName: server.modelName,
      dimensions: server.dimensions,
      deployment: server.deployments.symmetric,
      corpusFiles: report.files.discovered,
      ...(await countsOf(base, ws, cacheRoot)),
      engineIndex: { ms: indexMs, chunksWritten: report.chunks.written, embedded: report.chunks.embedded },
      langchain: { documents: lc.documents, ms: lc.ms, embedMs: lc.embedMs, reused: lc.reused },
      questionsMs,
      totalMs: performance.now() - started,
      neo4j: `${await neo4jVersion(neo4jCfg)} at ${neo4jCfg.uri}`,
      node: process.version,
      engine: engineAt,
      cpu: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'})`,
      load: { start: loadAtStart, end: os.loadavg()[0] },
      p: P,
      firstTokenSeconds: FIRST_TOKEN_SECONDS,
      fullContextSeconds: FULL_CONTEXT_SECONDS,
      legK: LEG_K,
      symbolLimit: SYMBOL_LIMIT,
      promptK: PROMPT_K,
      followUpExample: questions[0] ? { question: questions[0].question, followUp: followUpOf(questions[0]) } : undefined,
      limited: limit !== undefined,
    };
    const markdown = renderReport(info, questions, outcomes);
    process.stdout.write(`${markdown}\n`);
    if (outFile) {
      await fs.writeFile(outFile, markdown);
      progress(`written to ${path.relative(ROOT, outFile)}`);
    }
    if (limit === undefined && args.out === undefined) {
      const results = path.join(ROOT, 'bench', 'results.md');
      await fs.writeFile(results, withQualitySection(await fs.readFile(results, 'utf8').catch(() => ''), summaryOf(markdown)));
      progress(`its summary written into ${path.relative(ROOT, results)}`);
    }
  } finally {
    await store?.close();
    await lc?.close(args.keep);
    if (!args.keep) {
      // Only this workspace: the database may be shared with a run that keeps its own (never clear everything).
      const cleaner = await openEngine({ neo4j: neo4jCfg, indexing: indexingSchema.parse({}), retrieval: retrievalSchema.parse({}) }, nodeFileSystem);
      await cleaner.clear({ workspace: ws }).finally(() => cleaner.close());
      await fs.rm(dir, { recursive: true, force: true });
    }
    await server?.close();
    await fs.rm(cacheRoot, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
