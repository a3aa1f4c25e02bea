// The dialogs of the commands: what Clear Index should delete, and the question Ask About Selection puts in the chat.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { truncateToTokens } from '../core/tokens';
import type { Folder } from './folders';
import type { ClearScope } from './indexing';

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
