// One generated answer at BitNet's real speed. The sources sent are what the endpoint reads within the first-token
// target at its learned prompt speed (speed.ts), counting only what its prompt cache has not seen: the sources the
// previous prompt shared go first, in its order, so a follow-up on the same topic is read from where the last one
// diverged. A short 429 is waited out once, a prompt the server finds too long is retried once with fewer sources, and
// an answer that ends early is kept and marked incomplete rather than replaced by an error.
import { setTimeout as delay } from 'node:timers/promises';
import { countTokens } from '../tokens';
import { CitationParser } from './citations';
import { ChatError, type ChatClient } from './client';
import { buildMessages, promptTokens, promptText, trimAround, type ChatMessage, type PromptSource } from './prompt';
import type { PromptSpeed } from './speed';

/** Why an answer is incomplete: cut by the token limit, nothing said, or the stream ended early. */
export type Incomplete = 'length' | 'empty' | 'cut-off';

export type GenerationProgress =
  /** The prompt is sent: `newTokens` of its `promptTokens` are not in the server's cache and take about `estimatedMs`. */
  | { kind: 'reading'; promptTokens: number; newTokens: number; estimatedMs: number }
  /** The endpoint is busy (429) and asked to wait this long; the answer is retried once after it. */
  | { kind: 'waiting'; ms: number };

export interface GenerationOptions<S extends PromptSource> {
  /** The workspace asked about: sources of another workspace's previous prompt are not this one's. */
  scope: string;
  question: string;
  /** Packed in the context budget, best first. */
  sources: S[];
  history: ChatMessage[];
  maxAnswerTokens: number;
  signal?: AbortSignal;
  onDelta?: (text: string) => void;
  onProgress?: (p: GenerationProgress) => void;
  /** The sources actually sent, renumbered in prompt order, before the first delta. */
  onPromptSources?: (sources: S[]) => void;
}

export interface Generation<S extends PromptSource> {
  text: string;
  sources: S[];
  cited: number[];
  droppedCitations: number;
  complete: boolean;
  incomplete?: Incomplete;
  usage?: { promptTokens: number; completionTokens: number };
  firstTokenMs?: number;
  prompt: { tokens: number; newTokens: number; estimatedFirstTokenMs: number };
}

/** The longest wait of a 429 worth sitting out in front of a user; a longer one is reported. */
const MAX_THROTTLE_WAIT_MS = 15_000;
/** Sources always sent, whatever the speed: an answer needs something to cite. */
const MIN_SOURCES = 1;
/** The least a trimmed source is worth sending: its label, its fence and a few lines. */
const MIN_TRIMMED_TOKENS = 96;

export class GenerationSession {
  /** The last prompt this endpoint was sent, as one text: what its cache holds (llama.cpp keeps a slot's last prompt). */
  private lastPrompt = '';
  private lastSources: string[] = [];

  constructor(
    private readonly chat: ChatClient,
    private readonly speed: PromptSpeed,
    private readonly endpoint: string,
    private readonly firstTokenSeconds: number,
  ) {}

  async generate<S extends PromptSource>(o: GenerationOptions<S>): Promise<Generation<S>> {
    let sources = await this.choose(o);
    try {
      return await this.attempt(o, sources, true);
    } catch (e) {
      // A server whose context is smaller than configured refuses the prompt before answering: once with half the sources.
      if (!(e instanceof ChatError && e.kind === 'context-length') || sources.length <= MIN_SOURCES) throw e;
      sources = renumber(sources.slice(0, Math.max(MIN_SOURCES, Math.floor(sources.length / 2))));
      return this.attempt(o, sources, false);
    }
  }

  /** The sources of the previous prompt first (in its order), then the rest by rank, as many as the speed allows. */
  private async choose<S extends PromptSource>(o: GenerationOptions<S>): Promise<S[]> {
    const key = (s: PromptSource) => sourceKey(o.scope, s);
    const rank = new Map(this.lastSources.map((k, i) => [k, i]));
    const ordered = [...o.sources].sort((a, b) => (rank.get(key(a)) ?? Infinity) - (rank.get(key(b)) ?? Infinity));
    const speed = await this.speed.estimate(this.endpoint);
    const budget = this.firstTokenSeconds * speed;
    const chosen: S[] = [];
    const cost = (sources: S[]) => this.newTokens(buildMessages({ question: o.question, sources: renumber(sources), history: o.history }));
    for (const s of ordered) {
      if (cost([...chosen, s]) <= budget) {
        chosen.push(s);
        continue;
      }
      // What is left of the budget takes the lines around the source's best hit, not the whole merged section; the
      // first source always goes, at least as its hit's first lines (bench/quality: whole first sources of p50 1,225
      // tokens kept 41 of 58 first prompts over an 8 s budget).
      const room = Math.max(budget - cost(chosen), chosen.length < MIN_SOURCES ? MIN_TRIMMED_TOKENS : 0);
      const trimmed = room >= MIN_TRIMMED_TOKENS ? trimAround(s, room) : undefined;
      if (trimmed) chosen.push(trimmed);
      break;
    }
    return renumber(chosen);
  }

