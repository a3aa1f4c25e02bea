// The chunks of one run that are written but not embedded yet, by file: the newest-edited files are embedded first.
// A run queues what its writes left without a vector (nothing in the caches had it) and what earlier runs left (a
// cancel, a crash, an endpoint that failed). The leftovers of a file this run reads again are held back until the file
// is settled: its new chunks replace them when it is rewritten; they are queued again when its content turns out the
// same (or it could not be read this time and keeps its previous version), and dropped when it leaves the index. A
// batch is not taken while a file the run has still to settle was edited later than every queued one (the run reads
// the newest first, so that wait is short). Only ids and token counts are held: the texts are read back from the store
// when their turn comes.
import type { UnembeddedChunk } from '../ports';

export interface QueuedChunk {
  id: string;
  tokens: number;
}

interface QueuedFile {
  mtimeMs: number;
  chunks: QueuedChunk[];
}

export class Backlog {
  private readonly queued = new Map<string, QueuedFile>();
  private readonly held = new Map<string, QueuedChunk[]>();
  /** Files the run has yet to settle (read, then written, touched, skipped or dropped), with their mtime on disk. */
  private readonly unsettled = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];
  private closed = false;
  /** Chunks and tokens queued or held back. */
  chunks = 0;
  tokens = 0;

  /** Chunks of a file to embed, in its order; another call for the same file adds to them. */
  add(path: string, mtimeMs: number, chunks: QueuedChunk[]): void {
    if (chunks.length === 0) return;
    const file = this.queued.get(path) ?? { mtimeMs, chunks: [] };
    file.mtimeMs = Math.max(file.mtimeMs, mtimeMs);
    file.chunks.push(...chunks);
    this.queued.set(path, file);
    this.count(chunks, 1);
    this.wake();
  }

  /** A file the run will read: embedding waits for it where it is newer than what is queued. */
  expect(path: string, mtimeMs: number): void {
    this.unsettled.set(path, mtimeMs);
  }

  /** A file was written again: whatever was queued or held back for it is gone, and its chunks without a vector are queued. */
  replace(path: string, mtimeMs: number, chunks: QueuedChunk[]): void {
    this.drop(path);
    this.add(path, mtimeMs, chunks);
  }

  /** Leftovers of a file this run reads again: held back until the file is settled. */
  hold(path: string, chunks: QueuedChunk[]): void {
    const held = this.held.get(path) ?? [];
    held.push(...chunks);
    this.held.set(path, held);
    this.count(chunks, 1);
  }

  /** The file keeps its stored chunks (same content, or it could not be read): its leftovers are queued. */
  release(path: string, mtimeMs: number): void {
    this.settle(path);
    const chunks = this.held.get(path);
    if (!chunks) return;
    this.held.delete(path);
    this.count(chunks, -1);
    this.add(path, mtimeMs, chunks);
  }

  /** The file leaves the index, or was written again: nothing of it is embedded from here. */
  drop(path: string): void {
    this.settle(path);
    const held = this.held.get(path);
    if (held) this.count(held, -1);
    this.held.delete(path);
    const queued = this.queued.get(path);
    if (queued) this.count(queued.chunks, -1);
    this.queued.delete(path);
  }

  /**
   * Up to `max` queued chunks, newest-edited files first (a file's chunks in order, and it may be split across
   * takes); undefined once the backlog is closed and empty. Waits while it is open and empty.
   */
  async next(max: number): Promise<QueuedChunk[] | undefined> {
    let newestFirst = this.newestFirst();
    while (!this.closed && (newestFirst.length === 0 || newestFirst[0][1].mtimeMs < this.newestUnsettled())) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      newestFirst = this.newestFirst();
    }
    if (newestFirst.length === 0) return undefined;
    const out: QueuedChunk[] = [];
    for (const [path, file] of newestFirst) {
      const taken = file.chunks.splice(0, max - out.length);
      out.push(...taken);
      if (file.chunks.length === 0) this.queued.delete(path);
      if (out.length >= max) break;
    }
    this.count(out, -1);
    return out;
  }

  /** Nothing more will be queued (the run's writes are done, or it stopped): next() ends once the queue is empty. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private newestFirst(): Array<[string, QueuedFile]> {
    return [...this.queued].sort(([pa, a], [pb, b]) => b.mtimeMs - a.mtimeMs || (pa < pb ? -1 : 1));
  }

  private newestUnsettled(): number {
    let newest = -Infinity;
    for (const mtime of this.unsettled.values()) newest = Math.max(newest, mtime);
    return newest;
  }

  private settle(path: string): void {
    if (this.unsettled.delete(path)) this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private count(chunks: QueuedChunk[], sign: 1 | -1): void {
    this.chunks += sign * chunks.length;
    this.tokens += sign * chunks.reduce((n, c) => n + c.tokens, 0);
  }
}

/** An earlier run's leftovers by file. */
export function byFile(chunks: UnembeddedChunk[]): Map<string, QueuedChunk[]> {
  const files = new Map<string, QueuedChunk[]>();
  for (const c of chunks) {
    const list = files.get(c.path) ?? [];
    list.push({ id: c.id, tokens: c.tokens });
    files.set(c.path, list);
  }
  return files;
}
