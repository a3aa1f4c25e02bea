// The dialogs of the commands: what Clear Index should delete, and the selection Ask About Selection puts in the chat.
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

/** The selected code Ask About Selection attaches to the question, as the chat shows it and sends it. */
export interface SelectionContext {
  /** Workspace-relative, or the file name of a file outside the folders. */
  path: string;
  startLine: number;
  endLine: number;
  language: string;
  text: string;
}

/** The question Ask About Selection puts in the chat's input box, above the attached selection. */
export const SELECTION_QUESTION = 'What does this code do?';

/**
 * The 1-based lines a selection covers as a user reads it: one that ends at the very start of a line (a whole-line
 * selection made with Shift+Down, or a triple click) ends on the line before.
 */
export function selectedLines(selection: { start: { line: number }; end: { line: number; character: number } }): { startLine: number; endLine: number } {
  const endsAtLineStart = selection.end.character === 0 && selection.end.line > selection.start.line;
  return { startLine: selection.start.line + 1, endLine: endsAtLineStart ? selection.end.line : selection.end.line + 1 };
}

/** The selected lines, where they are and their language, trimmed so the question leaves room for sources. */
export function selectionContext(editor: vscode.TextEditor | undefined, folders: Folder[]): SelectionContext | undefined {
  if (!editor || editor.selection.isEmpty) return undefined;
  const text = editor.document.getText(editor.selection).replace(/\s+$/, '');
  if (!text.trim()) return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(editor.document.uri);
  const where = folder ? vscode.workspace.asRelativePath(editor.document.uri, folders.length > 1) : path.basename(editor.document.uri.path);
  return { path: where, ...selectedLines(editor.selection), language: editor.document.languageId, text: truncateToTokens(text, MAX_SELECTION_TOKENS) };
}
