// Azure OpenAI embeddings through the `openai` package: requests sized and sent at the pace of the deployment's quota
// (embed/pacer.ts, learned from the answers' rate-limit headers and 429s), retries that honour the server's
// retry-after, per-request timeouts, cancellation, and a strict check of every answer.
import { createHash } from 'node:crypto';
import { APIConnectionError, APIConnectionTimeoutError, APIError, AzureOpenAI } from 'openai';
import { z } from 'zod';
import { signInErrorOf, withGatewayReason, type EntraTokens } from './auth';
import { EmbedCall } from './embed/call';
import { QuotaPacer, type PacedRequest, type PaceSnapshot } from './embed/pacer';
import { readRateLimitHeaders, type RateLimitHeaders } from './embed/rateLimitHeaders';
import { EngineError } from './errors';
import type { EmbeddingConfig } from './config';
import { countTokens, truncateToTokens } from './tokens';

/** Azure's per-input limit for text-embedding models. */
export const MAX_INPUT_TOKENS = 8191;
/** Azure's per-request input count limit. */
const MAX_BATCH_INPUTS = 2048;
/**
 * A longer retry-after than this fails the call instead of blocking the indexer (Azure quotas reset every minute), and
 * so does a text refused with 429s for longer than this.
 */
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
    /** kind 'auth': how the request signed in, so a host names the right remedy (the key, or the Entra ID sign-in). */
    auth?: 'key' | 'entra';
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
   * Called when this call starts waiting out a throttle (ms > 0: the pause a 429's retry-after set for every request
   * of this embedder), when that wait grows by a second or more, and with ms = 0 once none of its requests waits.
   * Pacing to the quota is not a throttle wait: it is how requests flow.
   */
  onWait?: (ms: number, reason: EmbedWaitReason) => void;
  /** cl100k token counts of `inputs`, when the caller has them (chunks carry theirs): counting again is costly. */
  tokens?: readonly number[];
  /**
   * Called as vectors arrive, before the call settles: the positions in `inputs` and their vectors. What a caller
   * keeps from here is paid for even if the call fails or is cancelled later, so it need not be paid for again.
   */
  onVectors?: (positions: number[], vectors: Float32Array[]) => void;
  /**
   * Stops the call without abandoning what is paid for: no request is sent after it aborts, the requests in flight
   * are answered (their vectors told through onVectors), and then the call rejects with kind 'cancelled'. `signal`,
   * by contrast, abandons the requests in flight at once.
   */
  stop?: AbortSignal;
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
  /**
   * Longest a request is refused with 429s before its call fails with kind 'throttled', and the longest retry-after
   * honoured (a longer one fails at once).
   */
  maxRetryWaitMs?: number;
  /** Required with `auth: 'entra'`: the engine's Microsoft Entra ID tokens, sent as `Authorization: Bearer`. */
  entraTokens?: EntraTokens;
}

// Vectors are asked for as base64 (little-endian float32, as the SDK does by default) and decoded straight into
// Float32Arrays: the SDK's own decoding goes through number[], which costs more than the request at 2048 inputs.
const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.string() })),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).nullish(),
});

/** One request's outcome: its vectors, or the error; and what its headers said of the quota. */
type Answer =
  | { ok: true; vectors: Float32Array[]; tokens: number; limits: RateLimitHeaders }
  | { ok: false; error: EmbeddingError; limits?: RateLimitHeaders };

/**
 * Embeds through one AzureOpenAI client. Every call's texts go through one dispatcher, paced to the deployment's quota
 * (embed/pacer.ts): requests are sized and sent when the quota has room, calls with the fewest tokens left go first
 * (a question is not queued behind an indexing run), and a 429 holds every request until its retry-after.
 */
export class Embedder {
  /** Model and vector size: a change of either invalidates every cached embedding. */
  readonly modelKey: string;
  private readonly model: string;
  private readonly client: AzureOpenAI;
  private readonly pacer: QuotaPacer;
  private readonly active: EmbedCall[] = [];
  private seq = 0;
  private timer: { at: number; handle: NodeJS.Timeout } | undefined;

