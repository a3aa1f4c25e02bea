// BitNet chat through the `openai` package (Azure AI Foundry or bitnet.cpp/llama.cpp, both OpenAI-compatible): a
// streaming client with clear failures, for both auth styles.
import { APIConnectionError, APIConnectionTimeoutError, APIError, OpenAI } from 'openai';
import { z } from 'zod';
import { signInErrorOf, withGatewayReason, type EntraTokens } from '../auth';
import type { ChatConfig } from '../config';
import { EngineError } from '../errors';
import { parseRetryAfter } from '../retryAfter';
import type { ChatMessage } from './prompt';

export type ChatEvent =
  | { type: 'delta'; text: string }
  | { type: 'usage'; promptTokens: number; completionTokens: number }
  /** Why the model stopped: 'stop' (done), 'length' (the token limit cut it), or what else the server says. */
  | { type: 'finish'; reason: string }
  /**
   * llama.cpp's own measurements, on the last event of current llama.cpp builds (bitnet.cpp's older fork sends none):
   * the prompt tokens it processed and how long that took.
   */
  | { type: 'timings'; promptTokens: number; promptMs: number; cachedTokens?: number };

/** Sent as `model` when none is configured: bitnet.cpp ignores it and Foundry deployments of BitNet accept it. */
export const DEFAULT_MODEL = 'bitnet-b1.58-2b-4t';

export type ChatErrorKind = 'auth' | 'throttled' | 'timeout' | 'cancelled' | 'malformed-stream' | 'cut-off' | 'context-length' | 'http' | 'network';

export class ChatError extends EngineError<
  ChatErrorKind,
  {
    status?: number;
    /** Text received before the failure, so a cut-off answer can still be shown (marked incomplete). */
    partialText?: string;
    retryAfterMs?: number;
    /** kind 'auth': how the request signed in, so a host names the right remedy (the key, or the Entra ID sign-in). */
    auth?: 'key' | 'entra';
  }
> {
  constructor(kind: ChatErrorKind, message: string, details: ChatError['details'] & { cause?: unknown } = {}) {
    super(kind, message, details);
  }
}

