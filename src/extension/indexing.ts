// Indexing in the editor: the Index / Rebuild / Clear / Status commands, the cancellable progress notification, the
// status bar, and debounced incremental updates from the file watcher and saves (one run at a time, at most one
// queued behind it, so a git checkout's burst of events costs one extra run).
import * as vscode from 'vscode';
import { authOf, type EngineConfig } from '../core/config';
import type { ClearScope as EngineClearScope, Engine } from '../core/engine';
import { embeddedPercent, etaNote, paceNote, sharePercent, throttleNote, type IndexProgress, type IndexReport } from '../core/indexer';
import type { WorkspaceStatus } from '../core/types';
import type { WorkspaceSpec } from '../core/workspace';
import type { EngineHost } from './engineHost';
import { describeError, isCancellation, type UserError } from './errors';
import type { Log, Redact } from './log';
import { Debouncer, RunQueue } from './schedule';
import type { IndexState, IndexStatusBar } from './statusBar';
import { plural } from './statusBar';

/** Long enough to fold a save-all or a checkout into one run, short enough to feel live. */
const UPDATE_DELAY_MS = 1500;
/** A setting being typed in the Settings editor changes at every pause in the typing: it is checked once typing stops. */
const SETTINGS_SETTLE_MS = 1000;

interface RunRequest {
  force: boolean;
  /** Started by a command: progress notification and result messages. Automatic updates only use the status bar. */
  interactive: boolean;
}

export type ClearScope = 'workspace' | 'everything';

export interface IndexingDeps {
  host: EngineHost;
  log: Log;
  redact: Redact;
  statusBar: IndexStatusBar;
  workspace: () => WorkspaceSpec | undefined;
  autoUpdate: () => boolean;
  /** Shows an error with its fixing button (Open Settings, Set Credentials), or Retry when the fix is to try again. */
  showError: (error: UserError, prefix: string, retry?: () => void) => void;
  /** How long settings must stay unchanged before they are checked (default SETTINGS_SETTLE_MS). */
  settleMs?: number;
}

export class IndexingService implements vscode.Disposable {
  private readonly queue = new RunQueue<RunRequest>(
    (r) => this.run(r),
    (a, b) => ({ force: a.force || b.force, interactive: a.interactive || b.interactive }),
  );
  private readonly update = new Debouncer(UPDATE_DELAY_MS, () => this.onFilesChanged());
  private readonly settle: Debouncer;
  private abort: AbortController | undefined;
  private lastReport: IndexReport | undefined;
  private lastRunAt: Date | undefined;
  /**
   * Set when a run failed: automatic updates wait for a command (Index Workspace, Retry) or a change of settings
   * instead of failing again at every save, each time paying for the work before the failure.
   */
  private failed: { notice: string } | undefined;

  constructor(private readonly deps: IndexingDeps) {
    this.settle = new Debouncer(deps.settleMs ?? SETTINGS_SETTLE_MS, () => void this.settingsChanged());
  }

  /**
   * Settings or keys changed: they are checked once they have stayed unchanged a moment, so an endpoint being typed
   * in the Settings editor does not turn the status bar "unavailable" (and name the setting) at every keystroke.
   */
  settingsChangedSoon(): void {
    this.settle.trigger();
  }

  /** Incremental run (or a full re-read with force). Resolves with the report of the run that covered this request. */
  async index(force: boolean): Promise<IndexReport | undefined> {
    if (force) {
      // A rebuild supersedes whatever runs now.
      this.abort?.abort();
    }
    await this.request({ force, interactive: true });
    return this.lastReport;
  }

