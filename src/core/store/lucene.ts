// Lucene query text for the full-text index: free user text made safe, and the term that confines a query to one workspace.
import { createHash } from 'node:crypto';

/**
 * A single Lucene term that identifies the workspace in the full-text index: hex survives the analyzer as one token,
 * so `+wsToken:<it>` is an exact filter inside Lucene (the raw id would be split into several tokens).
 */
export const workspaceToken = (workspaceId: string): string => `w${createHash('sha256').update(workspaceId).digest('hex').slice(0, 40)}`;

const LUCENE_SPECIAL = /[+\-&|!(){}[\]^"~*?:\\/]/g;

/**
 * Turns free user text into a safe Lucene query of OR-ed terms: every syntax character is escaped and the bare
 * operators AND / OR / NOT become plain lowercase words. Words without a letter or digit are dropped (the analyzer
 * would leave nothing of them); returns '' when nothing searchable is left.
 */
export function escapeLucene(userText: string): string {
  return userText
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .map((word) => (word === 'AND' || word === 'OR' || word === 'NOT' ? word.toLowerCase() : word.replace(LUCENE_SPECIAL, '\\$&')))
    .join(' ');
}
