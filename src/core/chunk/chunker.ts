// Where chunking runs. In the thread (tests, one-off calls) or in a worker thread with a capped heap: tree-sitter and
// token counting allocate a lot of short-lived memory, and in the indexing process V8 let that garbage pile up to
// ~170 MB before collecting it. In a worker with a 96 MB old generation it is collected early, and the chunking
// runs in parallel with the host's writing and embedding. The host never waits on a crashed worker: the file being
// chunked is reported as failed and the others are retried in a fresh worker.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { EngineError } from '../errors';
import { chunkFile, type ChunkedFile, type ChunkSettings } from './index';

export interface Chunker {
  chunk(path: string, text: string, options: ChunkSettings): Promise<ChunkedFile>;
  /** Stops any worker; a later chunk() starts a new one. */
  close(): Promise<void>;
}

export interface InThreadChunkerOptions {
  /** Where `tree-sitter.wasm` and the grammars are (ChunkOptions.grammarDir); by default the installed package. */
  grammarDir?: string;
}

/** Chunking on the calling thread. */
export class InThreadChunker implements Chunker {
  private readonly grammarDir: string | undefined;

  constructor(options: InThreadChunkerOptions = {}) {
    this.grammarDir = options.grammarDir;
  }

  chunk(filePath: string, text: string, options: ChunkSettings): Promise<ChunkedFile> {
    return chunkFile(filePath, text, { maxTokens: options.maxTokens, overlapLines: options.overlapLines, grammarDir: this.grammarDir });
  }

  async close(): Promise<void> {}
}

/** Chunking on the calling thread, with the default grammar folder (the installed package). */
export const inThreadChunker: Chunker = new InThreadChunker();

/** The file could not be chunked (the worker ran out of memory or died on it); the run goes on without it. */
export class ChunkingFailed extends EngineError<'chunking', { path: string; /** Why, without the path: what a report shows next to it. */ reason: string }> {
  static of(path: string, reason: string): ChunkingFailed {
    return new ChunkingFailed('chunking', `${path}: ${reason}`, { path, reason });
  }
}

// ---- the messages between the host and the worker (worker.ts) -------------------------------------------------------

export const workerDataSchema = z.object({ grammarDir: z.string().optional() });

export const chunkRequestSchema = z.object({
  id: z.number(),
  path: z.string(),
  text: z.string(),
  options: z.object({ maxTokens: z.number(), overlapLines: z.number() }),
});
type ChunkRequest = z.infer<typeof chunkRequestSchema>;

const chunkSchema = z.object({
  path: z.string(),
  language: z.string(),
  kind: z.string(),
  symbol: z.string().optional(),
  headingPath: z.string().optional(),
  startLine: z.number(),
  endLine: z.number(),
  text: z.string(),
  column: z.number().optional(),
  header: z.string().optional(),
  contentHash: z.string(),
  tokens: z.number(),
  defines: z.array(z.string()),
});
const chunkReplySchema = z.union([
  z.object({
    id: z.number(),
    result: z.object({ chunks: z.array(chunkSchema), links: z.array(z.object({ spec: z.string(), kind: z.enum(['link', 'import']) })) }),
  }),
  z.object({ id: z.number(), error: z.string() }),
]);
export type ChunkReply = z.infer<typeof chunkReplySchema>;

// ---- the worker -------------------------------------------------------------------------------------------------------

export interface WorkerChunkerOptions extends InThreadChunkerOptions {
  /** V8 old-generation cap of the worker. The largest file indexed by default (1 MiB) needs well under this. */
  maxHeapMb?: number;
  /** The worker exits after this long without work, so an idle editor does not keep its memory. */
  idleMs?: number;
  /** The worker's script; by default the bundle next to this module (or worker.ts from source). */
  script?: string;
}

interface Pending {
  request: ChunkRequest;
  resolve: (result: ChunkedFile) => void;
  reject: (error: Error) => void;
}

