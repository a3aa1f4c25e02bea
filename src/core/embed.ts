// Azure OpenAI embeddings through the `openai` package: token-aware batches, capped concurrency, retries that honour
// the server's retry-after, per-request timeouts, cancellation, and a strict check of every answer.
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { APIConnectionError, APIConnectionTimeoutError, APIError, AzureOpenAI } from 'openai';
import { z } from 'zod';
import { mapLimit } from './concurrency';
import { EngineError } from './errors';
import { parseRetryAfter } from './retryAfter';
import type { EmbeddingConfig } from './config';
import { countTokens, truncateToTokens } from './tokens';

/** Azure's per-input limit for text-embedding models. */
export const MAX_INPUT_TOKENS = 8191;
/** Azure's per-request input count limit. */
const MAX_BATCH_INPUTS = 2048;
/** A longer retry-after than this fails the call instead of blocking the indexer (Azure quotas reset every minute). */
const DEFAULT_MAX_RETRY_WAIT_MS = 120_000;

export type EmbeddingErrorKind = 'auth' | 'throttled' | 'timeout' | 'cancelled' | 'bad-response' | 'http' | 'network';

export class EmbeddingError extends EngineError<
  EmbeddingErrorKind,
  {
    status?: number;
    /** Whether trying the same request again may succeed. */
    retryable?: boolean;
    /** The wait the server asked for (429). */
    retryAfterMs?: number;
    /** The input (its position in the call's `inputs`) whose answer was refused (bad-response). */
    inputIndex?: number;
  }
> {
  constructor(kind: EmbeddingErrorKind, message: string, details: EmbeddingError['details'] & { cause?: unknown } = {}) {
    super(kind, message, details);
  }
}

export interface EmbedProgress {
  /** Inputs embedded so far, out of `total` (the inputs of this call). */
  done: number;
  total: number;
  tokens: number;
}

/** Why the embedder is waiting instead of sending: the endpoint throttles (HTTP 429 with a retry-after). */
export type EmbedWaitReason = 'throttled';

export interface EmbedOptions {
  signal?: AbortSignal;
  onProgress?: (p: EmbedProgress) => void;
  /**
   * Called when this call starts waiting out a throttle (ms > 0: its own 429's retry-after, or the pause another
   * request was given), when that wait grows by a second or more, and with ms = 0 once none of its requests waits.
   */
  onWait?: (ms: number, reason: EmbedWaitReason) => void;
  /** cl100k token counts of `inputs`, when the caller has them (chunks carry theirs): counting again is costly. */
  tokens?: readonly number[];
}

export interface EmbedResult {
  /** One vector per input, in input order. */
  vectors: Float32Array[];
  /** Tokens billed, from the responses' usage (local count where a response has none). */
  tokens: number;
  /** Inputs cut to MAX_INPUT_TOKENS. */
  truncated: number;
}

export interface EmbedderHooks {
  /** Called before each retry wait, e.g. to log throttling. */
  onRetry?: (e: { attempt: number; delayMs: number; error: EmbeddingError }) => void;
  /** Called for each input cut to MAX_INPUT_TOKENS (index in the input array, tokens before cutting). */
  onTruncate?: (e: { index: number; tokens: number }) => void;
  /** Longest retry-after honoured; a longer one fails with kind 'throttled'. */
  maxRetryWaitMs?: number;
}

// Vectors are asked for as base64 (little-endian float32, as the SDK does by default) and decoded straight into
// Float32Arrays: the SDK's own decoding goes through number[], which costs more than the request at 2048 inputs.
const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.string() })),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).nullish(),
});

interface Batch {
  /** Indices into the unique texts. */
  items: number[];
  tokens: number;
}

export class Embedder {
  /** Model and vector size: a change of either invalidates every cached embedding. */
  readonly modelKey: string;
  private readonly model: string;
  private readonly client: AzureOpenAI;
  /** While a 429 is being waited out, every worker holds its next request until then. */
  private pausedUntil = 0;