  constructor(
    private readonly cfg: EmbeddingConfig,
    private readonly hooks: EmbedderHooks = {},
  ) {
    this.model = cfg.model ?? cfg.deployment;
    this.modelKey = `${this.model}@${cfg.dimensions}`;
    const tokens = hooks.entraTokens;
    if (cfg.auth === 'entra' && !tokens) throw new EmbeddingError('auth', 'Azure OpenAI with Entra ID sign-in needs a token provider from the host.', { auth: 'entra' });
    this.client = new AzureClient({
      endpoint: cfg.endpoint,
      // The classic data-plane route, {endpoint}/openai/deployments/{deployment}/embeddings?api-version=, which takes
      // either an `api-key` or an Entra ID token. The SDK calls the token provider before every request.
      ...(cfg.auth === 'entra' ? { azureADTokenProvider: () => tokens!.token() } : { apiKey: cfg.apiKey }),
      apiVersion: cfg.apiVersion,
      deployment: cfg.deployment,
      // Retries are ours: the pacer must see every 429 (the SDK would wait it out alone and send again behind the
      // pacer's back), waits are cancellable and shared by every request, and retry-after has a ceiling.
      maxRetries: 0,
      timeout: cfg.timeoutMs,
      organization: null,
      project: null,
      logLevel: 'off',
    });
    this.pacer = new QuotaPacer({
      maxBatchTokens: cfg.maxBatchTokens,
      maxBatchInputs: Math.min(cfg.maxBatchInputs, MAX_BATCH_INPUTS),
      maxConcurrency: cfg.concurrency,
    });
  }

  /** Content cache key: sha256 of (model, dimensions, input). The input excludes the file path, so renames re-embed nothing. */
  embedKey(input: string): string {
    return createHash('sha256').update(JSON.stringify([this.model, this.cfg.dimensions])).update('\n').update(input).digest('hex');
  }

  estimateCost(tokens: number): number {
    return (tokens / 1_000_000) * this.cfg.pricePerMillionTokens;
  }

  /** The pace so far: tokens per minute admitted, and the quota once learned. */
  pace(): PaceSnapshot {
    return this.pacer.snapshot();
  }

