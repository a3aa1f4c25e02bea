// What the benchmark's orchestrator (run.ts) and its child processes (child.ts) agree on: settings, labels, and the
// zod schemas of the one result line each child prints.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { embeddingSchema, indexingSchema, retrievalSchema, type EngineConfig } from '../src/core/config';
import { neo4jTestConfig } from '../test/integration/neo4j-env';

/** text-embedding-3's `dimensions`: the same for every approach. The engine's tests use 256 as well, so the shared test database keeps one vector index size. */
export const DIMENSIONS = 256;
export const DEPLOYMENT = 'text-embedding-3-small';
export const API_KEY = 'fake-key-for-the-local-bench-server';
export const API_VERSION = '2024-10-21';
/** k of every vector-only query, for all three approaches. */
export const VECTOR_K = 10;

/** Labels and index owned by the benchmark alone, so clean-up never touches anything else. */
export const LANGCHAIN_LABEL = 'LangChainChunk';
export const LANGCHAIN_INDEX = 'langchain_bench_vector';
export const NAIVE_LABEL = 'NaiveChunk';
/** Neo4j's own ceiling: the same vectors written by a minimal UNWIND (child.ts neo4j-ceiling), alone and with their text. */
export const CEILING_LABEL = 'BenchCeiling';
export const CEILING_TEXT_LABEL = 'BenchCeilingText';
export const CEILING_INDEXES = ['bench_ceiling_vector', 'bench_ceiling_text_vector', 'bench_ceiling_text_fulltext'] as const;

/** LangChain splitter characters per chunk: ~800 gives about as many chunks as the engine's 384-token budget on this corpus. */
export const LANGCHAIN_CHUNK_SIZE = 800;
export const LANGCHAIN_CHUNK_OVERLAP = 80;
/** Lines per naive chunk: fixed windows, no overlap, no syntax. */
export const NAIVE_WINDOW_LINES = 30;

/** The variables a child needs; the orchestrator sets them. */
export function childEnv(env: NodeJS.ProcessEnv = process.env) {
  return z.object({ BENCH_EMBEDDING_URL: z.url() }).parse(env);
}

export function benchConfig(embeddingUrl: string): EngineConfig {
  return {
    neo4j: neo4jTestConfig(),
    embedding: embeddingSchema.parse({ endpoint: embeddingUrl, apiKey: API_KEY, deployment: DEPLOYMENT, apiVersion: API_VERSION, dimensions: DIMENSIONS }),
    indexing: indexingSchema.parse({}),
    retrieval: retrievalSchema.parse({}),
  };
}

/** Every file under `root` except dot-files, as sorted relative POSIX paths (a stable order for subsets). */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

// ---- the result line of each child --------------------------------------------------------------------------------

export const RESULT_PREFIX = 'BENCH_RESULT ';

const statementTimes = z.record(z.string(), z.object({ ms: z.number(), count: z.number() }));

const ragRun = z.object({
  ms: z.number(),
  /** Wall time inside Embedder.embed (the HTTP round trips and decoding), measured around each call. */
  embedMs: z.number(),
  embedCalls: z.number(),
  report: z.object({
    files: z.object({ discovered: z.number(), changed: z.number(), unchanged: z.number(), deleted: z.number(), skipped: z.number() }),
    chunks: z.object({ written: z.number(), embedded: z.number(), reused: z.number() }),
    unembedded: z.number(),
    tokens: z.number(),
    error: z.string().optional(),
  }),
});
export type RagRun = z.infer<typeof ragRun>;

export const ragIndexResult = ragRun.extend({
  maxRssKb: z.number(),
  /** CPU time of the whole child process (all threads), start-up included. */
  cpuMs: z.number(),
  bytes: z.number(),
  /** Wall time with at least one call in flight, per activity (file system, store methods, embedding). */
  phases: z.record(z.string(), z.number()),
  /** Time per Cypher statement kind inside transactions (profile.ts). */
  statements: statementTimes,
  /** Peaks of process.memoryUsage() in MB (rss, heapTotal, heapUsed, external, arrayBuffers). */
  memoryMb: z.record(z.string(), z.number()),
});
const profiledRun = ragRun.extend({ phases: z.record(z.string(), z.number()), statements: statementTimes });
export const ragIncrementalResult = z.object({ noop: profiledRun, edits: z.array(profiledRun.extend({ path: z.string() })).min(1) });
export const ragKeywordFirstResult = z.object({
  ms: z.number(),
  /** From the run's start: the first write, the last file written (all searchable by keywords), the first answer. */
  firstWriteMs: z.number().optional(),
  writtenMs: z.number().optional(),
  firstAnswerMs: z.number().optional(),
  tokens: z.number(),
  chunks: z.object({ written: z.number(), embedded: z.number(), reused: z.number() }),
  unembedded: z.number(),
  error: z.string().optional(),
  learnedQuota: z.number().optional(),
});
export const ragBranchResult = ragRun.extend({ writtenMs: z.number().optional(), files: z.number(), changedFiles: z.number(), newTexts: z.number() });
export const ceilingResult = z.object({ ms: z.number(), withTextMs: z.number(), vectors: z.number() });
export const approachResult = z.object({
  ms: z.number(),
  files: z.number(),
  bytes: z.number(),
  chunks: z.number(),
  maxRssKb: z.number(),
  /** Named parts of `ms`, for the profile notes (e.g. reading+splitting, embedding, writing). */
  phases: z.record(z.string(), z.number()),
});
export type ApproachResult = z.infer<typeof approachResult>;
