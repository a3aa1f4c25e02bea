// BitNet chat through the `openai` package (Azure AI Foundry or bitnet.cpp/llama.cpp, both OpenAI-compatible): the
// prompt with numbered sources, its token accounting, a streaming client with clear failures, and citation parsing.
import { APIConnectionError, APIConnectionTimeoutError, APIError, OpenAI } from 'openai';
import { z } from 'zod';
import type { ChatConfig } from './config';
import { countTokens } from './tokens';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A numbered source as the prompt shows it. */
export interface PromptSource {
  n: number;
  path: string;
  startLine: number;
  endLine: number;
  language: string;
  /** Context of a split symbol (e.g. the class signature), shown before the text. */
  header?: string;
  text: string;
}

export type ChatEvent = { type: 'delta'; text: string } | { type: 'usage'; promptTokens: number; completionTokens: number };

/** Sent as `model` when none is configured: bitnet.cpp ignores it and Foundry deployments of BitNet accept it. */
export const DEFAULT_MODEL = 'bitnet-b1.58-2b-4t';

// BitNet has 4096 tokens for everything: the instructions stay short.
export const SYSTEM_PROMPT =
  "Answer questions about the user's files using only the numbered sources in the message. " +
  'Cite each source you use by its number in square brackets, like [1] or [2][3]. ' +
  'If the sources do not contain the answer, say so plainly; never guess. Be brief.';

/** Chat-template tokens around each message (LLaMA 3 style headers and end-of-turn), and before the reply. */
const MESSAGE_OVERHEAD = 5;
const REPLY_PRIMING = 5;
const SOURCES_HEADING = 'Sources:\n\n';
const SOURCE_SEPARATOR = '\n\n';

/** `[n] path:start-end` and the text in a fence longer than any backtick run inside it. */
export function renderSource(s: PromptSource): string {
  const body = (s.header ? `${s.header}\n` : '') + s.text.replace(/\n$/, '');
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `[${s.n}] ${s.path}:${s.startLine}-${s.endLine}\n${fence}${s.language}\n${body}\n${fence}`;
}

/** System prompt, earlier turns, then one user message: the sources followed by the question. */
export function buildMessages(args: { question: string; sources: PromptSource[]; history?: ChatMessage[] }): ChatMessage[] {
  const sources = args.sources.length ? SOURCES_HEADING + args.sources.map((s) => renderSource(s) + SOURCE_SEPARATOR).join('') : '';
  return [{ role: 'system', content: SYSTEM_PROMPT }, ...(args.history ?? []), { role: 'user', content: `${sources}${questionLine(args.question)}` }];
}

const questionLine = (question: string) => `Question: ${question.trim()}`;

/** Prompt tokens of the messages, template overhead included (cl100k count). */
export function promptTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + countTokens(m.content) + MESSAGE_OVERHEAD, REPLY_PRIMING);
}

/**
 * Tokens of everything but the sources; with sourceTokens() it adds up to promptTokens(buildMessages(...)), so the
 * retriever can pack sources into contextTokens - maxAnswerTokens - promptOverheadTokens(question, history).
 */
export function promptOverheadTokens(question: string, history: ChatMessage[] = []): number {
  return promptTokens([{ role: 'system', content: SYSTEM_PROMPT }, ...history, { role: 'user', content: questionLine(question) }]) + countTokens(SOURCES_HEADING);
}

/** Tokens one source adds to the prompt. */
export function sourceTokens(source: PromptSource): number {
  return countTokens(renderSource(source) + SOURCE_SEPARATOR);
}

// ---- Streaming client ----

export type ChatErrorKind = 'auth' | 'throttled' | 'timeout' | 'cancelled' | 'malformed-stream' | 'cut-off' | 'http' | 'network';

export class ChatError extends Error {
  readonly status?: number;
  /** Text received before the failure, so a cut-off answer can still be shown (marked incomplete). */
  readonly partialText: string;
  readonly retryAfterMs?: number;

