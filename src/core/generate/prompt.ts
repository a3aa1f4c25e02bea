// The prompt BitNet sees, laid out for llama.cpp's prompt cache: the stable instructions and the numbered sources
// first (in the system message), then the earlier turns, then the question. A follow-up sends the earlier prompt
// again unchanged and brings its new sources with its question, so the server reads only what is new.
// And its token accounting, so the retriever packs exactly as many sources as fit.
import { countTokens } from '../tokens';

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
  /** For a part of a line longer than the chunk budget: where in its line `text` starts (Hit.column). */
  column?: number;
  /** The lines of the best hit the source was made from: what wins a tie between passages of it (passage.ts). */
  focus?: { startLine: number; endLine: number };
}

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

/**
 * The instructions and the sources in the system message, then the earlier turns, then the question. A follow-up
 * passes the earlier questions as they were sent (`sentTurns`, one per user turn of the history) and the sources new
 * to it (`askedSources`), which come with the question, so everything before it is what the server's cache holds.
 */
export function buildMessages(args: { question: string; sources: PromptSource[]; history?: ChatMessage[]; sentTurns?: readonly string[]; askedSources?: PromptSource[] }): ChatMessage[] {
  const sources = args.sources.length ? SOURCE_SEPARATOR + SOURCES_HEADING + renderSources(args.sources) : '';
  const asked = args.askedSources?.length ? SOURCES_HEADING + renderSources(args.askedSources) : '';
  return [{ role: 'system', content: `${SYSTEM_PROMPT}${sources}` }, ...turns(args.history, args.sentTurns), { role: 'user', content: asked + questionLine(args.question) }];
}

const renderSources = (sources: PromptSource[]) => sources.map((s) => renderSource(s) + SOURCE_SEPARATOR).join('');

/** Earlier questions as the prompt showed them when they were asked, so the server's cache still holds them. */
function turns(history: ChatMessage[] = [], sent: readonly string[] = []): ChatMessage[] {
  let asked = 0;
  return history.map((m) => (m.role === 'user' ? { ...m, content: sent[asked++] ?? questionLine(m.content) } : m));
}

/** The prompt as one text in the order the server reads it, for measuring what a previous prompt shares with it. */
export const promptText = (messages: ChatMessage[]): string => messages.map((m) => `<${m.role}>${m.content}`).join('');

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
  return promptTokens([{ role: 'system', content: SYSTEM_PROMPT }, ...turns(history), { role: 'user', content: questionLine(question) }]) + countTokens(SOURCE_SEPARATOR + SOURCES_HEADING);
}

/** Tokens one source adds to the prompt. */
export function sourceTokens(source: PromptSource): number {
  return countTokens(renderSource(source) + SOURCE_SEPARATOR);
}
