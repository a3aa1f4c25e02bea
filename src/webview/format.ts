// Text shown around answers: source labels and the timing footer.
import type { SourceView, ToWebview } from '../protocol/messages';

type Done = Extract<ToWebview, { type: 'done' }>;

/** `12–40`, or `12` for a single line. */
export function lineRange(source: Pick<SourceView, 'startLine' | 'endLine'>): string {
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
