// Row shapes of the store's queries: results are parsed, since the database is an external boundary. The shapes are
// the engine's schemas in ../types.ts; a row differs only where Neo4j keeps a value in another form.
import { z } from 'zod';
import { fileStateSchema, workspaceStatusSchema } from '../types';

/** The Cypher map projection that `hitSchema` parses; `score` is added by each query. */
export const HIT_FIELDS = 'id: c.id, path: c.path, language: c.language, kind: c.kind, symbol: c.symbol, headingPath: c.headingPath, header: c.header, startLine: c.startLine, endLine: c.endLine, text: c.text, column: c.column, ordinal: c.ordinal';

export const fileStateRow = fileStateSchema.extend({ path: z.string() });

export const statusRow = workspaceStatusSchema.extend({
  /** The last run's skipped files by reason, kept as JSON on the Workspace node (properties cannot hold maps). */
  skippedByReason: z
    .string()
    .nullish()
    .transform((v) => (v ? workspaceStatusSchema.shape.skippedByReason.parse(JSON.parse(v)) : {})),
  skipped: z
    .string()
    .nullish()
    .transform((v) => (v ? workspaceStatusSchema.shape.skipped.parse(JSON.parse(v)) : [])),
});
