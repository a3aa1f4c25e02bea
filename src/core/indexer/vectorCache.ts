// Embeddings this process paid for, by embedding key, kept until they are written. A batch embedded just before a
// failed write (Neo4j went away, the run was cancelled, a file was refused) is not paid for again on the next run of
// the same process, the extension's automatic updates above all. Bounded by bytes; the oldest entries go first.

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
}