  async clear(scope: ClearScope): Promise<boolean> {
    const ws = this.deps.workspace();
    if (scope === 'workspace' && !ws) return false;
    this.update.dispose();
    this.queue.dropQueued();
    this.abort?.abort();
    await this.queue.idle();
    try {
      const what: EngineClearScope = scope === 'everything' ? 'everything' : { workspace: ws! };
      const removed = await this.deps.host.use(async ({ engine }) => {
        // What there was, so the confirmation can say what went.
        const before = scope === 'workspace' ? await engine.status(ws!) : undefined;
        await engine.clear(what);
        return before;
      });
      // clearAll dropped the vector index; the next engine re-creates the schema.
      if (scope === 'everything') this.deps.host.retire();
      const said = removed
        ? `Cleared the index of ${describeWorkspace(ws!)}: ${plural(removed.files, 'file')}, ${plural(removed.chunks, 'chunk')} and ${plural(removed.symbols, 'symbol')} removed from Neo4j.`
        : 'Cleared the index of every workspace in this Neo4j database, and the vector index.';
      this.deps.log.info(said);
      this.deps.statusBar.set({ kind: 'not-indexed' });
      void vscode.window.showInformationMessage(`Workspace RAG: ${said}`);
      return true;
    } catch (error) {
      this.fail(error, 'Clearing the index failed', true);
      return false;
    }
  }

  /** Files, chunks, skipped files and modes of the index, or the reason there is none. */
  async status(): Promise<IndexSummary | UserError> {
    const ws = this.deps.workspace();
    if (!ws) return { kind: 'not-indexed', message: 'Open a folder to index it.' };
    try {
      const summary = await this.deps.host.use(async ({ engine, config }): Promise<IndexSummary> => {
        const stored = await engine.status(ws);
        const changedFiles = stored.files === 0 ? 0 : await engine.pendingChanges(ws);
        return {
          workspace: describeWorkspace(ws),
          ...stored,
          changedFiles,
          failedFiles: stored.skipped.filter((f) => f.reason === 'index-failed' || f.reason === 'unreadable').map((f) => f.path),
          keywordOnly: !engine.capabilities.embeddings,
          retrievalOnly: !engine.capabilities.generation,
          signIn: authOf(config),
          endpoints: {
            neo4j: this.deps.redact(`${config.neo4j.uri} (database ${config.neo4j.database})`),
            embeddings: config.embedding ? this.deps.redact(`${config.embedding.endpoint} (deployment ${config.embedding.deployment}, ${config.embedding.dimensions} dimensions)`) : undefined,
            chat: config.chat && this.deps.redact(config.chat.endpoint),
          },
          lastRun: this.lastReport && { at: this.lastRunAt, durationMs: this.lastReport.durationMs, summary: reportSummary(this.lastReport, config), error: this.lastReport.error?.message },
        };
      });
      if (!this.queue.busy) this.deps.statusBar.set(stateOf(summary));
      return summary;
    } catch (error) {
      const described = describeError(error, this.deps.redact);
      this.deps.statusBar.set({ kind: 'unavailable', message: described.message });
      return described;
    }
  }

  /** Watches the workspace folders: changes and saves schedule an update (or a recount when updates are off). */
  watch(): vscode.Disposable[] {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    // A glob of a string reports changes VS Code watches anywhere, not only in the folders: the user settings file
    // that a colour theme rewrites among them. Only what is inside a workspace folder can change the index; the folder
    // itself changes whenever an entry of it does (a first workspace setting creates `.vscode`), and that entry has an
    // event of its own.
    const onUri = (uri: vscode.Uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (folder && folder.uri.path !== uri.path && isIndexRelevant(uri)) this.update.trigger();
    };
    return [
      watcher,
      watcher.onDidCreate(onUri),
      watcher.onDidChange(onUri),
      watcher.onDidDelete(onUri),
      vscode.workspace.onDidSaveTextDocument((d) => onUri(d.uri)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.status()),
    ];
  }

  private onFilesChanged(): void {
    if (this.deps.autoUpdate() && !this.failed) void this.request({ force: false, interactive: false });
    else if (!this.queue.busy && !this.failed) void this.status();
  }

  /**
   * After a change of settings or keys: the next file change may try again, and a value just typed into the settings
   * is checked now, naming the setting, rather than at the next question.
   */
  async settingsChanged(): Promise<void> {
    this.failed = undefined;
    const status = await this.status();
    if (!('files' in status) && status.kind === 'config') this.deps.showError(status, 'Invalid setting');
  }

