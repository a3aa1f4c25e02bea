// The dialogs of the index commands: what Clear Index should delete, and the index status with its next step.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { truncateToTokens } from '../core/tokens';
import type { WebviewCommand } from './errors';
import type { Folder } from './folders';
import type { ClearScope, IndexSummary } from './indexing';
import type { Log } from './log';
import { plural } from './statusBar';

/** A selection sent to BitNet must leave most of its 4096 tokens to the sources. */
const MAX_SELECTION_TOKENS = 600;

export async function pickClearScope(): Promise<ClearScope | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'This workspace', description: "delete this workspace's files, chunks and symbols", scope: 'workspace' as const },
      { label: 'Everything', description: 'every indexed workspace in this Neo4j database, and the vector index', scope: 'everything' as const },
    ],
    { title: 'Workspace RAG: Clear Index', placeHolder: 'What should be deleted from Neo4j?' },
  );
  if (picked?.scope !== 'everything') return picked?.scope;
  const confirm = await vscode.window.showWarningMessage(
    'Delete the index of every workspace in this Neo4j database?',
    { modal: true, detail: 'Each workspace will need to be indexed again.' },
    'Delete Everything',
  );
  return confirm ? 'everything' : undefined;
}

export async function showStatus(s: IndexSummary, runCommand: (c: WebviewCommand) => void, log: Log): Promise<void> {
  const skipped = Object.values(s.skippedByReason).reduce((a, b) => a + b, 0);
  const state = s.files === 0 ? 'not indexed' : s.changedFiles ? `${plural(s.changedFiles, 'file')} changed since indexing` : 'up to date';
  const modes = [s.keywordOnly ? 'keyword-only retrieval (no Azure endpoint)' : 'hybrid retrieval', s.retrievalOnly ? 'retrieval-only answers (no BitNet endpoint)' : 'BitNet answers'];
  const detail = [
    `${plural(s.files, 'file')}, ${plural(s.chunks, 'chunk')} (${s.embedded} with embeddings), ${skipped} skipped.`,
    `Last indexed: ${s.lastIndexedAt ?? 'never'}.`,
    `Mode: ${modes.join(', ')}.`,
  ].join(' ');
  log.info(`Status of ${s.workspace}: ${state}. ${detail}`);
  const action = s.files === 0 || s.changedFiles ? 'Index Now' : undefined;
  const picked = await vscode.window.showInformationMessage(`Workspace RAG: ${state}. ${detail}`, ...(action ? [action] : []), 'Show Log');
  if (picked === 'Index Now') runCommand('indexWorkspace');
  else if (picked === 'Show Log') runCommand('showLog');
}

/** "Explain …" with the selected lines and where they are, trimmed so the question leaves room for sources. */
export function selectionQuestion(editor: vscode.TextEditor | undefined, folders: Folder[]): string | undefined {
  if (!editor || editor.selection.isEmpty) return undefined;
  const text = editor.document.getText(editor.selection).trim();
  if (!text) return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(editor.document.uri);
  const relative = vscode.workspace.asRelativePath(editor.document.uri, folders.length > 1);
  const where = folder ? `${relative}:${editor.selection.start.line + 1}-${editor.selection.end.line + 1}` : path.basename(editor.document.uri.path);
  const excerpt = truncateToTokens(text, MAX_SELECTION_TOKENS);
  // A fence longer than any backtick run inside keeps the excerpt one code block.
  const fence = '`'.repeat(Math.max(3, ...(excerpt.match(/`+/g) ?? []).map((r) => r.length + 1)));
  return `What does this code from ${where} do?\n\n${fence}${editor.document.languageId}\n${excerpt}\n${fence}`;
}
