// Embeddings paid for, by embedding key, kept until they are written. A batch embedded just before a failed write
// (Neo4j went away, the run was cancelled, a file was refused) is not paid for again on the next run: of the same
// process (the extension's automatic updates above all), and, when the host gives a file, of the next process too
// (the CLI run again after an outage). Bounded by bytes; the oldest entries go first.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/** 64 MB holds about 10k vectors of 1536 dimensions: several write batches. */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export class VectorCache {
  private readonly entries = new Map<string, Float32Array>();
  private bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_BYTES) {}

  get(key: string): Float32Array | undefined {
    return this.entries.get(key);
  }

  set(key: string, vector: Float32Array): void {
    const old = this.entries.get(key);
    if (old) this.bytes -= old.byteLength;
    this.entries.delete(key);
    this.entries.set(key, vector);
    this.bytes += vector.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.byteLength;
    }
  }

  /** Written vectors are in the store's cache from now on. */
  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.byteLength;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Writes what is still unwritten to `file` (or removes the file when nothing is), for the next process. */
  async save(file: string): Promise<void> {
    if (this.entries.size === 0) {
      await fs.rm(file, { force: true });
      return;
    }
    const rows = [...this.entries].map(([key, v]) => ({ key, vector: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }));
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temp, JSON.stringify(rows), { mode: 0o600 });
    await fs.rename(temp, file); // a reader never sees half a file
  }

  /** Takes in what an earlier process left in `file`; a missing or damaged file is simply nothing. */
  async load(file: string): Promise<void> {
    let rows;
    try {
      rows = savedRows.parse(JSON.parse(await fs.readFile(file, 'utf8')));
    } catch {
      return;
    }
    for (const { key, vector } of rows) {
      const bytes = Buffer.from(vector, 'base64');
      if (bytes.byteLength % 4 === 0) this.set(key, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    }
  }
}

const savedRows = z.array(z.object({ key: z.string(), vector: z.string() }));
