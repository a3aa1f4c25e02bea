// Answers a question: retrieve sources into the budget BitNet leaves, stream the generation, keep only real citations.
// Without a chat endpoint it answers retrieval-only; without embeddings retrieval runs keyword-only. Both are labelled.
import type { ChatConfig } from './config';
import { ChatError, promptOverheadTokens, type ChatMessage } from './generate';
import type { GenerationProgress, GenerationSession, Incomplete } from './generate/session';
import { retrievalOnlyText } from './retrievalOnly';
import { checkQuestion, QuestionError, type Retriever, type Retrieval, type RetrievalMode, type Source } from './retrieve';
import type { EmbeddingBacklog } from './ports';
import { countTokens } from './tokens';

export type AnswerMode = 'generated' | 'retrieval-only' | 'no-sources';

export interface Answer {
  mode: AnswerMode;
  retrievalMode: RetrievalMode;
  text: string;
  /** Every source given to the model, numbered as in the answer. */
  sources: Source[];
  /** Source numbers the answer cites, in order of first use. */
  cited: number[];
  droppedCitations: number;
  /** False when the answer was cut by the token limit, said nothing, or its stream ended early (`incomplete` says which). */
  complete: boolean;
  incomplete?: Incomplete;
  /** A weak match: the question's words that no indexed file mentions (Retrieval.weakMatch); empty when all are found. */
  weakMatch?: string[];
  /** What this answer fell back to and why (embeddings or BitNet unavailable for it), for hosts to label it. */
  notices: string[];
  /**
   * Set while the workspace is partly embedded (keyword-first indexing has written chunks whose vectors are still
   * coming): the vector leg searched `embedded` of its `chunks`, full-text and graph search all of them.
   */
  embedding?: { chunks: number; embedded: number };
  usage?: { promptTokens: number; completionTokens: number };
  /** The prompt sent: its tokens, those the server's cache did not hold, and the first-token time they were expected to take. */
  prompt?: { tokens: number; newTokens: number; estimatedFirstTokenMs: number };
  timings: { retrievalMs: number; firstTokenMs?: number; totalMs: number };
}

export interface AskOptions {
  history?: ChatMessage[];
  signal?: AbortSignal;
  onSources?: (retrieval: Retrieval) => void;
  onDelta?: (text: string) => void;
  /** BitNet is reading the prompt (N tokens, about T ms), or waiting out a 429, or a fallback was taken. */
  onProgress?: (p: AnswerProgress) => void;
}

export type AnswerProgress = GenerationProgress | { kind: 'fallback'; message: string };

/** Share of the context that earlier turns may take; the rest goes to sources and the answer. */
const HISTORY_SHARE = 0.2;
/** cl100k counts approximate BitNet's LLaMA 3 tokenizer; keep a margin so the server never truncates the prompt. */
const TOKENIZER_MARGIN = 0.05;
/** Without a chat endpoint the budget is what a BitNet prompt would have had, so both modes show the same sources. */
const DEFAULT_CONTEXT = { contextTokens: 4096, maxAnswerTokens: 512 };
/** The least room for sources that still makes an answer: a source's label and fence and a few lines. */
const MIN_SOURCE_TOKENS = 128;

export const RETRIEVAL_ONLY_NOTE = 'Retrieval-only mode: no BitNet endpoint is configured, so these are the most relevant sources rather than a generated answer.';
export const KEYWORD_ONLY_NOTE = 'Keyword-only mode: no embeddings endpoint is configured, so sources were found by full-text and graph search only.';
const NO_SOURCES_TEXT = 'I found nothing in the indexed files that answers this. Try other words, or index the workspace if it has changed.';
/** BitNet failures after which the sources are still worth showing; a refused key or a cancel is reported instead. */
const FALLBACK_KINDS: ReadonlySet<ChatError['kind']> = new Set(['network', 'timeout', 'http', 'malformed-stream', 'cut-off', 'throttled']);

