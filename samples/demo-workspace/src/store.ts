/** An in-memory key-value store with least-recently-used eviction. */
export interface Entry {
  value: string;
  lastAccess: number;
}

export class PebbleStore {
  private readonly entries = new Map<string, Entry>();
  private usedBytes = 0;

  constructor(private readonly maxMemoryBytes: number) {}

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.lastAccess = Date.now();
    return entry.value;
  }

  set(key: string, value: string): void {
    this.delete(key);
    this.entries.set(key, { value, lastAccess: Date.now() });
    this.usedBytes += key.length + value.length;
    this.evictIfNeeded();
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.usedBytes -= key.length + entry.value.length;
    return this.entries.delete(key);
  }

  /** Evicts least recently used keys until the store fits in its memory cap. */
  private evictIfNeeded(): void {
    if (this.usedBytes <= this.maxMemoryBytes) return;
    const byAge = [...this.entries.entries()].sort((a, b) => a[1].lastAccess - b[1].lastAccess);
    for (const [key] of byAge) {
      if (this.usedBytes <= this.maxMemoryBytes) break;
      this.delete(key);
    }
  }

  toJSON(): Record<string, Entry> {
    return Object.fromEntries(this.entries);
  }
}