export class WorkerChunker implements Chunker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly maxHeapMb: number;
  private readonly idleMs: number;
  private readonly script: string | undefined;
  private readonly grammarDir: string | undefined;
  /** Whether the current worker has answered at all: one that dies before that never started (a broken install). */
  private answered = false;

  constructor(options: WorkerChunkerOptions = {}) {
    this.maxHeapMb = options.maxHeapMb ?? 96;
    this.idleMs = options.idleMs ?? 30_000;
    this.script = options.script;
    this.grammarDir = options.grammarDir;
  }

  chunk(filePath: string, text: string, options: ChunkSettings): Promise<ChunkedFile> {
    clearTimeout(this.idleTimer);
    return new Promise((resolve, reject) => {
      const request = { id: this.nextId++, path: filePath, text, options: { maxTokens: options.maxTokens, overlapLines: options.overlapLines } };
      this.pending.set(request.id, { request, resolve, reject });
      const worker = this.started();
      worker.ref(); // pending work keeps the process alive; an idle worker does not (see settle)
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(ChunkingFailed.of(p.request.path, 'chunking was stopped'));
    this.pending.clear();
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const { script, evaluate } = this.script ? { script: this.script, evaluate: false } : workerScript();
    const worker = new Worker(script, {
      eval: evaluate,
      workerData: { grammarDir: this.grammarDir } satisfies z.infer<typeof workerDataSchema>,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 16 },
      // Whatever the worker prints (a grammar's warning, say) goes to stderr: stdout may be a protocol stream (the MCP
      // server's), where a stray line would break the client.
      stdout: true,
      stderr: false,
    });
    worker.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.answered = false;
    worker.on('message', (message: unknown) => {
      this.answered = true;
      const reply = chunkReplySchema.safeParse(message);
      if (reply.success) return this.settle(reply.data);
      this.crashed(worker, new Error('the chunking worker sent a malformed reply'));
      void worker.terminate();
    });
    worker.on('error', (error) => this.crashed(worker, error));
    worker.on('exit', (code) => this.crashed(worker, new Error(`the chunking worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: ChunkReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if ('error' in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.result);
    if (this.pending.size === 0) {
      this.worker?.unref();
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => void this.close(), this.idleMs).unref();
    }
  }

  /** The worker handles requests in order, so the oldest pending one is the file it died on; the rest go to a new worker. */
  private crashed(worker: Worker, error: Error): void {
    if (worker !== this.worker) return; // already replaced or closed
    this.worker = undefined;
    const [culprit, ...others] = [...this.pending.values()].sort((a, b) => a.request.id - b.request.id);
    this.pending.clear();
    const outOfMemory = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
    if (!this.answered && !outOfMemory) {
      // Not a file's fault: every file would fail the same way, so the run stops with the cause.
      const cannotStart = new Error(`The chunking worker could not start (${error.message}); the installation may be incomplete.`);
      for (const p of [culprit, ...others]) p?.reject(cannotStart);
      return;
    }
    if (culprit) {
      const reason = outOfMemory ? `chunking needed more than ${this.maxHeapMb} MB of memory` : `chunking failed: ${error.message}`;
      culprit.reject(ChunkingFailed.of(culprit.request.path, reason));
    }
    for (const p of others) {
      this.pending.set(p.request.id, p);
      this.started().postMessage(p.request);
    }
  }
}

/**
 * The worker's entry: its own bundle next to the host's (dist/chunk-worker.js), or, when this module runs from
 * TypeScript source (tests, the benchmark), worker.ts loaded through tsx.
 */
function workerScript(): { script: string; evaluate: boolean } {
  if (!__filename.endsWith('.ts')) return { script: path.join(__dirname, 'chunk-worker.js'), evaluate: false };
  const entry = path.join(__dirname, 'worker.ts');
  return { script: `require('tsx/cjs'); require(${JSON.stringify(entry)});`, evaluate: true };
}
