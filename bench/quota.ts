// Embedding under a simulated Azure quota: the local embeddings server enforces tokens and requests per minute over a
// sliding window as Azure does (test/servers/quota.ts), with a latency that grows with each request's size, and each
// approach indexes a fresh corpus in a child process of its own (child.ts) while the server keeps the log of what it
// admitted and refused. After a warm-up of one window (the first window is empty, so anyone can burst into it), the
// measurement is the share of the quota admitted over the next BENCH_QUOTA_SECONDS, and the share of requests answered
// 429 in that time; then the child is stopped (SIGTERM: a cancel for Workspace RAG).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startEmbeddingServer, type EmbeddingServer } from '../test/servers/azure-embeddings';
import { generateCorpus } from './corpus';
import { z } from 'zod';
import { API_KEY, DEPLOYMENT, RESULT_PREFIX } from './shared';
import type { Row } from './table';

export interface QuotaBenchOptions {
  /** Where the corpora are generated (one per quota, so no run finds another's texts in the embedding cache). */
  dir: string;
  /** Quotas to simulate, in tokens per minute. */
  quotas: readonly number[];
  /** The sliding window the quota is checked over (Azure: 1 to 10 s). */
  windowMs: number;
  /** How long each approach is measured after the warm-up window. */
  measureMs: number;
  /** Workspace RAG's rows, LangChain.js's, or both. */
  approaches: ReadonlyArray<'rag' | 'langchain'>;
}

/** The simulated deployment's answer time: a base plus a share per token (about 1 s for 100k tokens). */
const LATENCY = { baseMs: 100, perTokenMs: 0.01 };
/** Tokens per corpus file (the generated corpus: about 11 chunks of ~125 tokens per file), and the headroom taken. */
const TOKENS_PER_FILE = 1300;
const HEADROOM = 1.6;
const SEEDS = [21, 22, 23, 24];
/** A child has this long to send its first request (it reads and chunks first), and to exit once stopped. */
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 20_000;

interface Measured {
  tokens: number;
  requests: number;
  refused: number;
  /** Tokens admitted / what the quota allows over the measured time. */
  share: number;
  measuredMs: number;
  /** Why the measurement ended before its time (the child finished or failed). */
  ended?: string;
  /** The quota Workspace RAG's pacer learned from the answers, in tokens per minute. */
  learnedQuota?: number;
}

const ragResult = z.object({ learnedQuota: z.number().optional() });

const progress = (message: string) => process.stderr.write(`==> ${message}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const k = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1000}k`);

/** What a note about these rows starts with, so a run of this section alone can replace it in results.md. */
export const QUOTA_NOTE_PREFIX = 'Quota rows:';

export async function measureQuota(o: QuotaBenchOptions): Promise<{ rows: Row[]; note: string }> {
  const rows: Row[] = [{ section: `Embedding under a simulated Azure quota (sliding ${o.windowMs / 1000} s window, 6 RPM per 1,000 TPM)` }];
  for (const [i, tpm] of o.quotas.entries()) {
    const files = Math.ceil((tpm * (o.windowMs + o.measureMs) * HEADROOM) / 60_000 / TOKENS_PER_FILE) + 20;
    for (const approach of o.approaches) {
      // A corpus of its own per run: Workspace RAG's content cache spans workspaces, and LangChain.js has none.
      const root = path.join(o.dir, `quota-${approach}-${tpm}`);
      await generateCorpus(root, SEEDS[(i * 2 + (approach === 'rag' ? 0 : 1)) % SEEDS.length], files);
      const who = approach === 'rag' ? 'Workspace RAG' : 'LangChain.js';
      progress(`${who} under a ${k(tpm)} TPM quota: ${files} files, ${o.windowMs / 1000} s warm-up, ${o.measureMs / 1000} s measured`);
      const m = await measureOne(approach, tpm, root, files, o);
      const detail = `${m.tokens.toLocaleString('en-US')} tokens admitted in ${(m.measuredMs / 1000).toFixed(0)} s; ${m.requests} requests, ${m.refused} answered 429`;
      const ended = `${m.learnedQuota ? `; the pacer learned a quota of ${Math.round(m.learnedQuota / 1000)}k TPM` : ''}${m.ended ? `; ${m.ended}` : ''}`;
      const target = approach === 'rag';
      rows.push(
        { name: `${who}, ${k(tpm)} TPM: quota used`, value: pct(m.share), unit: 'of TPM', ...(target ? { target: '≥ 90%', ok: m.share >= 0.9 } : {}), note: `${detail}${ended}` },
        {
          name: `${who}, ${k(tpm)} TPM: requests answered 429`,
          value: m.requests ? pct(m.refused / m.requests) : 'n/a',
          unit: 'of requests',
          ...(target ? { target: '≤ 2%', ok: m.requests > 0 && m.refused / m.requests <= 0.02 } : {}),
        },
      );
    }
  }
  return { rows, note: quotaNote(o) };
}

