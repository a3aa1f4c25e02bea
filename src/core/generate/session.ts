// One generated answer at BitNet's real speed. The sources sent are what the endpoint reads within the first-token
// target at its learned prompt speed (speed.ts), counting only what its prompt cache has not seen: the passages the
// previous prompt showed go first, unchanged and in its order, so a follow-up on the same topic is read from where the
// last one diverged; sources that do not fit whole send their most relevant lines (passage.ts). A short 429 is waited out once, a prompt the server finds too long is retried once with fewer sources, and
// an answer that ends early is kept and marked incomplete rather than replaced by an error.
import { setTimeout as delay } from 'node:timers/promises';
import { countTokens } from '../tokens';
import { CitationParser } from './citations';
import { ChatError, type ChatClient } from './client';
import { termWeights } from '../words';
import { passageOf } from './passage';
import { buildMessages, promptOverheadTokens, promptTokens, promptText, sourceTokens, type ChatMessage, type PromptSource } from './prompt';
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
/** The least a passage is worth sending: its label, its fence and a few lines (the gold answers' median is 5 lines). */
const MIN_PASSAGE_TOKENS = 96;
/**
 * Passages a prompt over its budget is split into, sharing the room evenly (what one leaves goes to the next).
 * bench:quality's answer-line recall at 8 s: 0.32 with 1, 0.36 with 2, 0.38 with 3, 0.33 with 4, 0.25 with 5; giving
 * the best source half the room instead scored 0.37.
 */
const MAX_PASSAGES = 3;

export class GenerationSession {
  /** The last prompt this endpoint was sent, as one text: what its cache holds (llama.cpp keeps a slot's last prompt). */
  private lastPrompt = '';
  private lastScope = '';
  private lastPassages: Passage[] = [];

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

  /**
   * The passages of the previous prompt that the new sources still hold, byte for byte and in their order (the
   * server's cache has read them), then the rest by rank: whole while everything fits, else a passage of each of the
   * best few (passage.ts), as many as the first-token budget allows.
   */
  private async choose<S extends PromptSource>(o: GenerationOptions<S>): Promise<S[]> {
    const budget = this.firstTokenSeconds * (await this.speed.estimate(this.endpoint));
    const cost = (sources: S[]) => this.newTokens(buildMessages({ question: o.question, sources: renumber(sources), history: o.history }));
    // A follow-up sends no more source tokens than a first question would: what it shares with the previous prompt
    // costs nothing to read, so it is answered from the cache instead of reading that much again.
    const coldRoom = budget - promptOverheadTokens(o.question);
    const sourceTotal = (sources: S[]) => sources.reduce((sum, s) => sum + sourceTokens(s), 0);
    const room = (chosen: S[]) => Math.min(budget - cost(chosen), coldRoom - sourceTotal(chosen));

    const { reused, rest } = this.reusable(o.scope, o.sources);
    const chosen: S[] = [];
    for (const s of reused) if (sourceTokens(s) <= room(chosen)) chosen.push(s);
    const weights = termWeights(o.question, o.sources.flatMap((s) => s.text.split('\n')));
    const allFit = sourceTotal(rest) <= room(chosen);
    let first = true;
    for (const s of rest) {
      if (!allFit && chosen.length >= MAX_PASSAGES) break;
      // The best new source always gets a passage: an answer needs something to cite, a follow-up something new.
      const left = Math.max(room(chosen), first ? MIN_PASSAGE_TOKENS : 0);
      if (left < MIN_PASSAGE_TOKENS) break;
      const share = allFit ? left : Math.max(MIN_PASSAGE_TOKENS, Math.floor(left / (MAX_PASSAGES - chosen.length)));
      const passage = passageOf(s, share, weights);
      if (passage) chosen.push(passage);
      first = false;
    }
    return renumber(chosen);
  }

  /** The previous prompt's passages that a new source still holds with the same text, and the sources left. */
  private reusable<S extends PromptSource>(scope: string, sources: S[]): { reused: S[]; rest: S[] } {
    const reused: S[] = [];
    const used = new Set<S>();
    if (this.lastScope === scope)
      for (const p of this.lastPassages) {
        const holder = sources.find((s) => !used.has(s) && holds(s, p));
        if (!holder) continue;
        used.add(holder);
        reused.push({ ...holder, startLine: p.startLine, endLine: p.endLine, text: p.text, header: p.header, column: p.column });
      }
    return { reused, rest: sources.filter((s) => !used.has(s)) };
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
    this.lastScope = o.scope;
    this.lastPassages = sources.map(({ path, startLine, endLine, text, header, column }) => ({ path, startLine, endLine, text, header, column }));
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

/** What the prompt showed of a source: the lines a follow-up can send again unchanged. */
type Passage = Pick<PromptSource, 'path' | 'startLine' | 'endLine' | 'text' | 'header' | 'column'>;

/** Whether `source` still holds `p`'s lines, unchanged (an edited file is read again). */
function holds(source: PromptSource, p: Passage): boolean {
  if (source.path !== p.path || source.column !== p.column) return false;
  if (source.column !== undefined) return source.startLine === p.startLine && source.text === p.text;
  if (source.startLine > p.startLine || p.endLine > source.endLine) return false;
  if (p.header !== undefined && (source.header !== p.header || source.startLine !== p.startLine)) return false;
  const lines = source.text.split('\n').slice(p.startLine - source.startLine, p.endLine - source.startLine + 1);
  return lines.join('\n') === p.text;
}

/** Sources numbered 1..n in the order given, as the prompt shows them. */
function renumber<S extends PromptSource>(sources: S[]): S[] {
  return sources.map((s, i) => ({ ...s, n: i + 1 }));
}
