// The tools' inputs and results as zod schemas: the SDK validates every call's arguments against the inputs (a bad
// argument is a tool error the model reads, before any handler runs), advertises both as JSON Schema in tools/list,
// and checks each result's structuredContent against its output schema before it leaves the server.
import * as z from 'zod';
import { SKIP_REASONS } from '../core/types';

/** The most sources search_workspace returns; the engine's RAG_TOP_K caps it too. */
const MAX_K = 50;
/** Long enough for any question; BitNet's context refuses far shorter ones with a clear message. */
const MAX_QUERY_CHARS = 20_000;
/** The most paths one reindex call may name. */
const MAX_PATHS = 1_000;

/**
 * Tokens the sources of one search may take. An agent's context is far larger than BitNet's 4096 tokens, so search
 * returns whole sections rather than the lines BitNet's prompt has room for; RAG_TOP_K still caps how many. The
 * extension's Language Model tool searches with the same budget.
 */
export const SEARCH_BUDGET_TOKENS = 8_000;

// z.object, not z.strictObject: the SDK's own validation reports unknown keys with a message of its own, and clients
// may add fields of later protocol versions.
const queryText = (what: string) =>
  z
    .string()
    .max(MAX_QUERY_CHARS)
    .refine((s) => s.trim().length > 0, `The ${what} is empty: say what to look for in the indexed files.`);

export const searchInput = z.object({
  query: queryText('query').describe('What to look for, in words or identifiers: a question, a concept, a function or setting name.'),
  k: z.number().int().min(1).max(MAX_K).optional().describe(`The most sources to return (1-${MAX_K}); by default, and at most, the server's RAG_TOP_K (8 unless set).`),
});

export const askInput = z.object({
  question: queryText('question').describe('A question about the indexed files, in plain language.'),
});

export const reindexInput = z.object({
  paths: z
    .array(z.string().min(1).max(4096))
    .min(1)
    .max(MAX_PATHS)
    .optional()
    .describe(
      'Files or folders to update: absolute, or relative to the workspace as search results show them (with several workspace folders, starting with the folder name). Omit to update the whole workspace.',
    ),
});

const lineRange = { path: z.string(), startLine: z.number().int(), endLine: z.number().int() };

const source = z.object({
  n: z.number().int().describe('The number answers cite the source by, [n].'),
  ...lineRange,
  language: z.string(),
  score: z.number().describe('Rank-fusion score: higher is more relevant; comparable within one result only.'),
  via: z.array(z.string()).describe('What found it: vector, fulltext, symbol, neighbour, link.'),
  symbol: z.string().optional(),
  headingPath: z.string().optional(),
  text: z.string().describe('The exact text of lines startLine..endLine (1-based, inclusive).'),
});

const retrievalMode = z.enum(['hybrid', 'keyword-only']);
const workspace = z.object({ id: z.string(), name: z.string(), roots: z.array(z.string()) });

export const searchOutput = z.object({
  query: z.string(),
  retrievalMode,
  sources: z.array(source),
  /** Candidates found before packing, so a client can tell "nothing matched" from "only k shown". */
  candidates: z.number().int(),
  /** Why retrieval ran keyword-only for this query although embeddings are configured. */
  notice: z.string().optional(),
});

export const askOutput = z.object({
  answer: z.string(),
  mode: z.enum(['generated', 'retrieval-only', 'no-sources']).describe('generated: BitNet answered; retrieval-only: the answer is the sources; no-sources: nothing relevant was found.'),
  retrievalMode,
  complete: z.boolean().describe('False when the answer was cut off, empty, or its stream broke; the text and sources are kept.'),
  incomplete: z.enum(['length', 'empty', 'cut-off']).optional(),
  notices: z.array(z.string()).describe('Fallbacks taken for this answer (keyword-only retrieval, retrieval-only answer) and why.'),
  citations: z.array(z.object({ n: z.number().int(), ...lineRange })).describe('The sources the answer cites, in order of first use.'),
  sources: z.array(source).describe('Every source the answer was given, numbered as cited.'),
  droppedCitations: z.number().int().describe('Citations of sources that do not exist, removed from the answer.'),
  timings: z.object({ retrievalMs: z.number(), firstTokenMs: z.number().optional(), totalMs: z.number() }),
});

const skippedFile = z.object({ path: z.string(), reason: z.enum(SKIP_REASONS), detail: z.string().optional() });
const skippedByReason = z.record(z.string(), z.number().int()).describe('Files skipped, by reason (gitignored, secret, too-large, binary, …).');

export const statusOutput = z.object({
  workspace,
  indexed: z.boolean(),
  files: z.number().int(),
  chunks: z.number().int(),
  embeddedChunks: z.number().int(),
  embeddedShare: z.number().nullable().describe('Share of chunks with an embedding (0-1); null when nothing is indexed.'),
  symbols: z.number().int(),
  links: z.number().int(),
  lastIndexedAt: z.string().nullable().describe('When the index of this workspace last changed (ISO 8601).'),
  pendingChanges: z.number().int().nullable().describe('Files a reindex would read or remove now; null when it cannot be told (the reason is in freshnessNote).'),
  fresh: z.boolean().nullable(),
  freshnessNote: z.string().optional(),
  skippedByReason,
  skipped: z.array(skippedFile).describe("The last full run's skipped files (the first ones; skippedByReason counts all)."),
  mode: z.object({ embeddings: z.boolean(), generation: z.boolean() }).describe('embeddings false: keyword-only retrieval; generation false: retrieval-only answers.'),
});

export const reindexOutput = z.object({
  workspace,
  scope: z.array(z.string()).nullable().describe('The index paths the run was limited to; null for the whole workspace.'),
  mode: z.enum(['embeddings', 'keyword-only']),
  complete: z.boolean().describe('False when the run stopped early (cancelled, an endpoint or Neo4j failed); what was not updated keeps its previous version.'),
  cancelled: z.boolean(),
  error: z.string().optional(),
  files: z.object({
    discovered: z.number().int(),
    changed: z.number().int(),
    unchanged: z.number().int(),
    deleted: z.number().int(),
    skipped: z.number().int(),
    notUpdated: z.number().int(),
    notIndexed: z.number().int(),
  }),
  chunks: z.object({ written: z.number().int(), embedded: z.number().int(), reused: z.number().int() }),
  unembedded: z.number().int().describe('Chunks written without an embedding that this run did not embed (it stopped early); a reindex embeds them.'),
  tokens: z.number().int(),
  estimatedCost: z.number(),
  skippedByReason,
  failures: z.array(z.object({ path: z.string(), message: z.string() })),
  durationMs: z.number(),
});