  /** Runs started (by a command, or by file changes), for the extension-host tests. */
  get runs(): number {
    return this.started;
  }

  private started = 0;

  /**
   * A run asked for while the current one is only filling in vectors (every file written, a first index at the quota's
   * pace) takes the embedding over: the current run ends once what it has in flight is written, and the next one reads
   * the new changes at once, then embeds what is still waiting, newest-edited first. Otherwise the request waits.
   */
  private request(request: RunRequest): Promise<void> {
    if (this.queue.busy && this.embedding) this.handOver?.abort();
    return this.queue.request(request);
  }

  /** Lets the running run hand its embedding over to the next; and whether it is filling in vectors now. */
  private handOver: AbortController | undefined;
  private embedding = false;

  private async run(request: RunRequest): Promise<void> {
    this.started++;
    const ws = this.deps.workspace();
    if (!ws) {
      if (request.interactive) void vscode.window.showWarningMessage('Workspace RAG: open a folder to index it.');
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    const handOver = new AbortController();
    this.handOver = handOver;
    this.embedding = false;
    this.lastReport = undefined;
    if (request.interactive) this.failed = undefined;
    const { statusBar } = this.deps;
    statusBar.set({ kind: 'indexing', percent: 0 });
    try {
      await this.deps.host.use(({ engine, config }) => this.execute(engine, config, ws, request, abort));
    } catch (error) {
      if (isCancellation(error)) statusBar.set({ kind: 'unknown' });
      else this.fail(error, 'Indexing failed', request.interactive);
    } finally {
      if (this.abort === abort) this.abort = undefined;
      if (this.handOver === handOver) this.handOver = undefined;
      this.embedding = false;
    }
  }

  private async execute(engine: Engine, config: EngineConfig, ws: WorkspaceSpec, request: RunRequest, abort: AbortController): Promise<void> {
    const { statusBar, log } = this.deps;
    log.info(`${request.force ? 'Rebuilding' : 'Updating'} the index of ${describeWorkspace(ws)} (${request.interactive ? 'command' : 'file changes'}).`);
    const run = (onProgress: (p: IndexProgress) => void) =>
      engine.index(ws, {
        force: request.force,
        signal: abort.signal,
        handOver: this.handOver?.signal,
        onProgress: (p) => {
          this.embedding = p.phase === 'embedding';
          // A save that came while the files were being written is waiting: it takes over now.
          if (this.embedding && this.queue.waiting) this.handOver?.abort();
          onProgress(p);
        },
      });
    const report = request.interactive
      ? await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Workspace RAG', cancellable: true },
          (progress, token) => {
            const cancel = token.onCancellationRequested(() => abort.abort());
            let shown = 0;
            return run((p) => {
              const percent = percentOf(p);
              statusBar.set(indexingState(p));
              progress.report({ message: progressMessage(p, config), increment: percent - shown });
              shown = percent;
            }).finally(() => cancel.dispose());
          },
        )
      : await run((p) => statusBar.set(indexingState(p)));
    this.lastReport = report;
    this.lastRunAt = new Date();
    this.finish(ws, report, request.interactive, config);
  }

