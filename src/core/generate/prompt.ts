// The prompt BitNet sees, laid out for llama.cpp's prompt cache: the stable instructions and the numbered sources
// first (in the system message), then the earlier turns, then the question. A follow-up on the same topic keeps the
// sources it shares with the previous prompt in front and in the same order, so the server reads only what is new.
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
  /** The lines of the best hit the source was made from: what a trimmed source keeps first (trimAround). */
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

/** The instructions and the sources in the system message, then the earlier turns, then the question. */
export function buildMessages(args: { question: string; sources: PromptSource[]; history?: ChatMessage[] }): ChatMessage[] {
  const sources = args.sources.length ? SOURCE_SEPARATOR + SOURCES_HEADING + args.sources.map((s) => renderSource(s) + SOURCE_SEPARATOR).join('') : '';
  return [{ role: 'system', content: `${SYSTEM_PROMPT}${sources}` }, ...(args.history ?? []), { role: 'user', content: questionLine(args.question) }];
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
  return promptTokens([{ role: 'system', content: SYSTEM_PROMPT }, ...history, { role: 'user', content: questionLine(question) }]) + countTokens(SOURCE_SEPARATOR + SOURCES_HEADING);
}

/** Tokens one source adds to the prompt. */
export function sourceTokens(source: PromptSource): number {
  return countTokens(renderSource(source) + SOURCE_SEPARATOR);
}

/**
 * The source cut to `maxTokens`, keeping the lines of its best hit and growing around them a line at a time (after,
 * then before), so a section merged with its neighbours still sends the lines that matched; the range stays exact.
 * Undefined when not even its first line fits.
 */
export function trimAround<S extends PromptSource>(source: S, maxTokens: number): S | undefined {
  if (sourceTokens(source) <= maxTokens) return source;
  if (source.column !== undefined) return undefined;
  const lines = source.text.split('\n');
  const at = (line: number) => line - source.startLine;
  let s = Math.min(lines.length - 1, Math.max(0, at(source.focus?.startLine ?? source.startLine)));
  let e = Math.max(s, Math.min(lines.length - 1, at(source.focus?.endLine ?? source.startLine)));
  const cut = (from: number, to: number): S => ({ ...source, startLine: source.startLine + from, endLine: source.startLine + to, text: lines.slice(from, to + 1).join('\n'), header: undefined });
  // The hit alone may be too long: keep its beginning.
  while (e > s && sourceTokens(cut(s, e)) > maxTokens) e = s + Math.floor((e - s) * 0.8);
  if (sourceTokens(cut(s, e)) > maxTokens) return undefined;
  for (let grew = true; grew; ) {
    const after = e + 1 < lines.length && sourceTokens(cut(s, e + 1)) <= maxTokens;
    if (after) e++;
    const before = s > 0 && sourceTokens(cut(s - 1, e)) <= maxTokens;
    if (before) s--;
    grew = after || before;
  }
  return cut(s, e);
}