  /** Prompt tokens the server must read: those after the prefix it shares with the previous prompt. */
  private newTokens(messages: ChatMessage[]): number {
    const text = promptText(messages);
    let shared = 0;
    const max = Math.min(text.length, this.lastPrompt.length);
    while (shared < max && text.charCodeAt(shared) === this.lastPrompt.charCodeAt(shared)) shared++;
    const total = promptTokens(messages);
    return shared === 0 ? total : Math.max(0, total - countTokens(text.slice(0, shared)));
  }

  private async attempt<S extends PromptSource>(o: GenerationOptions<S>, sources: S[], mayWait: boolean): Promise<Generation<S>> {
    const messages = buildMessages({ question: o.question, sources, history: o.history });
    const tokens = promptTokens(messages);
    const newTokens = this.newTokens(messages);
    const speed = await this.speed.estimate(this.endpoint);
    const estimatedFirstTokenMs = Math.round((newTokens / speed) * 1000);
    o.onPromptSources?.(sources);
    o.onProgress?.({ kind: 'reading', promptTokens: tokens, newTokens, estimatedMs: estimatedFirstTokenMs });

    const parser = new CitationParser(sources.length);
    const started = performance.now();
    let text = '';
    let firstTokenMs: number | undefined;
    let usage: Generation<S>['usage'];
    let finish: string | undefined;
    let timings: { promptTokens: number; promptMs: number } | undefined;
    const emit = (piece: string) => {
      if (!piece) return;
      firstTokenMs ??= performance.now() - started;
      text += piece;
      o.onDelta?.(piece);
    };
    let incomplete: Incomplete | undefined;
    try {
      for await (const event of this.chat.stream(messages, { signal: o.signal, maxTokens: o.maxAnswerTokens })) {
        if (event.type === 'delta') emit(parser.push(event.text));
        else if (event.type === 'usage') usage = { promptTokens: event.promptTokens, completionTokens: event.completionTokens };
        else if (event.type === 'finish') finish = event.reason;
        else timings = event;
      }
    } catch (e) {
      if (!(e instanceof ChatError)) throw e;
      const waitMs = e.details.retryAfterMs;
      if (e.kind === 'throttled' && mayWait && text === '' && waitMs !== undefined && waitMs <= MAX_THROTTLE_WAIT_MS) {
        o.onProgress?.({ kind: 'waiting', ms: waitMs });
        await delay(waitMs, undefined, { signal: o.signal });
        return this.attempt(o, sources, false);
      }
      // What came before a stream broke is kept, marked incomplete; a failure before any word is an error.
      if (text === '' || !['cut-off', 'malformed-stream', 'timeout', 'http'].includes(e.kind)) throw e;
      incomplete = 'cut-off';
    }
    emit(parser.end());
    this.lastPrompt = promptText(messages);
    this.lastSources = sources.map((s) => sourceKey(o.scope, s));
    // llama.cpp's own count of what it read, else the time to the first token over what it had to read.
    if (timings) await this.speed.observe(this.endpoint, timings.promptTokens, timings.promptMs);
    else if (firstTokenMs !== undefined) await this.speed.observe(this.endpoint, newTokens, firstTokenMs);
    incomplete ??= finish === 'length' ? 'length' : text.trim() === '' ? 'empty' : undefined;
    return {
      text,
      sources,
      cited: parser.cited,
      droppedCitations: parser.dropped,
      complete: incomplete === undefined,
      incomplete,
      usage,
      firstTokenMs,
      prompt: { tokens, newTokens, estimatedFirstTokenMs },
    };
  }
}

const sourceKey = (scope: string, s: PromptSource) => `${scope}\0${s.path}:${s.startLine}-${s.endLine}`;

/** Sources numbered 1..n in the order given, as the prompt shows them. */
function renumber<S extends PromptSource>(sources: S[]): S[] {
  return sources.map((s, i) => ({ ...s, n: i + 1 }));
}