  private finish(ws: WorkspaceSpec, report: IndexReport, interactive: boolean, config: EngineConfig): void {
    const { log, statusBar } = this.deps;
    const summary = reportSummary(report, config);
    for (const f of report.failures) log.warn(`Not indexed: ${f.path}: ${f.message}`);
    if (report.cancelled) {
      log.info(`Indexing stopped after ${summary}: ${report.error?.message ?? 'cancelled'}`);
      const left = report.files.notUpdated + report.files.notIndexed;
      const embedded = report.coverage && embeddedPercent(report.coverage);
      statusBar.set(left ? { kind: 'changed', files: left } : embedded !== undefined ? { kind: 'partly-embedded', percent: embedded } : { kind: 'unknown' });
      if (interactive) void vscode.window.showInformationMessage(`Workspace RAG: ${report.error?.message ?? 'indexing cancelled.'} ${leftBehind(report)}`.trim());
    } else if (report.error) {
      log.error(`Indexing stopped after ${summary}`, report.error.cause);
      // The error itself, not its text: a refused key or a wrong setting keeps its Set Credentials / Open Settings.
      this.fail(report.error.cause, 'Indexing stopped', interactive);
    } else if (report.failures.length) {
      log.info(`Indexed ${describeWorkspace(ws)}: ${summary}.`);
      const paths = report.failures.map((f) => f.path);
      statusBar.set({ kind: 'failed', files: paths });
      // Automatic runs say it once per set of failing files, not at every save.
      const notice = paths.join('\n');
      if (interactive || this.failedFilesNotice !== notice) {
        this.failedFilesNotice = notice;
        const named = paths.slice(0, 3).join(', ') + (paths.length > 3 ? ` and ${paths.length - 3} more` : '');
        void this.offer(vscode.window.showWarningMessage(`Workspace RAG: ${summary}. Could not index ${named}; they keep their previous version.`, 'Show Log'));
      }
    } else {
      this.failedFilesNotice = undefined;
      log.info(`Indexed ${describeWorkspace(ws)}: ${summary}.`);
      const embedded = report.coverage && embeddedPercent(report.coverage);
      statusBar.set(embedded !== undefined ? { kind: 'partly-embedded', percent: embedded } : { kind: 'up-to-date', files: report.files.discovered - report.files.skipped });
      // Handed over: the next run, already waiting, goes on with the embedding; there is nothing to tell yet.
      if (this.handOver?.signal.aborted && report.unembedded) log.info(`${plural(report.unembedded, 'chunk')} still to embed: the next run goes on with them.`);
      else if (interactive) void vscode.window.showInformationMessage(`Workspace RAG: ${summary}.`);
    }
  }

  private failedFilesNotice: string | undefined;

  private async offer(choice: Thenable<string | undefined>): Promise<void> {
    const picked = await choice;
    if (picked === 'Retry') void this.index(false);
    else if (picked === 'Show Log') this.deps.log.show();
  }

  /**
   * A run that failed as a whole (Neo4j unreachable, a key refused, a root folder gone): the status bar says why,
   * automatic updates pause until a command or a settings change, and the user hears of it once, with the button that
   * fixes it or Retry and Show Log.
   */
  private fail(error: unknown, prefix: string, interactive: boolean): void {
    const described = describeError(error, this.deps.redact);
    this.deps.log.error(prefix, error);
    this.deps.statusBar.set({ kind: 'unavailable', message: described.message });
    const repeated = this.failed?.notice === described.message;
    this.failed = { notice: described.message };
    if (interactive || !repeated) this.deps.showError(described, prefix, () => void this.index(false));
  }

  dispose(): void {
    this.update.dispose();
    this.settle.dispose();
    this.queue.dropQueued();
    this.abort?.abort();
  }
}

/** What Show Index Status shows: the stored index, what changed since, the modes and endpoints, and this session's last run. */
export interface IndexSummary extends WorkspaceStatus {
  workspace: string;
  changedFiles: number;
  /** Files the last run could not index (they keep their previous version). */
  failedFiles: string[];
  keywordOnly: boolean;
  retrievalOnly: boolean;
  endpoints: { neo4j: string; embeddings?: string; chat?: string };
  /** How the embeddings and BitNet endpoints are signed in to (an API key, Microsoft Entra ID and its tenant). */
  signIn?: { embeddings?: string; chat?: string };
  lastRun?: { at?: Date; durationMs: number; summary: string; error?: string };
}

function stateOf(s: IndexSummary): IndexState {
  if (s.files === 0) return { kind: 'not-indexed' };
  if (s.failedFiles.length) return { kind: 'failed', files: s.failedFiles };
  if (s.changedFiles) return { kind: 'changed', files: s.changedFiles };
  const embedded = s.keywordOnly ? undefined : embeddedPercent(s);
  return embedded !== undefined ? { kind: 'partly-embedded', percent: embedded } : { kind: 'up-to-date', files: s.files };
}