  constructor(
    readonly kind: ChatErrorKind,
    message: string,
    details: { status?: number; partialText?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'ChatError';
    this.status = details.status;
    this.partialText = details.partialText ?? '';
    this.retryAfterMs = details.retryAfterMs;
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
});

export class ChatClient {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(private readonly cfg: ChatConfig) {
    this.model = cfg.model ?? DEFAULT_MODEL;
    const bearer = cfg.authStyle === 'bearer' && cfg.apiKey !== undefined;
    this.client = new OpenAI({
      baseURL: cfg.endpoint,
      // The SDK insists on a key. Without bearer auth its Authorization header is removed, so no placeholder is sent.
      apiKey: bearer ? cfg.apiKey : 'unused',
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
        },
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
        if (choice?.finish_reason) finished = true;
        const usage = chunk.data.usage;
        if (usage) yield { type: 'usage', promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
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
      if (status === 401 || status === 403)
        return new ChatError('auth', `${this.where()} rejected the credentials (HTTP ${status}); check the API key and the auth style (${this.cfg.authStyle}).`, { status });
      if (status === 429)
        return new ChatError('throttled', `${this.where()} is busy or over its quota (HTTP 429); try again shortly.`, { status, retryAfterMs: retryAfter(e.headers) });
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
    return this.cfg.apiKey ? text.split(this.cfg.apiKey).join('***') : text;
  }
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const seconds = Number.parseFloat(headers?.get('retry-after') ?? '');
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function causeOf(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string; code?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? String(e)} (${cause})` : (err.message ?? String(e));
}

// ---- Citations ----

const CITATION = /^\[\s*\d{1,4}(?:\s*,\s*\d{1,4})*\s*\]/;
/** What a citation can look like before its closing bracket has arrived. */
const CITATION_PREFIX = /^\[[\s\d,]{0,40}$/;
const isBlank = (ch: string) => ch === ' ' || ch === '\t';

/**
 * Where an inline code span opened by `run` backticks ending at `from` closes: the index after its closing run; -1
 * when the line (or the text) ends first, so the backtick is literal; undefined when the text so far cannot tell.
 */
function inlineSpanEnd(text: string, from: number, run: number): number | undefined {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\n') return -1;
    if (text[i] !== '`') continue;
    let j = i;
    while (j < text.length && text[j] === '`') j++;
    if (j === text.length) return undefined; // the run may grow
    if (j - i === run) return j;
    i = j - 1;
  }
  return undefined;
}

/**
 * Turns streamed answer text into clean text plus the sources it cites. Fed deltas in order; markers may be split
 * across deltas, so text that could still become one is held back until it is decided.
 *
 * - `[1]`, `[1, 3]`, `[1][2]` cite; numbers of sources that do not exist are removed (with the blank before a
 *   marker that is removed entirely) and counted in `droppedCitations`.
 * - Not citations: anything inside backtick code spans (closed on their line) or fenced blocks, markdown links `[1](url)`, non-numeric
 *   brackets `[x]`, and a bracket glued to an identifier, `)` or a non-citation `]` (`a[0]`, `f(x)[2]`) unless every
 *   number in it is a real source: then it is read as a citation (`config[2]`), otherwise left verbatim as indexing.
 */
export class CitationParser {
  /** Cited source numbers in order of first use. */
  readonly cited: number[] = [];
  droppedCitations = 0;
  private readonly valid: Set<number>;
  private pending = '';
  /** Length of the backtick run that opened the current code span; 0 in prose. */
  private codeRun = 0;
  private prev = '';
  private prevClosedCitation = false;

  /** The sources are numbered 1..count, or given as the sources themselves. */
  constructor(sources: number | ReadonlyArray<{ n: number }>) {
    this.valid = new Set(typeof sources === 'number' ? Array.from({ length: sources }, (_, i) => i + 1) : sources.map((s) => s.n));
  }

  /** Alias of droppedCitations. */
  get dropped(): number {
    return this.droppedCitations;
  }

  /** Feeds a delta; returns the text that is now decided. */
  push(delta: string): string {
    this.pending += delta;
    return this.drain(false);
  }

  /** The rest of the text at the end of the stream. */
  end(): string {
    return this.drain(true);
  }

  private drain(final: boolean): string {
    const b = this.pending;
    let out = '';
    const emit = (s: string, closesCitation = false) => {
      if (!s) return;
      out += s;
      this.prev = s[s.length - 1];
      this.prevClosedCitation = closesCitation;
    };
    let i = 0;
    while (i < b.length) {
      const ch = b[i];
      if (ch === '`') {
        let j = i;
        while (j < b.length && b[j] === '`') j++;
        if (j === b.length && !final) break; // the run may continue in the next delta
        const run = j - i;
        if (this.codeRun === 0 && run < 3) {
          // An inline code span closes on the same line; an unmatched backtick is just a character, so one stray
          // backtick cannot hide every citation after it.
          const close = inlineSpanEnd(b, j, run);
          if (close === undefined && !final) break; // undecided until the closing run or the end of the line arrives
          if (close !== undefined && close > 0) {
            emit(b.slice(i, close));
            i = close;
            continue;
          }
          emit(b.slice(i, j));
          i = j;
          continue;
        }
        if (this.codeRun === 0) this.codeRun = run;
        else if (run === this.codeRun) this.codeRun = 0;
        emit(b.slice(i, j));
        i = j;
        continue;
      }
      if (this.codeRun > 0 || (ch !== '[' && !isBlank(ch))) {
        emit(ch);
        i++;
        continue;
      }
      // Blanks, then possibly a citation: decided together, as a dropped marker takes the blank before it along.
      let k = i;
      while (k < b.length && isBlank(b[k])) k++;
      if (k === b.length) {
        if (final) emit(b.slice(i));
        i = final ? k : i;
        break;
      }
      if (b[k] !== '[') {
        emit(b.slice(i, k));
        i = k;
        continue;
      }
      const rest = b.slice(k);
      const m = CITATION.exec(rest);
      if (!m) {
        if (!final && CITATION_PREFIX.test(rest)) break;
        emit(b.slice(i, k + 1));
        i = k + 1;
        continue;
      }
      const after = k + m[0].length;
      if (after === b.length && !final) break; // a "(" next would make it a link
      if (b[after] === '(') {
        emit(b.slice(i, after));
        i = after;
        continue;
      }
      const nums = (m[0].match(/\d+/g) ?? []).map(Number);
      const keep = nums.filter((n) => this.valid.has(n));
      const glued = k === i && (/[\p{L}\p{N}_)]/u.test(this.prev) || (this.prev === ']' && !this.prevClosedCitation));
      if (glued && keep.length < nums.length) {
        emit(b.slice(i, after));
        i = after;
        continue;
      }
      for (const n of keep) if (!this.cited.includes(n)) this.cited.push(n);
      this.droppedCitations += nums.length - keep.length;
      if (keep.length === nums.length) emit(b.slice(i, after), true);
      else if (keep.length > 0) emit(`${b.slice(i, k)}[${keep.join(', ')}]`, true);
      i = after;
    }
    this.pending = b.slice(i);
    return out;
  }
}