export class Asker {
  constructor(
    private readonly retriever: Retriever,
    private readonly generation: GenerationSession | undefined,
    private readonly chatConfig: Pick<ChatConfig, 'contextTokens' | 'maxAnswerTokens'> = DEFAULT_CONTEXT,
    /** How much of a workspace is embedded (with embeddings configured), asked beside the retrieval of each question. */
    private readonly backlog?: (workspaceId: string) => Promise<EmbeddingBacklog>,
  ) {}

  /** Tokens left for sources once the answer's reserve, the prompt's fixed text, the question and the history are counted. */
  sourceBudget(question: string, history: ChatMessage[] = []): number {
    const { contextTokens, maxAnswerTokens } = this.chatConfig;
    return Math.max(0, Math.floor(contextTokens * (1 - TOKENIZER_MARGIN)) - maxAnswerTokens - promptOverheadTokens(question, history));
  }

  /**
   * Throws QuestionError for an empty question, and, with a chat endpoint, for a question that leaves the model's
   * context no room for sources (rather than answer "found nothing"); neither asks any service.
   */
  async ask(workspaceId: string, question: string, options: AskOptions = {}): Promise<Answer> {
    const started = performance.now();
    checkQuestion(question);
    const { contextTokens, maxAnswerTokens } = this.chatConfig;
    const history = fitHistory(options.history ?? [], Math.min(Math.floor(contextTokens * HISTORY_SHARE), this.roomForHistory(question)));
    // A count of index entries, beside the retrieval: it only labels the answer, so a failure leaves it unlabelled.
    const backlog = this.backlog?.(workspaceId).catch(() => undefined);
    const retrieval = await this.retriever.retrieve(workspaceId, question, this.budgetFor(question, history), options.signal);
    const embedding = retrieval.mode === 'hybrid' ? partlyEmbedded(await backlog) : undefined;
    const retrievalMs = performance.now() - started;
    const notices = retrieval.fallback ? [retrieval.fallback] : [];
    if (retrieval.fallback) options.onProgress?.({ kind: 'fallback', message: retrieval.fallback });
    if (embedding) {
      const note = partlyEmbeddedNote(embedding);
      notices.push(note);
      options.onProgress?.({ kind: 'fallback', message: note });
    }
    // A generated answer reports the sources its prompt carries (fewer, reordered and renumbered for the first-token
    // budget), before the first delta, so citations point at the right files while the answer streams.
    if (!this.generation || retrieval.sources.length === 0) options.onSources?.(retrieval);
    const done = (a: Omit<Answer, 'retrievalMode' | 'notices' | 'timings' | 'droppedCitations' | 'complete'> & Partial<Answer>): Answer => ({
      retrievalMode: retrieval.mode,
      droppedCitations: 0,
      complete: true,
      ...a,
      weakMatch: retrieval.weakMatch,
      notices,
      ...(embedding ? { embedding } : {}),
      timings: { retrievalMs, firstTokenMs: a.timings?.firstTokenMs, totalMs: performance.now() - started },
    });
    const sourcesOnly = (note: string) => {
      const text = retrievalOnlyText(retrieval.sources, question, note, retrieval.weakMatch ?? []);
      options.onDelta?.(text);
      return done({ mode: 'retrieval-only', text, sources: retrieval.sources, cited: retrieval.sources.map((s) => s.n) });
    };

    if (retrieval.sources.length === 0) {
      options.onDelta?.(NO_SOURCES_TEXT);
      return done({ mode: 'no-sources', text: NO_SOURCES_TEXT, sources: [], cited: [] });
    }
    if (!this.generation) return sourcesOnly(RETRIEVAL_ONLY_NOTE);

    let streamed = false;
    try {
      const g = await this.generation.generate({
        scope: workspaceId,
        question,
        sources: retrieval.sources,
        history,
        maxAnswerTokens,
        maxPromptTokens: Math.floor(contextTokens * (1 - TOKENIZER_MARGIN)) - maxAnswerTokens,
        signal: options.signal,
        onProgress: options.onProgress,
        onPromptSources: (sources) => options.onSources?.({ ...retrieval, sources }),
        onDelta: (t) => {
          streamed = true;
          options.onDelta?.(t);
        },
      });
      return done({
        mode: 'generated',
        text: g.text,
        sources: g.sources,
        cited: g.cited,
        droppedCitations: g.droppedCitations,
        complete: g.complete,
        incomplete: g.incomplete,
        usage: g.usage,
        prompt: g.prompt,
        timings: { retrievalMs, firstTokenMs: g.firstTokenMs, totalMs: 0 },
      });
    } catch (e) {
      // BitNet down or failing before its first word: the sources are still the answer, labelled as such.
      if (streamed || !(e instanceof ChatError) || !FALLBACK_KINDS.has(e.kind)) throw e;
      const note = `Retrieval-only for this answer: BitNet could not answer (${e.message}), so these are the most relevant sources.`;
      notices.push(note);
      options.onProgress?.({ kind: 'fallback', message: note });
      options.onSources?.(retrieval);
      return sourcesOnly(note);
    }
  }

