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
  /** The context less the answer's reserve: a follow-up that keeps every earlier passage must fit it. */
  maxPromptTokens?: number;
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
  /** The conversation whose prompts this session laid out last, for a follow-up to send again unchanged. */
  private conversation?: Conversation;

  constructor(
    private readonly chat: ChatClient,
    private readonly speed: PromptSpeed,
    private readonly endpoint: string,
    private readonly firstTokenSeconds: number,
  ) {}

  async generate<S extends PromptSource>(o: GenerationOptions<S>): Promise<Generation<S>> {
    const conversation = this.continuing(o);
    let layout = conversation ? await this.followUp(o, conversation) : undefined;
    // A follow-up keeps every earlier passage: when that no longer fits the context, it starts afresh.
    if (!layout || (o.maxPromptTokens !== undefined && promptTokens(this.messages(o, layout)) > o.maxPromptTokens)) layout = await this.first(o);
    try {
      return await this.attempt(o, layout, true);
    } catch (e) {
      // A server whose context is smaller than configured refuses the prompt before answering: once with half the sources.
      const sources = [...layout.system, ...layout.turns.flatMap((t) => t.sources), ...layout.asked];
      if (!(e instanceof ChatError && e.kind === 'context-length') || sources.length <= MIN_SOURCES) throw e;
      return this.attempt(o, { system: renumber(sources.slice(0, Math.max(MIN_SOURCES, Math.floor(sources.length / 2)))), turns: [], asked: [] }, false);
    }
  }

  /**
   * A first question (or one whose conversation this session did not lay out): the sources by rank in the system
   * message, whole while everything fits, else a passage of each of the best few (passage.ts), as many as the
   * first-token budget allows.
   */
  private async first<S extends PromptSource>(o: GenerationOptions<S>): Promise<Layout<S>> {
    const budget = await this.budget();
    const cost = (sources: S[]) => this.newTokens(buildMessages({ question: o.question, sources: renumber(sources), history: o.history }));
    const chosen = pick(o, o.sources, { room: (picked) => budget - cost(picked), slots: MAX_PASSAGES, budget });
    return { system: renumber(chosen), turns: [], asked: [] };
  }

  /**
   * A follow-up in the conversation this session laid out: the earlier prompt unchanged (its system message and
   * sources, the earlier questions as they were sent), which the server's cache holds, then the new question with the
   * sources it brings that the earlier ones do not already show. It sends no more source tokens than a first
   * question would, counting the earlier passages that the new retrieval found again, so a follow-up on the same
   * topic is answered from the cache with little to read, and one on a new topic gets the whole room.
   */
  private async followUp<S extends PromptSource>(o: GenerationOptions<S>, c: Conversation): Promise<Layout<S> | undefined> {
    const budget = await this.budget();
    // One session serves one Asker, so the sources it kept are of the caller's type.
    const kept = [...c.system, ...c.turns.flatMap((t) => t.sources)] as S[];
    const fresh = o.sources.filter((s) => !kept.some((k) => overlaps(k, s)));
    const found = kept.filter((k) => o.sources.some((s) => overlaps(k, s)));
    const coldRoom = budget - promptOverheadTokens(o.question) - found.reduce((sum, k) => sum + sourceTokens(k), 0);
    const turns = c.turns.map((t) => ({ content: t.content, sources: t.sources as S[] }));
    const layout = (asked: S[]): Layout<S> => ({ system: c.system as S[], turns, asked: renumber(asked, kept.length) });
    const cost = (asked: S[]) => this.newTokens(this.messages(o, layout(asked)));
    const total = (asked: S[]) => asked.reduce((sum, s) => sum + sourceTokens(s), 0);
    const asked = pick(o, fresh, { room: (picked) => Math.min(budget - cost(picked), coldRoom - total(picked)), slots: Math.max(1, MAX_PASSAGES - found.length), budget });
    return layout(asked);
  }

  /** The conversation this session laid out, if `o` continues it: same workspace, the same earlier questions, no passage changed since. */
  private continuing(o: Pick<GenerationOptions<PromptSource>, 'scope' | 'history' | 'sources'>): Conversation | undefined {
    const c = this.conversation;
    if (!c || c.scope !== o.scope) return undefined;
    const asked = o.history.filter((m) => m.role === 'user').map((m) => m.content.trim());
    if (asked.length !== c.turns.length || asked.some((q, i) => q !== c.turns[i].question)) return undefined;
    const kept = [...c.system, ...c.turns.flatMap((t) => t.sources)];
    return kept.some((k) => o.sources.some((s) => contradicts(s, k))) ? undefined : c;
  }

  private async budget(): Promise<number> {
    return this.firstTokenSeconds * (await this.speed.estimate(this.endpoint));
  }

  private messages(o: Pick<GenerationOptions<PromptSource>, 'question' | 'history'>, layout: Layout<PromptSource>): ChatMessage[] {
    return buildMessages({ question: o.question, sources: layout.system, history: o.history, sentTurns: layout.turns.map((t) => t.content), askedSources: layout.asked });
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

  private async attempt<S extends PromptSource>(o: GenerationOptions<S>, layout: Layout<S>, mayWait: boolean): Promise<Generation<S>> {
    const messages = this.messages(o, layout);
    const sources = [...layout.system, ...layout.turns.flatMap((t) => t.sources), ...layout.asked];
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
        return this.attempt(o, layout, false);
      }
      // What came before a stream broke is kept, marked incomplete; a failure before any word is an error.
      if (text === '' || !['cut-off', 'malformed-stream', 'timeout', 'http'].includes(e.kind)) throw e;
      incomplete = 'cut-off';
    }
    emit(parser.end());
    this.lastPrompt = promptText(messages);
    // Every question as this prompt sent it, with the sources it brought, for the next follow-up to send again.
    const questions = [...o.history.filter((m) => m.role === 'user').map((m) => m.content.trim()), o.question.trim()];
    const sent = messages.filter((m) => m.role === 'user');
    const brought = [...layout.turns.map((t) => t.sources), layout.asked];
    this.conversation = { scope: o.scope, system: layout.system, turns: questions.map((question, i) => ({ question, content: sent[i].content, sources: brought[i] ?? [] })) };
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

