// Shared data shapes of the engine. Each module owns its behaviour; these are the values passed between them.

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

export type SkipReason =
  | 'gitignored'
  | 'default-excluded'
  | 'excluded-by-glob'
  | 'not-included'
  | 'secret'
  | 'too-large'
  | 'binary'
  | 'minified'
  | 'invalid-utf8'
  | 'symlink-outside-root'
  | 'symlink-loop'
  | 'unreadable'
  | 'vanished';

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  detail?: string;
}

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
export interface FileRecord {
  path: string;
  language: string;
  fileHash: string;
  size: number;
  mtimeMs: number;
  /** Version of the chunking settings that produced the chunks: a change of settings re-chunks. */
  chunkerKey: string;
  links: FileLink[];
}

/** A chunk as retrieval returns it. */
export interface Hit {
  id: string;
  path: string;
  language: string;
  kind: string;
  symbol?: string;
  headingPath?: string;
  header?: string;
  startLine: number;
  endLine: number;
  text: string;
  ordinal: number;
  score: number;
}
