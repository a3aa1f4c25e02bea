// Shared data shapes of the engine. Each module owns its behaviour; these are the values passed between them. The
// shapes the store reads back are zod schemas with their types inferred, so the store parses its rows with the very
// schema that declares the type.
import { z } from 'zod';

/** The minimal file-system surface the engine needs, so the CLI (node:fs) and the extension (workspace.fs) can both drive it. */
export interface FileSystem {
  /** Entries of a directory; `symlink` is reported for links whatever they point to. */
  readDir(absPath: string): Promise<Array<{ name: string; type: EntryType }>>;
  /** Follows symbolic links. */
  stat(absPath: string): Promise<{ type: EntryType; size: number; mtimeMs: number }>;
  /** Canonical path with every link resolved; used to keep links inside a root and to stop loops. */
  realPath(absPath: string): Promise<string>;
  readFile(absPath: string): Promise<Uint8Array>;
}
export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

/** A file chosen for indexing. `path` is the workspace-relative POSIX path used everywhere else (prefixed by the root's name when there are several roots). */
export interface DiscoveredFile {
  root: string;
  absPath: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export const SKIP_REASONS = [
  'gitignored',
  'default-excluded',
  'excluded-by-glob',
  'not-included',
  'secret',
  'too-large',
  'binary',
  'minified',
  'invalid-utf8',
  'symlink-outside-root',
  'symlink-loop',
  'unreadable',
  'vanished',
  /** Read, but chunking or writing it failed (a chunker crash, a value Neo4j refused); its previous version stays. */
  'index-failed',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const skippedFileSchema = z.object({ path: z.string(), reason: z.enum(SKIP_REASONS), detail: z.string().optional() });
export type SkippedFile = z.infer<typeof skippedFileSchema>;

/** One retrievable piece of a file. Lines are 1-based and inclusive; `text` is exactly those lines. */
export interface Chunk {
  path: string;
  language: string;
  /** 'section' (Markdown), a symbol kind such as 'function' | 'class' | 'method' | 'interface', 'code' (top-level glue) or 'window' (fallback). */
  kind: string;
  symbol?: string;
  /** Markdown heading path, for example `Install > Linux`. */
  headingPath?: string;
  startLine: number;
  endLine: number;
  text: string;
  /**
   * Set on the parts of one line longer than the token budget: the 0-based offset (UTF-16 units) in that line where
   * `text` starts. Absent for the usual chunk of whole lines.
   */
  column?: number;
  /** Short context prepended when embedding and prompting a part of a split symbol (for example the class signature). */
  header?: string;
  /** sha256 (hex) of `text`. */
  contentHash: string;
  tokens: number;
  /** Names of the symbols this chunk defines. */
  defines: string[];
}

/** A relative link or import found in a file, already resolved to a workspace path. */
export interface FileLink {
  target: string;
  kind: 'link' | 'import';
}

/** A chunk as the store keeps it. */
export interface StoredChunk extends Chunk {
  /** Deterministic id: workspace, path and ordinal, so retried writes are idempotent. */
  id: string;
  ordinal: number;
  /** sha256 of (model, dimensions, embedding input); the embedding cache key. */
  embedKey: string;
  embedding: Float32Array | number[] | null;
}

/** The File node's record; `fileHash` is written in the same transaction as the chunks, so it only matches when they are complete. */
export interface FileRecord extends FileState {
  path: string;
  language: string;
  links: FileLink[];
}

// ----- read back from the store -------------------------------------------------------------------------------------

/** Values a database leaves out come back as null; null and absent both parse to undefined. */
const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined)
  .optional();

/** What the index keeps of a file to tell whether it changed since. */
export const fileStateSchema = z.object({
  fileHash: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  /** Version of the chunking settings that produced the chunks: a change of settings re-chunks. */
  chunkerKey: z.string(),
});
export type FileState = z.infer<typeof fileStateSchema>;

/** A chunk as retrieval returns it. */
export const hitSchema = z.object({
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
  /** The offset in the line where `text` starts, for a part of a line longer than the budget (Chunk.column). */
  column: z
    .number()
    .nullish()
    .transform((v) => v ?? undefined)
    .optional(),
  ordinal: z.number(),
  score: z.number(),
});
export type Hit = z.infer<typeof hitSchema>;

/** One workspace in the index: its counts, when it was last indexed, and what the last run skipped. */
export const workspaceStatusSchema = z.object({
  files: z.number(),
  chunks: z.number(),
  embedded: z.number(),
  symbols: z.number(),
  links: z.number(),
  lastIndexedAt: optionalString,
  /** The last run's skipped files by reason. */
  skippedByReason: z.record(z.string(), z.number()),
  /** The last run's skipped files with their reasons (the first MAX_LISTED_SKIPS; the counts cover all). */
  skipped: z.array(skippedFileSchema),
});
export type WorkspaceStatus = z.infer<typeof workspaceStatusSchema>;

/** A workspace in the index, as listWorkspaces gives it: its name, roots and counts. */
export const workspaceSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  roots: z.array(z.string()),
  files: z.number(),
  chunks: z.number(),
});
export type WorkspaceSummary = z.infer<typeof workspaceSummarySchema>;
