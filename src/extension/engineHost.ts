// The engine's lifecycle in the editor: opened on first use, closed and re-opened lazily when a setting or a key
// changes, closed on deactivate. A failed open is not cached: the next use tries again (Neo4j may be up by then).
import * as vscode from 'vscode';
import type { EngineConfig } from '../core/config';
import { openEngine, type Engine } from '../core/engine';
import type { FileSystem } from '../core/types';
import type { Log } from './log';
import type { Settings } from './settings';

export interface OpenEngine {
  engine: Engine;
  config: EngineConfig;
}

export type EngineOpener = (config: EngineConfig, fs: FileSystem) => Promise<Engine>;

export class EngineHost implements vscode.Disposable {
  private current: Promise<OpenEngine> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  /** Fires after settings or keys changed: the next get() opens a new engine. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly settings: Pick<Settings, 'engineConfig' | 'onDidChange'>,
    private readonly fs: FileSystem,
    private readonly log: Log,
    private readonly open: EngineOpener = openEngine,
  ) {
    this.subscription = settings.onDidChange(() => {
      this.log.info('Settings or credentials changed; the engine will reconnect on next use.');
      void this.close();
      this.changed.fire();
    });
  }

  get(): Promise<OpenEngine> {
    if (!this.current) {
      const opening = this.openNow();
      this.current = opening;
      // Forget a failure so the next call retries, unless a newer open replaced this one meanwhile.
      opening.catch(() => {
        if (this.current === opening) this.current = undefined;
      });
    }
    return this.current;
  }

  private async openNow(): Promise<OpenEngine> {
    const config = await this.settings.engineConfig();
    const started = performance.now();
    const engine = await this.open(config, this.fs);
    const modes = [engine.capabilities.embeddings ? 'hybrid retrieval' : 'keyword-only retrieval', engine.capabilities.generation ? 'BitNet answers' : 'retrieval-only answers'];
    this.log.info(`Connected to Neo4j at ${config.neo4j.uri} (database ${config.neo4j.database}) in ${Math.round(performance.now() - started)} ms: ${modes.join(', ')}.`);
    return { engine, config };
  }

  /** Closes the open engine, if any; work still running on it fails and is reported by its caller. */
  async close(): Promise<void> {
    const closing = this.current;
    this.current = undefined;
    const open = await closing?.catch(() => undefined);
    await open?.engine.close().catch((e: unknown) => this.log.warn(`Closing the Neo4j driver failed: ${String(e)}`));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
    void this.close();
  }
}