/** Where a prompt's sources go: the system message, the earlier questions as they were sent, and with the question. */
interface Layout<S extends PromptSource> {
  system: S[];
  /** The earlier questions as sent, each with the sources it brought, in order; empty for a first question. */
  turns: Array<{ content: string; sources: S[] }>;
  asked: S[];
}

/** A conversation's prompts as this session laid them out: its system message's sources and each question as sent. */
interface Conversation {
  scope: string;
  system: PromptSource[];
  turns: Array<{ question: string; content: string; sources: PromptSource[] }>;
}

/**
 * Sources by rank, whole while all of them fit `room`, else a passage each of the best `slots`, sharing the room
 * evenly (what one leaves goes to the next). The best always gets a passage: an answer needs something to cite.
 */
function pick<S extends PromptSource>(o: Pick<GenerationOptions<S>, 'question' | 'sources'>, sources: S[], limits: { room: (picked: S[]) => number; slots: number; budget: number }): S[] {
  const weights = termWeights(o.question, o.sources.flatMap((s) => s.text.split('\n')));
  const picked: S[] = [];
  const allFit = sources.reduce((sum, s) => sum + sourceTokens(s), 0) <= limits.room(picked);
  for (const s of sources) {
    if (!allFit && picked.length >= limits.slots) break;
    const left = Math.max(limits.room(picked), picked.length === 0 ? MIN_PASSAGE_TOKENS : 0);
    if (left < MIN_PASSAGE_TOKENS) break;
    const share = allFit ? left : Math.max(MIN_PASSAGE_TOKENS, Math.floor(left / (limits.slots - picked.length)));
    const passage = passageOf(s, share, weights);
    if (passage) picked.push(passage);
  }
  return picked;
}

const overlaps = (a: PromptSource, b: PromptSource) => a.path === b.path && a.startLine <= b.endLine && b.startLine <= a.endLine;

/** Whether `source` shows any line of `kept` with other text: the file changed since the passage was sent. */
function contradicts(source: PromptSource, kept: PromptSource): boolean {
  if (!overlaps(source, kept)) return false;
  if (source.column !== undefined || kept.column !== undefined) return source.column === kept.column && source.startLine === kept.startLine && source.text !== kept.text;
  const mine = source.text.split('\n');
  const theirs = kept.text.split('\n');
  for (let line = Math.max(source.startLine, kept.startLine); line <= Math.min(source.endLine, kept.endLine); line++)
    if (mine[line - source.startLine] !== theirs[line - kept.startLine]) return true;
  return false;
}

/** Sources numbered from after `before` in the order given, as the prompt shows them. */
function renumber<S extends PromptSource>(sources: S[], before = 0): S[] {
  return sources.map((s, i) => ({ ...s, n: before + i + 1 }));
}
