// Example questions for the chat's empty state, made from what the index is about (Engine.overview): the README's
// title and a heading, a large top-level folder, a symbol the README names. Cut to the protocol's limits.
import type { WorkspaceOverview } from '../core/engine';
import { MAX_EXAMPLE, MAX_EXAMPLES } from '../protocol/limits';

/** Headings that say nothing about the project. */
const BOILERPLATE = /^(license|licence|contributing|contributors|authors|changelog|changes|credits|acknowledg(e)?ments|table of contents|contents|toc|support|security|code of conduct)$/i;

/** A name from a file on one line: control characters and runs of whitespace become one space. */
const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();

export function examplesOf(o: WorkspaceOverview, max = Math.min(4, MAX_EXAMPLES)): string[] {
  const title = o.readme?.title && oneLine(o.readme.title);
  const headings = (o.readme?.headings ?? []).map(oneLine).filter((h) => h && !BOILERPLATE.test(h.replace(/[^\p{L}\p{N} ]/gu, '').trim()));
  const symbols = o.symbols.map((s) => oneLine(s.name)).filter(Boolean);
  const folders = o.folders.map((f) => oneLine(f.name)).filter(Boolean);
  const candidates = [
    title && `What is ${title}?`,
    headings[0] && `What does the README say about “${headings[0]}”?`,
    symbols[0] && `What does ${symbols[0]} do?`,
    folders[0] && `What is in the ${folders[0]} folder?`,
    headings[1] && `What does the README say about “${headings[1]}”?`,
    folders[1] && `What is in the ${folders[1]} folder?`,
    symbols[1] && `What does ${symbols[1]} do?`,
  ];
  return [...new Set(candidates.filter((c): c is string => typeof c === 'string'))].filter((c) => c.length <= MAX_EXAMPLE).slice(0, max);
}
