// Answers a question: retrieve sources into the budget BitNet leaves, stream the generation, keep only real citations.
// Without a chat endpoint it answers retrieval-only; without embeddings retrieval runs keyword-only. Both are labelled.
import type { ChatConfig } from './config';
import { buildMessages, CitationParser, promptOverheadTokens, type ChatClient, type ChatMessage } from './generate';
import { checkQuestion, keywordsOf, QuestionError, type Retriever, type Retrieval, type RetrievalMode, type Source } from './retrieve';
import { countTokens } from './tokens';
import { terminalLine } from './controlChars';

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
  usage?: { promptTokens: number; completionTokens: number };
  timings: { retrievalMs: number; firstTokenMs?: number; totalMs: number };
}

export interface AskOptions {
  history?: ChatMessage[];
  signal?: AbortSignal;
  onSources?: (retrieval: Retrieval) => void;
  onDelta?: (text: string) => void;
}

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

export class Asker {
  constructor(
    private readonly retriever: Retriever,
    private readonly chat: ChatClient | undefined,
    private readonly chatConfig: Pick<ChatConfig, 'contextTokens' | 'maxAnswerTokens'> = DEFAULT_CONTEXT,
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
    const retrieval = await this.retriever.retrieve(workspaceId, question, this.budgetFor(question, history), options.signal);
    const retrievalMs = performance.now() - started;
    options.onSources?.(retrieval);
    const base = { retrievalMode: retrieval.mode, sources: retrieval.sources, droppedCitations: 0 };

    if (retrieval.sources.length === 0) {
      options.onDelta?.(NO_SOURCES_TEXT);
      return { ...base, mode: 'no-sources', text: NO_SOURCES_TEXT, cited: [], timings: { retrievalMs, totalMs: performance.now() - started } };
    }
    if (!this.chat) {
      const text = retrievalOnlyText(retrieval.sources, question);
      options.onDelta?.(text);
      const cited = retrieval.sources.map((s) => s.n);
      return { ...base, mode: 'retrieval-only', text, cited, timings: { retrievalMs, totalMs: performance.now() - started } };
    }

    const parser = new CitationParser(retrieval.sources.length);
    let text = '';
    let firstTokenMs: number | undefined;
    let usage: Answer['usage'];
    const emit = (piece: string) => {
      if (!piece) return;
      firstTokenMs ??= performance.now() - started;
      text += piece;
      options.onDelta?.(piece);
    };
    const messages = buildMessages({ question, sources: retrieval.sources, history });
    for await (const event of this.chat.stream(messages, { signal: options.signal, maxTokens: maxAnswerTokens })) {
      if (event.type === 'delta') emit(parser.push(event.text));
      else usage = { promptTokens: event.promptTokens, completionTokens: event.completionTokens };
    }
    emit(parser.end());
    return {
      ...base,
      mode: 'generated',
      text,
      cited: parser.cited,
      droppedCitations: parser.dropped,
      usage,
      timings: { retrievalMs, firstTokenMs, totalMs: performance.now() - started },
    };
  }

  /** What a long question leaves for earlier turns once the sources have their least: a long question drops history first. */
  private roomForHistory(question: string): number {
    return Math.max(0, this.sourceBudget(question) - MIN_SOURCE_TOKENS);
  }

  private budgetFor(question: string, history: ChatMessage[]): number {
    const budget = this.sourceBudget(question, history);
    if (budget >= MIN_SOURCE_TOKENS) return budget;
    // Retrieval-only sends no prompt, so a question too long for one still gets the sources a short one would.
    if (!this.chat) return this.sourceBudget('', history);
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

/** Sources with a label each; the best few also quote their line that shares the most words with the question. */
function retrievalOnlyText(sources: Source[], question: string): string {
  const words = keywordsOf(question)
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((w) => w.length > 2);
  const lines = sources.map((s, i) => {
    // One line each: a newline or an escape inside a file name or a heading must not forge an entry of this list.
    const label = terminalLine(s.symbol ?? s.headingPath ?? firstMeaningfulLine(s.text));
    const entry = `- [${s.n}] \`${terminalLine(s.path)}:${s.startLine}-${s.endLine}\`${label ? ` — ${label}` : ''}`;
    const quote = i < QUOTED_SOURCES ? bestLine(s, words) : undefined;
    return quote ? `${entry}\n  > line ${quote.line}: ${quote.text}` : entry;
  });
  return `${RETRIEVAL_ONLY_NOTE}\n\n${lines.join('\n')}`;
}

/** How many of the best sources quote a line in a retrieval-only answer. */
const QUOTED_SOURCES = 3;

function bestLine(source: Source, words: string[]): { line: number; text: string } | undefined {
  let best: { line: number; text: string; hits: number } | undefined;
  source.text.split('\n').forEach((text, i) => {
    const lower = text.toLowerCase();
    const hits = words.filter((w) => lower.includes(w)).length;
    if (hits > (best?.hits ?? 0)) best = { line: source.startLine + i, text: terminalLine(shorten(text.trim(), 160)), hits };
  });
  return best && { line: best.line, text: best.text };
}

function firstMeaningfulLine(text: string): string {
  const line = text.split('\n').find((l) => /\w/.test(l)) ?? '';
  return shorten(line.replace(/^[#>*\-\s]+/, '').trim(), 100);
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