  constructor(
    private readonly cfg: EmbeddingConfig,
    private readonly hooks: EmbedderHooks = {},
  ) {
    this.model = cfg.model ?? cfg.deployment;
    this.modelKey = `${this.model}@${cfg.dimensions}`;
    this.client = new AzureOpenAI({
      endpoint: cfg.endpoint,
      apiKey: cfg.apiKey,
      apiVersion: cfg.apiVersion,
      deployment: cfg.deployment,
      maxRetries: 0, // retries are ours: cancellable waits, a shared pause on 429, a cap on retry-after
      timeout: cfg.timeoutMs,
      organization: null,
      project: null,
      logLevel: 'off',
    });
  }

  /** Content cache key: sha256 of (model, dimensions, input). The input excludes the file path, so renames re-embed nothing. */
  embedKey(input: string): string {
    return createHash('sha256').update(JSON.stringify([this.model, this.cfg.dimensions])).update('\n').update(input).digest('hex');
  }

  estimateCost(tokens: number): number {
    return (tokens / 1_000_000) * this.cfg.pricePerMillionTokens;
  }

  /** Embeds every input or rejects with an EmbeddingError: never a partial result. */
  async embed(inputs: string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
    const signal = opts.signal ?? new AbortController().signal;
    if (signal.aborted) throw cancelled();

    // Identical inputs are sent once.
    const uniqueIndex = new Map<string, number>();
    const slotOf: number[] = [];
    /** The first position in `inputs` of each unique text, to name it in errors. */
    const firstInput: number[] = [];
    const texts: string[] = [];
    const tokensOf: number[] = [];
    const multiplicity: number[] = [];
    let truncated = 0;
    inputs.forEach((input, index) => {
      let u = uniqueIndex.get(input);
      if (u === undefined) {
        u = texts.length;
        uniqueIndex.set(input, u);
        firstInput.push(index);
        let text = input === '' ? ' ' : input; // the API rejects empty strings; a blank embeds the same "nothing"
        let tokens = opts.tokens?.[index] ?? countTokens(text);
        if (tokens > MAX_INPUT_TOKENS) {
          this.hooks.onTruncate?.({ index, tokens });
          truncated++;
          text = truncateToTokens(text, MAX_INPUT_TOKENS);
          tokens = countTokens(text);
        }
        texts.push(text);
        tokensOf.push(tokens);
        multiplicity.push(0);
      }
      multiplicity[u]++;
      slotOf.push(u);
    });

    const batches = this.batch(tokensOf);
    const vectors: Float32Array[] = new Array(texts.length);
    let tokens = 0;
    let done = 0;
    const failed = new AbortController(); // one failure stops the other batches
    const linked = AbortSignal.any([signal, failed.signal]);
    const waits = new WaitReporter(opts.onWait);
    try {
      await mapLimit(
        batches,
        this.cfg.concurrency,
        async (batch) => {
          try {
            const sent = { texts: batch.items.map((i) => texts[i]), positions: batch.items.map((i) => firstInput[i]), tokens: batch.tokens };
            const result = await this.embedBatch(sent, { signal: linked, userSignal: signal, waits });
            batch.items.forEach((u, k) => {
              vectors[u] = result.vectors[k];
              done += multiplicity[u];
            });
            tokens += result.tokens;
            opts.onProgress?.({ done, total: inputs.length, tokens });
          } catch (e) {
            failed.abort();
            throw e;
          }
        },
        linked,
      );
    } catch (e) {
      if (signal.aborted) throw cancelled();
      throw e;
    }
    if (signal.aborted) throw cancelled();
    return { vectors: slotOf.map((u) => vectors[u]), tokens, truncated };
  }

  /** Consecutive groups within both the input-count and the token ceilings (an input larger than the token ceiling goes alone). */
  private batch(tokensOf: number[]): Batch[] {
    const maxInputs = Math.min(this.cfg.maxBatchInputs, MAX_BATCH_INPUTS);
    const batches: Batch[] = [];
    let cur: Batch = { items: [], tokens: 0 };
    tokensOf.forEach((t, i) => {
      if (cur.items.length > 0 && (cur.items.length >= maxInputs || cur.tokens + t > this.cfg.maxBatchTokens)) {
        batches.push(cur);
        cur = { items: [], tokens: 0 };
      }
      cur.items.push(i);
      cur.tokens += t;
    });
    if (cur.items.length > 0) batches.push(cur);
    return batches;
  }

