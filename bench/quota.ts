// Indexing under a simulated Azure quota: the local embeddings server enforces tokens and requests per minute over a
// sliding window as Azure does (test/servers/quota.ts), with a latency that grows with each request's size, and keeps
// the log of what it admitted and refused; each approach indexes a fresh generated corpus to its end in a child
// process of its own (child.ts).
//
// Two kinds of run per quota:
//  - Workspace RAG on a fresh 5,000-file corpus, to its last vector, under a time-scaled quota: tokens per minute, the
//    window and the answer latency all scaled by the same factor, so that the quota's lower bound (total tokens / TPM)
//    takes about BENCH_QUOTA_SCALED_SECONDS of real time instead of 15-45 minutes. The ratio of the time to the last
//    vector to that lower bound is the same in either time; the time to the first answer and to the last file
//    written are real seconds (Neo4j and the CPU are not scaled, and they compete with s times the embedding traffic,
//    so these are if anything pessimistic).
//  - Both approaches on a subset of a fresh corpus sized so that the lower bound is about BENCH_QUOTA_REAL_SECONDS, in
//    real time (LangChain.js's own retry delays cannot be scaled): the share of the quota used and of requests refused
//    after the first window (the first window is empty, so anyone can burst into it), the first answer (LangChain.js
//    answers only once fromDocuments has embedded and written everything), and the time to the last vector.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { z } from 'zod';
import { startEmbeddingServer, type EmbeddingServer } from '../test/servers/azure-embeddings';
import { generateCorpus, questions } from './corpus';
import { API_KEY, DEPLOYMENT, RESULT_PREFIX, approachResult, ragKeywordFirstResult } from './shared';
import type { Row } from './table';

export interface QuotaBenchOptions {
  /** Where the corpora are generated (one per run, so no run finds another's texts in the embedding cache). */
  dir: string;
  /** Quotas to simulate, in tokens per minute. */
  quotas: readonly number[];
  /** The sliding window the quota is checked over (Azure: 1 to 10 s), before any time scaling. */
  windowMs: number;
  /** Files of the fresh corpus of the time-scaled runs (5,000). */
  files: number;
  /** The time-scaled runs are scaled so that their lower bound takes about this long in real time. */
  scaledSeconds: number;
  /** The real-time runs are sized so that their lower bound is about this long. */
  realSeconds: number;
  /** Workspace RAG's rows, LangChain.js's, or both. */
  approaches: ReadonlyArray<'rag' | 'langchain'>;
}

/** The simulated deployment's answer time: a base plus a share per token (about 1 s for 100k tokens), before scaling. */
const LATENCY = { baseMs: 100, perTokenMs: 0.01 };
/** Tokens per corpus file (the generated corpus: about 11 chunks of ~120 tokens per file). */
const TOKENS_PER_FILE = 1300;
const SEEDS = { scaled: [31, 32], real: [21, 22, 23, 24] };
/** A child has this long to finish (a run that hangs fails the bench rather than hold it for ever). */
const RUN_TIMEOUT_MS = 20 * 60_000;

/** What the server saw of one run: everything after the first window, up to its last admitted request. */
interface ServerSide {
  tokens: number;
  requests: number;
  refused: number;
  /** Tokens admitted / what the quota allows over the measured time. */
  share: number;
  measuredMs: number;
}

const progress = (message: string) => process.stderr.write(`==> ${message}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const k = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1000}k`);
const secs = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
const ratio = (x: number) => `${x.toFixed(2)}×`;
const tokensOf = (n: number) => n.toLocaleString('en-US');

/** What a note about these rows starts with, so a run of this section alone can replace it in results.md. */
export const QUOTA_NOTE_PREFIX = 'Quota rows:';