  /** What a long question leaves for earlier turns once the sources have their least: a long question drops history first. */
  private roomForHistory(question: string): number {
    return Math.max(0, this.sourceBudget(question) - MIN_SOURCE_TOKENS);
  }

  private budgetFor(question: string, history: ChatMessage[]): number {
    const budget = this.sourceBudget(question, history);
    if (budget >= MIN_SOURCE_TOKENS) return budget;
    // Retrieval-only sends no prompt, so a question too long for one still gets the sources a short one would.
    if (!this.generation) return this.sourceBudget('', history);
    // Settings that leave no room even for a short question are not the question's fault: answer as before.
    const maxQuestionTokens = this.sourceBudget('') - MIN_SOURCE_TOKENS;
    if (maxQuestionTokens <= 0) return budget;
    const { contextTokens, maxAnswerTokens } = this.chatConfig;
    const questionTokens = countTokens(question);
    throw new QuestionError(
      'too-long',
      `The question is ${questionTokens} tokens, too long for the model's ${contextTokens}-token context, which must also hold ` +
        `the sources and the ${maxAnswerTokens}-token answer: shorten it to at most about ${maxQuestionTokens} tokens, or ask about one part at a time.`,
      { questionTokens, maxQuestionTokens },
    );
  }
}

/** A workspace some of whose chunks have no vector yet, as an answer reports it; undefined when all (or none) do. */
function partlyEmbedded(b: EmbeddingBacklog | undefined): Answer['embedding'] {
  return b && b.unembedded > 0 && b.chunks > 0 ? { chunks: b.chunks, embedded: Math.max(0, b.chunks - b.unembedded) } : undefined;
}

/** "Embedding 42%: …", never 100% while something is left. */
export function partlyEmbeddedNote(e: NonNullable<Answer['embedding']>): string {
  const share = Math.min(99, Math.floor((e.embedded / e.chunks) * 100));
  return (
    `Embedding ${share}%: the vector search covered the ${e.embedded.toLocaleString('en-US')} of ${e.chunks.toLocaleString('en-US')} chunks ` +
    'embedded so far; full-text and graph search covered every chunk.'
  );
}

/** The most recent turns that fit in `maxTokens`, oldest first; a follow-up question needs the latest context most. */
export function fitHistory(history: ChatMessage[], maxTokens: number): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let used = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const cost = countTokens(history[i].content) + 4;
    if (used + cost > maxTokens) break;
    kept.unshift(history[i]);
    used += cost;
  }
  // A history must not start with an orphaned answer.
  while (kept[0]?.role === 'assistant') kept.shift();
  return kept;
}