  /** Embeds every input or rejects with an EmbeddingError (what arrived before is told through onVectors). */
  async embed(inputs: string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
    const signal = opts.signal ?? new AbortController().signal;
    if (signal.aborted) throw cancelled();

    // Identical inputs are sent once.
    const uniqueIndex = new Map<string, number>();
    const slotOf: number[] = [];
    const texts: string[] = [];
    const tokensOf: number[] = [];
    const positions: number[][] = [];
    let truncated = 0;
    inputs.forEach((input, index) => {
      let u = uniqueIndex.get(input);
      if (u === undefined) {
        u = texts.length;
        uniqueIndex.set(input, u);
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
        positions.push([]);
      }
      positions[u].push(index);
      slotOf.push(u);
    });
    if (texts.length === 0) return { vectors: [], tokens: 0, truncated };

    let call!: EmbedCall;
    const vectors = new Promise<Float32Array[]>((resolve, reject) => {
      call = new EmbedCall(this.seq++, { texts, tokens: tokensOf, positions, total: inputs.length }, opts, { resolve, reject });
    });
    const onAbort = () => {
      call.fail(cancelled());
      this.pump();
    };
    const onStop = () => call.stop(cancelled('stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    opts.stop?.addEventListener('abort', onStop, { once: true });
    if (opts.stop?.aborted) onStop();
    this.active.push(call);
    this.pump();
    try {
      const byText = await vectors;
      return { vectors: slotOf.map((u) => byText[u]), tokens: call.billed, truncated };
    } finally {
      signal.removeEventListener('abort', onAbort);
      opts.stop?.removeEventListener('abort', onStop);
      this.active.splice(this.active.indexOf(call), 1);
    }
  }

  /** Sends whatever the pacer lets go now, and sets a timer for when it lets the next go. */
  private pump(): void {
    const now = Date.now();
    for (;;) {
      const queued = this.active.filter((c) => c.hasQueued);
      if (queued.length === 0) return;
      const paused = this.pacer.pausedFor();
      if (paused > 0) {
        for (const c of queued) c.throttleWait(paused);
        return this.wakeIn(paused);
      }
      for (const c of queued) c.throttleOver();
      const ready = queued.filter((c) => c.notBefore <= now);
      if (ready.length === 0) return this.wakeIn(Math.min(...queued.map((c) => c.notBefore)) - now);
      const call = ready.reduce((a, b) => (b.tokensLeft < a.tokensLeft || (b.tokensLeft === a.tokensLeft && b.seq < a.seq) ? b : a));
      const grant = this.pacer.grant(call.nextTokens, call.queuedTokens);
      if ('waitMs' in grant) return this.wakeIn(grant.waitMs); // Infinity: an answer will pump again
      this.send(call, call.take(grant.tokens, grant.inputs), grant.probe);
    }
  }

  private wakeIn(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const at = Date.now() + Math.max(0, ms);
    if (this.timer && this.timer.at <= at) return;
    if (this.timer) clearTimeout(this.timer.handle);
    this.timer = {
      at,
      handle: setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, Math.max(0, ms)),
    };
  }

  private send(call: EmbedCall, batch: number[], probe = false): void {
    const texts = batch.map((i) => call.inputs.texts[i]);
    const positions = batch.map((i) => call.inputs.positions[i][0]);
    const localTokens = batch.reduce((n, i) => n + call.inputs.tokens[i], 0);
    const paced = this.pacer.start(localTokens, probe);
    call.inFlight++;
    void this.request(texts, positions, localTokens, call.abort.signal).then((answer) => {
      call.inFlight--;
      if (answer.ok) {
        this.pacer.succeeded(paced, answer.tokens, answer.limits);
        call.deliver(batch, answer.vectors, answer.tokens);
      } else this.retryOrFail(call, batch, paced, answer);
      call.settleIfStopped();
      this.pump();
    });
  }

  /** A failed request: its texts are sent again (after a 429's pause, or a backoff), or the call fails. */
  private retryOrFail(call: EmbedCall, batch: number[], paced: PacedRequest, answer: Extract<Answer, { ok: false }>): void {
    const { error, limits } = answer;
    if (error.kind === 'cancelled' || call.finished) {
      this.pacer.failed(paced, limits);
      return;
    }
    const maxWait = this.hooks.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    if (error.kind === 'throttled') {
      const pause = this.pacer.throttled(paced, limits ?? {});
      const { retryAfterMs } = error.details;
      if (retryAfterMs !== undefined && retryAfterMs > maxWait) return call.fail(this.waitTooLong(`asks to wait ${Math.ceil(retryAfterMs / 1000)} s`, maxWait, retryAfterMs));
      const { refusedForMs, times } = call.throttledAt(batch, Date.now());
      if (refusedForMs + pause > maxWait) return call.fail(this.waitTooLong(`has refused requests for ${Math.round(refusedForMs / 1000)} s`, maxWait, retryAfterMs));
      this.hooks.onRetry?.({ attempt: times, delayMs: Math.round(pause), error });
      call.putBack(batch);
      return;
    }
    this.pacer.failed(paced, limits);
    const failures = call.failedOnce(batch);
    if (!error.details.retryable || failures > this.cfg.maxRetries) return call.fail(error);
    // Backoff grows per failure of the same texts, with jitter so that retries do not return in lockstep.
    const wait = Math.min(500 * 2 ** (failures - 1), 30_000) * (0.75 + Math.random() * 0.25);
    this.hooks.onRetry?.({ attempt: failures, delayMs: Math.round(wait), error });
    call.notBefore = Math.max(call.notBefore, Date.now() + wait);
    call.putBack(batch);
  }

  private waitTooLong(what: string, maxWait: number, retryAfterMs: number | undefined): EmbeddingError {
    return new EmbeddingError(
      'throttled',
      `Azure OpenAI deployment '${this.cfg.deployment}' is throttled and ${what} ` +
        `(more than the ${Math.round(maxWait / 1000)} s this client waits); try again later or raise the deployment's quota.`,
      { status: 429, retryAfterMs },
    );
  }

  private async request(texts: string[], positions: number[], localTokens: number, signal: AbortSignal): Promise<Answer> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.cfg.timeoutMs);
    try {
      const { data, response } = await this.client.embeddings
        .create(
          {
            input: texts,
            model: this.model,
            encoding_format: 'base64',
            ...(this.cfg.sendDimensions ? { dimensions: this.cfg.dimensions } : {}),
          },
          { signal: AbortSignal.any([signal, timeout.signal]) },
        )
        .withResponse();
      const limits = readRateLimitHeaders(response.headers);
      try {
        return { ok: true, ...this.check(data, positions, localTokens), limits };
      } catch (e) {
        return { ok: false, error: e as EmbeddingError, limits };
      }
    } catch (e) {
      if (signal.aborted) return { ok: false, error: cancelled() };
      const limits = e instanceof APIError ? readRateLimitHeaders(e.headers) : undefined;
      return { ok: false, error: this.toError(e, timeout.signal.aborted, limits), limits };
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

  private toError(e: unknown, timedOut: boolean, limits: RateLimitHeaders | undefined): EmbeddingError {
    const where = `Azure OpenAI deployment '${this.cfg.deployment}' at ${this.cfg.endpoint}`;
    const signIn = signInErrorOf(e);
    if (signIn)
      return new EmbeddingError('auth', `Could not sign in to Microsoft Entra ID for ${where}: ${this.redact(signIn.message)}`, { auth: 'entra', cause: signIn });
    if (timedOut || e instanceof APIConnectionTimeoutError)
      return new EmbeddingError('timeout', `${where} did not answer within ${this.cfg.timeoutMs} ms.`, { retryable: true });
    if (e instanceof APIError && e.status !== undefined) {
      const status = e.status;
      const detail = this.redact(e.message);
      if ((status === 401 || status === 403) && this.cfg.auth === 'entra') {
        this.hooks.entraTokens?.rejected();
        return new EmbeddingError(
          'auth',
          `${where} rejected the Microsoft Entra ID sign-in (HTTP ${status}: ${detail}); check the signed-in account and tenant, ` +
            `and that the account has the Cognitive Services OpenAI User role on the resource.`,
          { status, auth: 'entra' },
        );
      }
      if (status === 401 || status === 403)
        return new EmbeddingError('auth', `${where} rejected the API key (HTTP ${status}: ${detail}); check the key and the endpoint.`, { status, auth: 'key' });
      if (status === 429) {
        const retryAfterMs = limits?.retryAfterMs;
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
    const keyless = this.cfg.apiKey ? text.split(this.cfg.apiKey).join('***') : text;
    return this.hooks.entraTokens ? this.hooks.entraTokens.redact(keyless) : keyless;
  }
}

/** The SDK's Azure client, keeping the reason of a refused token (its body has another shape: withGatewayReason). */
class AzureClient extends AzureOpenAI {
  protected override makeStatusError(status: number, error: object, message: string | undefined, headers: Headers) {
    return super.makeStatusError(status, withGatewayReason(error)!, message, headers);
  }
}

function cancelled(why?: string): EmbeddingError {
  return new EmbeddingError('cancelled', why ? `Embedding ${why}.` : 'Embedding was cancelled.');
}

function describeCause(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string; code?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? String(e)} (${cause})` : (err.message ?? String(e));
}