  private async embedBatch(batch: SentBatch, run: BatchRun) {
    const { signal, userSignal, waits } = run;
    const maxWait = this.hooks.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      // Another request's 429 paused every worker: that is a throttle wait of this call too.
      await waits.during(this.pausedUntil - Date.now(), () => this.sleep(this.pausedUntil - Date.now(), signal, userSignal));
      try {
        return await this.request(batch, signal, userSignal);
      } catch (e) {
        const error = e as EmbeddingError;
        if (!error.details.retryable || attempt >= this.cfg.maxRetries) throw error;
        const { retryAfterMs } = error.details;
        if (retryAfterMs !== undefined && retryAfterMs > maxWait) {
          throw new EmbeddingError(
            'throttled',
            `Azure OpenAI deployment '${this.cfg.deployment}' is throttled and asks to wait ${Math.ceil(retryAfterMs / 1000)} s ` +
              `(more than the ${Math.round(maxWait / 1000)} s this client waits); try again later or raise the deployment's quota.`,
            { status: 429, retryAfterMs },
          );
        }
        // Server-given waits get up to 10% jitter so concurrent workers do not return in lockstep; others back off exponentially.
        const wait =
          retryAfterMs !== undefined
            ? retryAfterMs * (1 + Math.random() * 0.1)
            : Math.min(500 * 2 ** attempt, 30_000) * (0.75 + Math.random() * 0.25);
        this.hooks.onRetry?.({ attempt: attempt + 1, delayMs: Math.round(wait), error });
        if (error.kind !== 'throttled') await this.sleep(wait, signal, userSignal);
        else {
          this.pausedUntil = Math.max(this.pausedUntil, Date.now() + wait);
          await waits.during(wait, () => this.sleep(wait, signal, userSignal));
        }
      }
    }
  }

  private async request({ texts, positions, tokens }: SentBatch, signal: AbortSignal, userSignal: AbortSignal) {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.cfg.timeoutMs);
    try {
      const response = await this.client.embeddings.create(
        {
          input: texts,
          model: this.model,
          encoding_format: 'base64',
          ...(this.cfg.sendDimensions ? { dimensions: this.cfg.dimensions } : {}),
        },
        { signal: AbortSignal.any([signal, timeout.signal]) },
      );
      return this.check(response, positions, tokens);
    } catch (e) {
      if (e instanceof EmbeddingError) throw e;
      if (signal.aborted) throw cancelled(userSignal.aborted ? undefined : 'another batch failed');
      throw this.toError(e, timeout.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The answer as the index needs it: one finite vector of the configured size and a non-zero length per input, in
   * input order. `positions` are the inputs' places in the caller's call, to name the one at fault.
   */
  private check(response: unknown, positions: readonly number[], localTokens: number): { vectors: Float32Array[]; tokens: number } {
    const count = positions.length;
    const where = `Azure OpenAI deployment '${this.cfg.deployment}'`;
    const parsed = responseSchema.safeParse(response);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EmbeddingError('bad-response', `${where} returned an unexpected response: ${issue.path.join('.')}: ${issue.message}`);
    }
    const { data, usage } = parsed.data;
    if (data.length !== count) throw new EmbeddingError('bad-response', `${where} returned ${data.length} vectors for ${count} inputs.`);
    const vectors: Float32Array[] = new Array(count);
    for (const item of data) {
      if (item.index >= count || vectors[item.index])
        throw new EmbeddingError('bad-response', `${where} returned an out-of-range or repeated index ${item.index}.`);
      const bytes = Buffer.from(item.embedding, 'base64');
      if (bytes.length !== this.cfg.dimensions * 4)
        throw new EmbeddingError(
          'bad-response',
          `${where} returned ${bytes.length / 4}-dimensional vectors but ${this.cfg.dimensions} dimensions are configured; ` +
            `check the dimensions setting against the deployment's model.`,
        );
      const vector = new Float32Array(this.cfg.dimensions);
      const inputIndex = positions[item.index];
      let squares = 0;
      for (let i = 0; i < vector.length; i++) {
        vector[i] = bytes.readFloatLE(i * 4);
        if (!Number.isFinite(vector[i]))
          throw new EmbeddingError('bad-response', `${where} returned an embedding with a non-finite value for input ${inputIndex}.`, { inputIndex });
        squares += vector[i] * vector[i];
      }
      // Cosine similarity divides by the length: Neo4j refuses such a vector, and no ranking could use it.
      if (squares === 0)
        throw new EmbeddingError(
          'bad-response',
          `${where} returned an all-zero embedding for input ${inputIndex}: it has no direction, so it can be neither indexed nor searched by cosine similarity.`,
          { inputIndex },
        );
      vectors[item.index] = vector;
    }
    return { vectors, tokens: usage?.prompt_tokens ?? localTokens };
  }

  private toError(e: unknown, timedOut: boolean): EmbeddingError {
    const where = `Azure OpenAI deployment '${this.cfg.deployment}' at ${this.cfg.endpoint}`;
    if (timedOut || e instanceof APIConnectionTimeoutError)
      return new EmbeddingError('timeout', `${where} did not answer within ${this.cfg.timeoutMs} ms.`, { retryable: true });
    if (e instanceof APIError && e.status !== undefined) {
      const status = e.status;
      const detail = this.redact(e.message);
      if (status === 401 || status === 403)
        return new EmbeddingError('auth', `${where} rejected the API key (HTTP ${status}); check the key and the endpoint.`, { status });
      if (status === 429) {
        const retryAfterMs = parseRetryAfter(e.headers);
        return new EmbeddingError('throttled', `${where} is throttling requests (HTTP 429): ${detail}`, { status, retryable: true, retryAfterMs });
      }
      if (status === 404) return new EmbeddingError('http', `${where} was not found (HTTP 404); check the deployment name and endpoint: ${detail}`, { status });
      return new EmbeddingError('http', `${where} failed with HTTP ${status}: ${detail}`, { status, retryable: status >= 500 || status === 408 || status === 409 });
    }
    if (e instanceof APIConnectionError) return new EmbeddingError('network', `Could not reach ${where}: ${this.redact(describeCause(e))}`, { retryable: true });
    if (e instanceof SyntaxError) return new EmbeddingError('bad-response', `${where} returned a body that is not valid JSON.`, { retryable: true });
    // Failures while reading the body (connection reset mid-answer) surface as plain errors.
    return new EmbeddingError('network', `Connection to ${where} failed: ${this.redact(describeCause(e))}`, { retryable: true });
  }

  private redact(text: string): string {
    return text.split(this.cfg.apiKey).join('***');
  }

  private async sleep(ms: number, signal: AbortSignal, userSignal: AbortSignal): Promise<void> {
    if (ms <= 0) return;
    try {
      await delay(ms, undefined, { signal });
    } catch {
      throw cancelled(userSignal.aborted ? undefined : 'another batch failed');
    }
  }
}