/** How the quota rows were measured, for the notes under the table. */
function quotaNote(o: Pick<QuotaBenchOptions, 'windowMs' | 'measureMs'>): string {
  return (
    `${QUOTA_NOTE_PREFIX} the local server enforces the quota over a sliding ${o.windowMs / 1000} s window (each request charged at admission with its input's tokens, ` +
    "Azure's estimate for embeddings; admitted while the window is under its allowance, as Azure documents it), sends x-ratelimit-remaining-tokens/-requests " +
    `on every answer and retry-after-ms/retry-after with each 429, and answers in ${LATENCY.baseMs} ms + ${LATENCY.perTokenMs} ms per token. ` +
    `Each run starts on an empty window; the first window is a warm-up (anything fits in an empty window), then the tokens admitted over ${o.measureMs / 1000} s are ` +
    'compared with the quota. Workspace RAG runs its Indexer with the default settings (at most 4 requests in flight, batches of at most 100k tokens, paced by ' +
    'src/core/embed/pacer.ts); LangChain.js runs as its documentation shows (AzureOpenAIEmbeddings with batchSize 512 and its default retries and concurrency, ' +
    'through Neo4jVectorStore.fromDocuments). Each indexes a fresh generated corpus of its own in a child process. LangChain.js can get more than ' +
    "the quota's rate: each of its requests (512 chunks, 60-80k tokens) is admitted while the window is under its allowance and takes it far over, " +
    "and most of the requests after it are refused; Workspace RAG sends only what fits, since Azure does not document how far one request may cross " +
    "the limit (a stricter check would refuse LangChain.js's requests larger than a window's allowance every time)."
  );
}

async function measureOne(approach: 'rag' | 'langchain', tpm: number, root: string, files: number, o: QuotaBenchOptions): Promise<Measured> {
  const server = await startEmbeddingServer({
    apiKey: API_KEY,
    deployments: [DEPLOYMENT],
    quota: { tokensPerMinute: tpm, windowMs: o.windowMs },
    latencyMs: LATENCY.baseMs,
    latencyMsPerToken: LATENCY.perTokenMs,
    recordBodies: false,
  });
  try {
    const args = approach === 'rag' ? ['rag-until-stopped', root, `bench-quota-${tpm}`] : ['langchain-index', root, String(files)];
    const child = startChild(args, server);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (server.admissions.length === 0 && child.code === undefined && Date.now() < deadline) await delay(100);
    const t0 = server.admissions[0]?.at;
    if (t0 === undefined) {
      await child.stop();
      throw new Error(`${args[0]} sent no request (${child.code === undefined ? 'timed out' : `exited with ${child.code}`}): ${child.lastError}`);
    }
    const from = t0 + o.windowMs;
    const to = from + o.measureMs;
    while (Date.now() < to && child.code === undefined) await delay(100);
    const endedEarly = child.code !== undefined ? Date.now() : undefined;
    await child.stop();
    const end = Math.min(to, endedEarly ?? to);
    const inTime = server.admissions.filter((a) => a.at >= from && a.at < end);
    const tokens = inTime.filter((a) => a.admitted).reduce((n, a) => n + a.tokens, 0);
    const measuredMs = Math.max(0, end - from);
    const ended =
      endedEarly === undefined ? undefined : child.code === 0 ? `it finished after ${((endedEarly - t0) / 1000).toFixed(0)} s` : `it failed after ${((endedEarly - t0) / 1000).toFixed(0)} s: ${child.lastError}`;
    const learnedQuota = approach === 'rag' && child.result ? ragResult.parse(child.result).learnedQuota : undefined;
    return { tokens, requests: inTime.length, refused: inTime.filter((a) => !a.admitted).length, share: measuredMs > 0 ? tokens / ((measuredMs / 60_000) * tpm) : 0, measuredMs, ended, learnedQuota };
  } finally {
    await server.close();
  }
}

/**
 * child.ts with `args`, pointed at `server`; its stderr streams through (its last line is kept for the notes), and its
 * result line, if it prints one, is parsed JSON.
 */
function startChild(args: string[], server: EmbeddingServer) {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'child.ts'), ...args], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, BENCH_EMBEDDING_URL: server.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const state = {
    code: undefined as number | null | undefined,
    lastError: '',
    get result(): unknown {
      const line = out.split('\n').reverse().find((l) => l.startsWith(RESULT_PREFIX));
      return line ? JSON.parse(line.slice(RESULT_PREFIX.length)) : undefined;
    },
    async stop(): Promise<void> {
      if (state.code !== undefined) return;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await closed;
      clearTimeout(killer);
    },
  };
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    process.stderr.write(d);
    const lines = d.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length) state.lastError = lines.at(-1)!.slice(0, 200);
  });
  const closed = new Promise<void>((resolve) =>
    proc.on('close', (code) => {
      state.code = code;
      resolve();
    }),
  );
  return state;
}