export async function measureQuota(o: QuotaBenchOptions): Promise<{ rows: Row[]; note: string }> {
  const rows: Row[] = [{ section: `Indexing under a simulated Azure quota (sliding ${o.windowMs / 1000} s window, 6 RPM per 1,000 TPM)` }];
  const scales: string[] = [];
  for (const [i, tpm] of o.quotas.entries()) {
    // 1. Workspace RAG on a fresh 5,000-file corpus, time-scaled.
    if (o.approaches.includes('rag')) {
      const root = path.join(o.dir, `quota-scaled-${tpm}`);
      const stats = await generateCorpus(root, SEEDS.scaled[i % SEEDS.scaled.length], o.files);
      const scale = Math.max(1, (o.files * TOKENS_PER_FILE) / ((tpm * o.scaledSeconds) / 60));
      const question = questions(SEEDS.scaled[i % SEEDS.scaled.length], 1, stats.symbols)[0];
      progress(`Workspace RAG under a ${k(tpm)} TPM quota, time-scaled ×${scale.toFixed(1)}: ${o.files} fresh files to the last vector`);
      const { result: r, server } = await runUnder(tpm, scale, o.windowMs, ['rag-keyword-first', root, `bench-quota-scaled-${tpm}`, question], ragKeywordFirstResult);
      const bound = (r.tokens / tpm) * 60_000 / scale; // real ms
      const full = r.ms / bound;
      scales.push(`${k(tpm)} TPM ×${scale.toFixed(1)} (${k(Math.round(tpm * scale))} TPM over a ${((o.windowMs / scale) / 1000).toFixed(2)} s window, answers in ${(LATENCY.baseMs / scale).toFixed(0)} ms + ${(LATENCY.perTokenMs / scale).toFixed(4)} ms per token)`);
      const simulated = (ms: number) => `${(ms * scale / 60_000).toFixed(1)} min`;
      rows.push(
        {
          name: `Workspace RAG, ${k(tpm)} TPM, fresh ${o.files} files: first question answered (keyword/graph)`,
          value: secs(r.firstAnswerMs),
          unit: 'from start',
          target: '≤ 30 s',
          ok: r.firstAnswerMs !== undefined && r.firstAnswerMs <= 30_000,
          note: `"${question}" asked every 200 ms of keyword and graph search (another store connection, as another host); first write at ${secs(r.firstWriteMs)}; real seconds under the time-scaled quota`,
        },
        {
          name: `Workspace RAG, ${k(tpm)} TPM, fresh ${o.files} files: every file searchable (keyword/graph)`,
          value: secs(r.writtenMs),
          unit: 'from start',
          note: `${r.chunks.written} chunks written; ${r.chunks.reused} took a cached vector`,
        },
        {
          name: `Workspace RAG, ${k(tpm)} TPM, fresh ${o.files} files: fully embedded / lower bound`,
          value: ratio(full),
          unit: 'of tokens/TPM',
          target: '≤ 1.10×',
          ok: full <= 1.1,
          note:
            `${tokensOf(r.tokens)} tokens: lower bound ${simulated(bound)}, last vector after ${simulated(r.ms)} simulated (${secs(r.ms)} real at ×${scale.toFixed(1)}); ` +
            `after the first window ${pct(server.share)} of the quota used, ${server.refused} of ${server.requests} requests answered 429` +
            `${r.learnedQuota ? `; the pacer learned ${k(Math.round(r.learnedQuota / scale / 1000) * 1000)} TPM (unscaled)` : ''}${r.error ? `; error: ${r.error}` : ''}`,
        },
      );
    }
    // 2. Both approaches on a subset, real time.
    const files = Math.ceil((tpm * o.realSeconds) / 60 / TOKENS_PER_FILE);
    for (const [j, approach] of o.approaches.entries()) {
      const root = path.join(o.dir, `quota-${approach}-${tpm}`);
      const seed = SEEDS.real[(i * 2 + j) % SEEDS.real.length];
      const stats = await generateCorpus(root, seed, files);
      const who = approach === 'rag' ? 'Workspace RAG' : 'LangChain.js';
      progress(`${who} under a ${k(tpm)} TPM quota in real time: ${files} fresh files to the end`);
      const name = `${who}, ${k(tpm)} TPM, ${files} files (real time)`;
      if (approach === 'rag') {
        const question = questions(seed, 1, stats.symbols)[0];
        const { result: r, server } = await runUnder(tpm, 1, o.windowMs, ['rag-keyword-first', root, `bench-quota-${tpm}`, question], ragKeywordFirstResult);
        const bound = (r.tokens / tpm) * 60_000;
        rows.push(
          { name: `${name}: quota used`, value: pct(server.share), unit: 'of TPM', target: '≥ 90%', ok: server.share >= 0.9, note: serverNote(server, r.learnedQuota) },
          { name: `${name}: requests answered 429`, value: rate(server), unit: 'of requests', target: '≤ 2%', ok: server.requests > 0 && server.refused / server.requests <= 0.02 },
          { name: `${name}: first question answered / fully embedded`, value: `${secs(r.firstAnswerMs)} / ${ratio(r.ms / bound)}`, unit: 'from start / of tokens/TPM', note: `${tokensOf(r.tokens)} tokens, lower bound ${secs(bound)}, last vector after ${secs(r.ms)}; every file searchable after ${secs(r.writtenMs)}${r.error ? `; error: ${r.error}` : ''}` },
        );
      } else {
        const { result: r, server } = await runUnder(tpm, 1, o.windowMs, ['langchain-index', root, String(files)], approachResult);
        const bound = (server.admittedTokens / tpm) * 60_000;
        rows.push(
          { name: `${name}: quota used`, value: pct(server.share), unit: 'of TPM', note: serverNote(server) },
          { name: `${name}: requests answered 429`, value: rate(server), unit: 'of requests' },
          { name: `${name}: first question answered / fully embedded`, value: `${secs(r.ms)} / ${ratio(r.ms / bound)}`, unit: 'from start / of tokens/TPM', note: `fromDocuments embeds everything before it writes anything, so its first answer is its last vector; ${tokensOf(server.admittedTokens)} tokens admitted (lower bound ${secs(bound)})` },
        );
      }
    }
  }
  return { rows, note: quotaNote(o, scales) };
}