/** The texts of one request, their places in the caller's inputs, and their local token count. */
interface SentBatch {
  texts: string[];
  positions: number[];
  tokens: number;
}

interface BatchRun {
  /** Aborts on the caller's cancel or another batch's failure. */
  signal: AbortSignal;
  /** The caller's own signal, to tell a cancel from a sibling's failure. */
  userSignal: AbortSignal;
  waits: WaitReporter;
}

/** Tells one embed() call's onWait when its throttle waits begin, grow and end (its workers wait in parallel). */
class WaitReporter {
  private waiting = 0;
  private until = 0;

  constructor(private readonly onWait: EmbedOptions['onWait']) {}

  async during(ms: number, sleep: () => Promise<void>): Promise<void> {
    if (ms <= 0 || !this.onWait) return sleep();
    const until = Date.now() + ms;
    this.waiting++;
    if (this.waiting === 1 || until >= this.until + 1000) {
      this.until = Math.max(this.until, until);
      this.onWait(Math.round(this.until - Date.now()), 'throttled');
    }
    try {
      await sleep();
    } finally {
      if (--this.waiting === 0) {
        this.until = 0;
        this.onWait(0, 'throttled');
      }
    }
  }
}

function cancelled(why?: string): EmbeddingError {
  return new EmbeddingError('cancelled', why ? `Embedding stopped: ${why}.` : 'Embedding was cancelled.');
}


function describeCause(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string; code?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? String(e)} (${cause})` : (err.message ?? String(e));
}
