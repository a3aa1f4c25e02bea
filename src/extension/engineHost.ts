// The engine's lifecycle in the editor: opened on first use, replaced when a setting or a key changes, closed on
// deactivate. Work holds a lease (use()), so a replaced engine is closed only once the runs and answers still using
// it have finished. A failed open is not cached: the next use tries again (Neo4j may be up by then).
import * as vscode from 'vscode';
import { authOf, type EngineConfig } from '../core/config';
import { openEngine, type Engine } from '../core/engine';
import type { FileSystem } from '../core/types';
import type { Log } from './log';
import type { Settings } from './settings';

export interface OpenEngine {
  engine: Engine;
  config: EngineConfig;
}

export type EngineOpener = (config: EngineConfig, fs: FileSystem) => Promise<Engine>;

interface Lease {
  opening: Promise<OpenEngine>;
  users: number;
  retired: boolean;
}

export class EngineHost implements vscode.Disposable {
  private current: Lease | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  /** Fires after settings or keys changed: the next use() opens a new engine. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly settings: Pick<Settings, 'engineConfig' | 'onDidChange'>,
    private readonly fs: FileSystem,
    private readonly log: Log,
    private readonly open: EngineOpener = openEngine,
  ) {
    this.subscription = settings.onDidChange(() => {
      this.log.info('Settings or credentials changed; the engine reconnects on next use.');
      this.retire();
      this.changed.fire();
    });
  }

  /** Runs `work` with the current engine, opening it first when needed. */
  async use<T>(work: (open: OpenEngine) => Promise<T>): Promise<T> {
    const lease = this.lease();
    lease.users++;
    try {
      return await work(await lease.opening);
    } finally {
      lease.users--;
      if (lease.retired && lease.users === 0) await this.closeLease(lease);
    }
  }

  /** Closes the engine as soon as nothing uses it; the next use() opens a fresh one (e.g. after the schema was dropped). */
  retire(): void {
    const lease = this.current;
    this.current = undefined;
    if (!lease) return;
    lease.retired = true;
    if (lease.users === 0) void this.closeLease(lease);
  }

  private lease(): Lease {
    if (!this.current) {
      const lease: Lease = { opening: this.openNow(), users: 0, retired: false };
      // Forget a failure so the next call retries, unless a newer lease replaced this one meanwhile.
      lease.opening.catch(() => {
        if (this.current === lease) this.current = undefined;
      });
      this.current = lease;
    }
    return this.current;
  }

  private async openNow(): Promise<OpenEngine> {
    const config = await this.settings.engineConfig();
    const started = performance.now();
    const engine = await this.open(config, this.fs);
    const auth = authOf(config);
    const modes = [
      engine.capabilities.embeddings ? `hybrid retrieval (embeddings signed in with ${auth.embeddings})` : 'keyword-only retrieval',
      engine.capabilities.generation ? `BitNet answers (${auth.chat === 'no key' ? 'no key' : `signed in with ${auth.chat}`})` : 'retrieval-only answers',
    ];
    this.log.info(`Connected to Neo4j at ${config.neo4j.uri} (database ${config.neo4j.database}) in ${Math.round(performance.now() - started)} ms: ${modes.join(', ')}.`);
    return { engine, config };
  }

  private async closeLease(lease: Lease): Promise<void> {
    const open = await lease.opening.catch(() => undefined);
    await open?.engine.close().catch((e: unknown) => this.log.warn(`Closing the Neo4j driver failed: ${String(e)}`));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
    this.retire();
  }
}