const rate = (s: ServerSide) => (s.requests ? pct(s.refused / s.requests) : 'n/a');
const serverNote = (s: ServerSide, learned?: number) =>
  `${tokensOf(s.tokens)} tokens admitted in ${(s.measuredMs / 1000).toFixed(0)} s after the first window; ${s.requests} requests, ${s.refused} answered 429` +
  `${learned ? `; the pacer learned a quota of ${Math.round(learned / 1000)}k TPM` : ''}`;

/** How the quota rows were measured, for the notes under the table. */
function quotaNote(o: Pick<QuotaBenchOptions, 'windowMs' | 'files' | 'scaledSeconds' | 'realSeconds'>, scales: string[]): string {
  return (
    `${QUOTA_NOTE_PREFIX} the local server enforces the quota over a sliding ${o.windowMs / 1000} s window (each request charged at admission with its input's tokens, ` +
    "Azure's estimate for embeddings; admitted while the window is under its allowance, as Azure documents it), sends x-ratelimit-remaining-tokens/-requests " +
    `on every answer and retry-after-ms/retry-after with each 429, and answers in ${LATENCY.baseMs} ms + ${LATENCY.perTokenMs} ms per token. ` +
    `The ${o.files}-file rows run Workspace RAG's Indexer (default settings) on a fresh corpus to its last vector under a time-scaled quota: tokens per minute, ` +
    `window and latency scaled by the same factor so the lower bound takes about ${o.scaledSeconds} s of real time (${scales.join('; ')}); the fully-embedded ratio is ` +
    'the same in either time, the first-answer and every-file-searchable times are real seconds (Neo4j and the CPU are not scaled and meanwhile write the vectors ' +
    `at that factor's rate). The real-time rows index a fresh subset sized for a lower bound of about ${o.realSeconds} s, and measure the quota used and the 429s ` +
    'after the first window (an empty window lets anyone burst). LangChain.js runs as its documentation shows (AzureOpenAIEmbeddings with batchSize 512 and its ' +
    "default retries and concurrency, through Neo4jVectorStore.fromDocuments); it can get more than the quota's rate: each of its requests (512 chunks, 60-80k " +
    'tokens) is admitted while the window is under its allowance and takes it far over, and most of the requests after it are refused; Workspace RAG sends only ' +
    'what fits, since Azure does not document how far one request may cross the limit.'
  );
}

/** Runs child.ts `args` against a quota server for `tpm` time-scaled by `scale`, to its end; the server's view of it. */
async function runUnder<T>(tpm: number, scale: number, windowMs: number, args: string[], schema: z.ZodType<T>): Promise<{ result: T; server: ServerSide & { admittedTokens: number } }> {
  const window = windowMs / scale;
  const server = await startEmbeddingServer({
    apiKey: API_KEY,
    deployments: [DEPLOYMENT],
    quota: { tokensPerMinute: Math.round(tpm * scale), windowMs: Math.max(100, Math.round(window)) },
    latencyMs: LATENCY.baseMs / scale,
    latencyMsPerToken: LATENCY.perTokenMs / scale,
    recordBodies: false,
  });
  try {
    const result = schema.parse(await child(args, server));
    return { result, server: serverSide(server, tpm * scale, window) };
  } finally {
    await server.close();
  }
}

function serverSide(server: EmbeddingServer, tpm: number, windowMs: number): ServerSide & { admittedTokens: number } {
  const all = server.admissions;
  const admittedTokens = all.filter((a) => a.admitted).reduce((n, a) => n + a.tokens, 0);
  const t0 = all[0]?.at ?? 0;
  const from = t0 + windowMs;
  const last = all.filter((a) => a.admitted).at(-1)?.at ?? from;
  const inTime = all.filter((a) => a.at >= from && a.at <= last);
  const tokens = inTime.filter((a) => a.admitted).reduce((n, a) => n + a.tokens, 0);
  const measuredMs = Math.max(0, last - from);
  return { tokens, requests: inTime.length, refused: inTime.filter((a) => !a.admitted).length, share: measuredMs > 0 ? tokens / ((measuredMs / 60_000) * tpm) : 0, measuredMs, admittedTokens };
}

/** child.ts with `args`, pointed at `server`, to its end; its stderr streams through, its result line is parsed JSON. */
function child(args: string[], server: EmbeddingServer): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'child.ts'), ...args], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, BENCH_EMBEDDING_URL: server.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), RUN_TIMEOUT_MS);
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').reverse().find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) return reject(new Error(`child ${args[0]} exited with ${code}${line ? '' : ' without a result'}`));
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)));
    });
  });
}
