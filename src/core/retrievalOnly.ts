// The text of an answer made of sources alone (no BitNet endpoint, or BitNet failed for this answer): each source
// labelled, the best few quoting the line that shares the most words with the question, and a weak-match line naming
// the question's words that no indexed file mentions.
import { terminalLine } from './controlChars';
import type { Source } from './retrieve';
import { keywordsOf } from './words';

/**
 * Sources with a label each; the best few also quote their line that shares the most words with the question. When
 * some words of the question are in no indexed file (`weakMatch`, from the retrieval), the text says so above the list.
 */
export function retrievalOnlyText(sources: Source[], question: string, note: string, weakMatch: string[]): string {
  const weak = weakMatch.length ? `\n\nWeak match: no indexed file mentions ${weakMatch.map((w) => `“${terminalLine(w)}”`).join(', ')}.` : '';
  return listing(sources, question, note + weak);
}

function listing(sources: Source[], question: string, note: string): string {
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
  return `${note}\n\n${lines.join('\n')}`;
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
