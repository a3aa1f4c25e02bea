// The status bar item: not indexed, indexing N%, embedding N% (every file is searchable by keywords, the vectors fill
// in), up to date, N files changed since indexing, or embedded N% (a run stopped before every chunk had its vector).
// Clicking it shows the index status.
import * as vscode from 'vscode';

export type IndexState =
  | { kind: 'unknown' }
  | { kind: 'no-folder' }
  | { kind: 'not-indexed' }
  /** `left`: what is left of the embedding ("about 3 min left"); `pace`: tokens per minute against the quota. */
  | { kind: 'indexing'; percent: number; left?: string; pace?: string }
  /** Every file is written and searchable by keywords; `percent` of this run's embedding is done. */
  | { kind: 'embedding'; percent: number; left?: string; pace?: string }
  /** No run is going, and only `percent` of the workspace's chunks have their vector (a run stopped early). */
  | { kind: 'partly-embedded'; percent: number }
  | { kind: 'up-to-date'; files: number }
  | { kind: 'changed'; files: number }
  /** The last run indexed the rest but could not index these files (each keeps its previous version). */
  | { kind: 'failed'; files: string[] }
  | { kind: 'unavailable'; message: string };

export function presentState(state: IndexState): { text: string; tooltip: string } {
  switch (state.kind) {
    case 'unknown':
      return { text: '$(database) RAG', tooltip: 'Workspace RAG: click to show the index status' };
    case 'no-folder':
      return { text: '$(database) RAG: no folder', tooltip: 'Workspace RAG: open a folder to index it' };
    case 'not-indexed':
      return { text: '$(database) RAG: not indexed', tooltip: 'Workspace RAG: this workspace is not indexed yet. Run "Workspace RAG: Index Workspace".' };
    case 'indexing':
      return {
        text: `$(sync~spin) RAG: indexing ${state.percent}%${state.left ? ` (${state.left})` : ''}`,
        tooltip: `Workspace RAG: indexing the workspace${state.pace ? `, ${state.pace}` : ''}`,
      };
    case 'embedding':
      return {
        text: `$(sync~spin) RAG: embedding ${state.percent}%${state.left ? ` (${state.left})` : ''}`,
        tooltip: `Workspace RAG: every file is indexed and searchable by keywords; embeddings fill in behind, newest-edited files first${state.pace ? ` (${state.pace})` : ''}`,
      };
    case 'partly-embedded':
      return {
        text: `$(database) RAG: embedded ${state.percent}%`,
        tooltip:
          `Workspace RAG: ${state.percent}% of the chunks have their embeddings; full-text and graph search find the rest until ` +
          'the next index run embeds them. Run "Workspace RAG: Index Workspace" to finish.',
      };
    case 'up-to-date':
      return { text: '$(check) RAG: up to date', tooltip: `Workspace RAG: ${plural(state.files, 'file')} indexed, nothing changed since` };
    case 'changed':
      return {
        text: `$(diff) RAG: ${plural(state.files, 'file')} changed`,
        tooltip: `Workspace RAG: ${plural(state.files, 'file')} changed since indexing. Run "Workspace RAG: Index Workspace" to update.`,
      };
    case 'failed': {
      const named = state.files.slice(0, FAILED_NAMED).join(', ');
      const more = state.files.length > FAILED_NAMED ? ` and ${state.files.length - FAILED_NAMED} more` : '';
      return {
        text: `$(warning) RAG: ${plural(state.files.length, 'file')} not indexed`,
        tooltip: `Workspace RAG: could not index ${named}${more}. Click for the reasons.`,
      };
    }
    case 'unavailable':
      return { text: '$(warning) RAG: unavailable', tooltip: `Workspace RAG: ${state.message}` };
  }
}

/** Files named in the tooltip; the status view lists them all. */
const FAILED_NAMED = 5;

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class IndexStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('workspaceRag.status', vscode.StatusBarAlignment.Left, 10);
  private current: IndexState = { kind: 'unknown' };
  private readonly changed = new vscode.EventEmitter<IndexState>();
  /** Fires with each state shown (the walkthrough's "indexed" step follows it). */
  readonly onDidChange = this.changed.event;

  constructor(command: string) {
    this.item.name = 'Workspace RAG index';
    this.item.command = command;
    this.set(this.current);
    this.item.show();
  }

  get state(): IndexState {
    return this.current;
  }

  set(state: IndexState): void {
    this.current = state;
    const { text, tooltip } = presentState(state);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = state.kind === 'unavailable' || state.kind === 'failed' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.changed.fire(state);
  }

  dispose(): void {
    this.changed.dispose();
    this.item.dispose();
  }
}