/**
 * Changes inside version-control and dependency folders never reach the index; a git command would trigger runs. Nor
 * do the files VS Code writes when a setting changes (a colour theme picked for the workspace writes
 * `.vscode/settings.json`; a multi-root workspace keeps its settings in a `.code-workspace` file): a setting is no
 * reason to index. A later run still picks such a file up, and the status bar counts it as changed meanwhile.
 */
export function isIndexRelevant(uri: { scheme: string; path: string }): boolean {
  if (uri.scheme !== 'file') return false;
  const parts = uri.path.split('/');
  if (parts.some((s) => s === '.git' || s === 'node_modules')) return false;
  const name = parts.at(-1) ?? '';
  // The first workspace setting also creates the `.vscode` folder, an event of its own.
  return !(name.endsWith('.code-workspace') || name === '.vscode' || (name === 'settings.json' && parts.at(-2) === '.vscode'));
}

/**
 * The status bar while a run goes: its share of files, and while embedding, what is left and the pace; once every file
 * is written (searchable by keywords), the share of the embedding done.
 */
export function indexingState(p: IndexProgress): IndexState {
  if (p.phase === 'embedding') return { kind: 'embedding', percent: sharePercent(p.embedding?.share ?? 0), left: etaNote(p), pace: paceNote(p) };
  return { kind: 'indexing', percent: percentOf(p), left: etaNote(p), pace: paceNote(p) };
}

export function percentOf(p: IndexProgress): number {
  if (p.phase === 'done' || p.phase === 'embedding') return 100;
  if (p.phase !== 'indexing' && p.phase !== 'removing') return 0;
  return p.filesTotal === 0 ? 100 : Math.min(100, Math.floor((p.filesDone / p.filesTotal) * 100));
}

function estimatedCost(tokens: number, config: Pick<EngineConfig, 'embedding'>): number {
  return config.embedding ? (tokens / 1_000_000) * config.embedding.pricePerMillionTokens : 0;
}

const money = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;

export function progressMessage(p: IndexProgress, config: Pick<EngineConfig, 'embedding'>): string {
  switch (p.phase) {
    case 'discovering':
      return 'finding files…';
    case 'comparing':
      return 'comparing with the index…';
    default: {
      const counts = `${p.filesDone}/${p.filesTotal} files · ${plural(p.chunksDone, 'chunk')} · ${p.tokens} tokens · ~${money(estimatedCost(p.tokens, config))}`;
      const pace = paceNote(p);
      const withPace = pace ? `${counts} · ${pace}` : counts;
      // First, where a narrow notification still shows it.
      const throttled = throttleNote(p);
      return throttled ? `${throttled} · ${withPace}` : withPace;
    }
  }
}

function reportSummary(r: IndexReport, config: Pick<EngineConfig, 'embedding'>): string {
  const parts = [
    `${plural(r.files.changed, 'file')} updated, ${r.files.unchanged} unchanged, ${r.files.deleted} removed, ${r.files.skipped} skipped`,
    `${plural(r.chunks.written, 'chunk')} written`,
    r.mode === 'embeddings' ? `${r.tokens} tokens embedded (~${money(estimatedCost(r.tokens, config))})` : 'keyword-only (no embeddings endpoint)',
  ];
  return parts.join(', ');
}

/** What a stopped run left for the next one, said only of files it concerns. */
function leftBehind(r: IndexReport): string {
  const parts = [
    r.files.notUpdated ? `${plural(r.files.notUpdated, 'changed file')} kept the previous version` : '',
    r.files.notIndexed ? `${plural(r.files.notIndexed, 'new file')} not indexed yet` : '',
    r.unembedded ? `${plural(r.unembedded, 'chunk')} not embedded yet (full-text and graph search find ${r.unembedded === 1 ? 'it' : 'them'} meanwhile)` : '',
  ].filter(Boolean);
  return parts.length ? `${parts.join('; ')}.` : '';
}

function describeWorkspace(ws: Pick<WorkspaceSpec, 'roots'>): string {
  return ws.roots.map((r) => r.path).join(', ') || 'the workspace';
}
