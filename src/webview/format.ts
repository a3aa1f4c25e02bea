// Text shown around answers: source labels, the timing footer, what BitNet is doing before the first word, and why an
// answer is incomplete.
import type { IncompleteReason, ReadingProgress, SelectionView, SourceView, ToWebview } from '../protocol/messages';

type Done = Extract<ToWebview, { type: 'done' }>;

/** `12–40`, or `12` for a single line. */
export function lineRange(source: { startLine: number; endLine: number }): string {
  return source.startLine === source.endLine ? `${source.startLine}` : `${source.startLine}–${source.endLine}`;
}

/** The accessible name of a citation chip or Sources entry. */
export function sourceLabel(source: SourceView, stale: boolean): string {
  const lines = source.startLine === source.endLine ? `line ${source.startLine}` : `lines ${lineRange(source)}`;
  return `Source ${source.n}: ${source.path} ${lines}${stale ? ', changed since indexing' : ''}`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const count = new Intl.NumberFormat('en-US');

/** `Retrieval 80 ms · First token 1.2 s · Total 3.4 s · 1,850 → 212 tokens`, with the mode and dropped citations. */
export function footerText(done: Done): string {
  const parts: string[] = [];
  if (done.mode === 'retrieval-only') parts.push('Retrieval only');
  parts.push(`Retrieval ${duration(done.timings.retrievalMs)}`);
  if (done.timings.firstTokenMs !== undefined) parts.push(`First token ${duration(done.timings.firstTokenMs)}`);
  parts.push(`Total ${duration(done.timings.totalMs)}`);
  if (done.usage) parts.push(`${count.format(done.usage.promptTokens)} prompt + ${count.format(done.usage.completionTokens)} answer tokens`);
  if (done.droppedCitations > 0) {
    parts.push(`${done.droppedCitations} citation${done.droppedCitations === 1 ? '' : 's'} to unknown sources removed`);
  }
  return parts.join(' · ');
}

/** `about 24 s` (`under a second`, `about 2 min`): an estimate, so no decimals. */
function roughly(ms: number): string {
  if (ms < 1000) return 'under a second';
  if (ms < 90_000) return `about ${Math.round(ms / 1000)} s`;
  return `about ${Math.round(ms / 60_000)} min`;
}

/** `BitNet is reading 1,840 tokens, about 24 s…`, saying briefly how many the server has cached. */
export function readingText(p: ReadingProgress): string {
  const cached = Math.max(0, p.promptTokens - p.newTokens);
  if (p.newTokens === 0) return `BitNet has all ${count.format(p.promptTokens)} prompt tokens cached: the answer should start at once…`;
  const note = cached > 0 ? ` new tokens (${count.format(cached)} cached)` : ' tokens';
  return `BitNet is reading ${count.format(p.newTokens)}${note}, ${roughly(p.estimatedMs)}…`;
}

/** The changing part of `BitNet is busy: trying again in 3 s…`. */
export function retryIn(ms: number): string {
  return ms > 0 ? `in ${Math.ceil(ms / 1000)} s` : 'now';
}

const INCOMPLETE: Record<IncompleteReason, string> = {
  length: 'the answer was cut off at its token limit',
  empty: 'the model gave an empty answer',
  'cut-off': 'the stream ended before the answer was complete',
};

export const incompleteText = (reason: IncompleteReason): string => `Incomplete: ${INCOMPLETE[reason]}.`;

/** When something happened, as a person says it: `just now`, `5 min ago`, `3 h ago`, `yesterday`, or the date. */
export function ago(then: number, now: number): string {
  const minutes = Math.floor((now - then) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  if (hours < 48) return 'yesterday';
  return new Date(then).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/**
 * The question as the model reads it: what the user typed, then the attached selection in a fence longer than any
 * backtick run inside it, with where it is.
 */
export function questionText(turn: { question: string; selection?: SelectionView }): string {
  const s = turn.selection;
  if (!s) return turn.question;
  const fence = '`'.repeat(Math.max(3, ...(s.text.match(/`+/g) ?? []).map((r) => r.length + 1)));
  return `${turn.question}\n\nThe code, from ${s.path}:${s.startLine}-${s.endLine}:\n\n${fence}${s.language}\n${s.text}\n${fence}`;
}
