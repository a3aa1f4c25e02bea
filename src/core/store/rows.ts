// Row shapes of the store's queries: results are parsed, since the database is an external boundary.
import { z } from 'zod';

const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

export const hitRow = z.object({
  id: z.string(),
  path: z.string(),
  language: z.string(),
  kind: z.string(),
  symbol: optionalString,
  headingPath: optionalString,
  header: optionalString,
  startLine: z.number(),
  endLine: z.number(),
  text: z.string(),
  ordinal: z.number(),
  score: z.number(),
});

/** The Cypher map projection that `hitRow` parses; `score` is added by each query. */
export const HIT_FIELDS = 'id: c.id, path: c.path, language: c.language, kind: c.kind, symbol: c.symbol, headingPath: c.headingPath, header: c.header, startLine: c.startLine, endLine: c.endLine, text: c.text, ordinal: c.ordinal';

export const fileStateRow = z.object({
  path: z.string(),
  fileHash: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  chunkerKey: z.string(),
});

export const statusRow = z.object({
  files: z.number(),
  chunks: z.number(),
  embedded: z.number(),
  symbols: z.number(),
  links: z.number(),
  lastIndexedAt: optionalString,
  /** The last run's skipped files by reason, kept as JSON on the Workspace node (properties cannot hold maps). */
  skippedByReason: z
    .string()
    .nullish()
    .transform((v) => (v ? z.record(z.string(), z.number()).parse(JSON.parse(v)) : {})),
});

export const workspaceRow = z.object({
  id: z.string(),
  name: z.string(),
  roots: z.array(z.string()),
  files: z.number(),
  chunks: z.number(),
});

export interface FileState {
  fileHash: string;
  size: number;
  mtimeMs: number;
  chunkerKey: string;
}
export type WorkspaceStatus = z.infer<typeof statusRow>;
export type WorkspaceSummary = z.infer<typeof workspaceRow>;