const chunkSchema = z.object({
  choices: z.array(
    z.object({
      delta: z.object({ content: z.string().nullish() }).nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).nullish(),
  timings: z.object({ prompt_n: z.number().nonnegative(), prompt_ms: z.number().nonnegative(), cache_n: z.number().nonnegative().optional() }).passthrough().nullish(),
});

/** How servers say a prompt did not fit: llama.cpp ("exceeds the available context size", n_ctx), OpenAI/Azure (context_length_exceeded). */
const CONTEXT_LENGTH = /context[_ ]length[_ ]exceeded|maximum context length|exceeds? the available context|n_ctx|context size|too many tokens|prompt is too long/i;
/** How an OpenAI-compatible server refuses a field it does not know (a 400 naming it). */
const UNKNOWN_FIELD = /cache_prompt|unrecognized|unknown (field|parameter|argument)|additional propert|extra (fields|inputs)/i;

export class ChatClient {
  readonly model: string;
  private readonly client: OpenAI;
  /**
   * llama.cpp-family servers (bitnet.cpp) reuse the KV cache of the prompt prefix a slot saw last with `cache_prompt`;
   * a server that refuses unknown fields says so once (a 400 naming it) and is not sent it again.
   */
  private sendCachePrompt = true;

  /**
   * `entraTokens` is required with the `entra` auth style (an Azure AI Foundry endpoint whose keys are off): the SDK
   * asks it for a token before every request and sends it as `Authorization: Bearer`.
   */
  constructor(
    private readonly cfg: ChatConfig,
    private readonly entraTokens?: EntraTokens,
  ) {
    this.model = cfg.model ?? DEFAULT_MODEL;
    const entra = cfg.authStyle === 'entra';
    if (entra && !entraTokens) throw new ChatError('auth', 'A BitNet endpoint with Entra ID sign-in needs a token provider from the host.', { auth: 'entra' });
    const bearer = entra || (cfg.authStyle === 'bearer' && cfg.apiKey !== undefined);
    this.client = new GatewayClient({
      baseURL: cfg.endpoint,
      // The SDK insists on a key. Without bearer auth its Authorization header is removed, so no placeholder is sent.
      apiKey: entra ? () => entraTokens!.token() : bearer ? cfg.apiKey : 'unused',
      defaultHeaders: bearer ? undefined : { Authorization: null, ...(cfg.apiKey !== undefined ? { 'api-key': cfg.apiKey } : {}) },
      defaultQuery: cfg.apiVersion ? { 'api-version': cfg.apiVersion } : undefined,
      maxRetries: 0, // an interactive answer reports throttling at once instead of hanging in a retry wait
      timeout: cfg.timeoutMs,
      organization: null, // never pick up OPENAI_* variables meant for another service
      project: null,
      adminAPIKey: null,
      logLevel: 'off',
    });
  }

  /**
   * Streams the answer. cfg.timeoutMs bounds the wait for the first byte and every gap between chunks, so a long but
   * live answer is never cut while a stalled one fails. Ends with a ChatError unless the answer finished.
   */
  async *stream(messages: ChatMessage[], opts: { signal?: AbortSignal; maxTokens?: number } = {}): AsyncGenerator<ChatEvent, void, undefined> {
    try {
      yield* this.streamOnce(messages, opts);
    } catch (e) {
      if (!(this.sendCachePrompt && e instanceof ChatError && e.kind === 'http' && e.details.status === 400 && UNKNOWN_FIELD.test(e.message))) throw e;
      this.sendCachePrompt = false;
      yield* this.streamOnce(messages, opts);
    }
  }

  /** Whether requests still carry `cache_prompt` (false once the server refused it). */
  get cachesPrompts(): boolean {
    return this.sendCachePrompt;
  }

  private async *streamOnce(messages: ChatMessage[], opts: { signal?: AbortSignal; maxTokens?: number }): AsyncGenerator<ChatEvent, void, undefined> {
    const abort = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, this.cfg.timeoutMs);
    };
    const cancel = () => abort.abort();
    opts.signal?.addEventListener('abort', cancel, { once: true });
    let text = '';
    let streaming = false;
    try {
      if (opts.signal?.aborted) abort.abort();
      arm();
      const stream = await this.client.chat.completions.create(
        {
          model: this.model,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: opts.maxTokens ?? this.cfg.maxAnswerTokens,
          temperature: this.cfg.temperature,
          ...(this.sendCachePrompt ? { cache_prompt: true } : {}),
        } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming,
        { signal: abort.signal },
      );
      streaming = true;
      let finished = false;
      for await (const raw of stream) {
        clearTimeout(timer); // the clock measures the server's silence, not the time the consumer spends on a delta
        const chunk = chunkSchema.safeParse(raw);
        if (!chunk.success) throw new ChatError('malformed-stream', `${this.where()} sent a chunk that is not a chat-completions chunk.`, { partialText: text });
        // Azure sends prompt-filter results and the usage in chunks with no choices.
        const choice = chunk.data.choices[0];
        const piece = choice?.delta?.content;
        if (piece) {
          text += piece;
          yield { type: 'delta', text: piece };
        }
        if (choice?.finish_reason) {
          finished = true;
          yield { type: 'finish', reason: choice.finish_reason };
        }
        const usage = chunk.data.usage;
        if (usage) yield { type: 'usage', promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
        const timings = chunk.data.timings;
        if (timings) yield { type: 'timings', promptTokens: timings.prompt_n, promptMs: timings.prompt_ms, cachedTokens: timings.cache_n };
        arm();
      }
      // The SDK ends the iteration quietly when aborted.
      if (abort.signal.aborted) throw new Error('aborted');
      if (!finished) throw new ChatError('cut-off', `${this.where()} ended the answer before it was complete.`, { partialText: text });
    } catch (e) {
      throw this.toError(e, { timedOut, cancelled: opts.signal?.aborted === true, streaming, text });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', cancel);
    }
  }

  private where(): string {
    return `The BitNet endpoint ${this.cfg.endpoint}`;
  }

  private toError(e: unknown, s: { timedOut: boolean; cancelled: boolean; streaming: boolean; text: string }): ChatError {
    const partialText = s.text;
    if (e instanceof ChatError) return e;
    const signIn = signInErrorOf(e);
    if (signIn) return new ChatError('auth', `Could not sign in to Microsoft Entra ID for ${this.where()}: ${this.redact(signIn.message)}`, { auth: 'entra', cause: signIn });
    if (s.cancelled) return new ChatError('cancelled', 'The answer was cancelled.', { partialText });
    if (s.timedOut || e instanceof APIConnectionTimeoutError) {
      const what = s.streaming ? `stopped sending for ${this.cfg.timeoutMs} ms` : `did not answer within ${this.cfg.timeoutMs} ms`;
      return new ChatError('timeout', `${this.where()} ${what}.`, { partialText });
    }
    if (e instanceof APIConnectionError) return new ChatError('network', `Could not reach ${this.where()}: ${this.redact(causeOf(e))}`);
    if (e instanceof APIError) {
      const status = e.status;
      const detail = this.redact(e.message);
      if (status === undefined) return new ChatError('http', `${this.where()} reported an error during the answer: ${detail}`, { partialText });
      if ((status === 401 || status === 403) && this.cfg.authStyle === 'entra') {
        this.entraTokens?.rejected();
        return new ChatError(
          'auth',
          `${this.where()} rejected the Microsoft Entra ID sign-in (HTTP ${status}: ${detail}); check the signed-in account and tenant, and the account's role on the resource.`,
          { status, auth: 'entra' },
        );
      }
      if (status === 401 || status === 403)
        return new ChatError('auth', `${this.where()} rejected the credentials (HTTP ${status}); check the API key and the auth style (${this.cfg.authStyle}).`, { status, auth: 'key' });
      if (status === 429)
        return new ChatError('throttled', `${this.where()} is busy or over its quota (HTTP 429); try again shortly.`, { status, retryAfterMs: parseRetryAfter(e.headers) });
      if ((status === 400 || status === 413) && CONTEXT_LENGTH.test(detail))
        return new ChatError('context-length', `${this.where()} says the prompt does not fit the model's context: ${detail}`, { status });
      if (status === 404)
        return new ChatError('http', `${this.where()} has no ${this.cfg.endpoint}/chat/completions (HTTP 404); check the endpoint URL: ${detail}`, { status });
      return new ChatError('http', `${this.where()} failed with HTTP ${status}: ${detail}`, { status });
    }
    if (e instanceof SyntaxError) return new ChatError('malformed-stream', `${this.where()} sent an event that is not valid JSON.`, { partialText });
    // A connection dropped after the answer started (undici: "terminated") cuts the answer off.
    if (s.streaming) return new ChatError('cut-off', `${this.where()} closed the connection before the answer was complete.`, { partialText });
    return new ChatError('network', `Could not reach ${this.where()}: ${this.redact(causeOf(e))}`);
  }

  private redact(text: string): string {
    const keyless = this.cfg.apiKey ? text.split(this.cfg.apiKey).join('***') : text;
    return this.entraTokens ? this.entraTokens.redact(keyless) : keyless;
  }
}

/** The SDK's client, keeping the reason of a token Azure AI Foundry refused (its body has another shape: withGatewayReason). */
class GatewayClient extends OpenAI {
  protected override makeStatusError(status: number, error: object, message: string | undefined, headers: Headers) {
    return super.makeStatusError(status, withGatewayReason(error)!, message, headers);
  }
}

function causeOf(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string; code?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? String(e)} (${cause})` : (err.message ?? String(e));
}
