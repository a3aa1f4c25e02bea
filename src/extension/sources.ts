// Cited files in the editor: opening a cited range (only inside the workspace folders, symlinks included), and the
// current text of a cited file (the open editor's, unsaved edits included) for stale-citation checks.
import * as vscode from 'vscode';
import type { SourceLocation } from './chatView';
import { isReallyInside, resolveWorkspacePath, type Folder } from './folders';
import type { Log } from './log';

export class SourceFiles {
  constructor(
    private readonly folders: () => Folder[],
    private readonly log: Log,
  ) {}

  /** Opens the file with exactly the cited lines selected; refuses paths outside the workspace folders. */
  async open(location: SourceLocation, column: vscode.ViewColumn = vscode.ViewColumn.Active): Promise<boolean> {
    const resolved = resolveWorkspacePath(this.folders(), location.path);
    if (!resolved || !(await isReallyInside(resolved.root, resolved.absPath))) {
      this.log.warn(`Refused to open ${JSON.stringify(location.path)}: it is not inside the workspace folders.`);
      void vscode.window.showWarningMessage(`Workspace RAG: ${location.path} is not inside the workspace folders.`);
      return false;
    }
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(resolved.absPath));
      const last = document.lineCount - 1;
      const start = Math.min(location.startLine - 1, last);
      const end = Math.min(Math.max(location.endLine - 1, start), last);
      const range = new vscode.Range(start, 0, end, document.lineAt(end).text.length);
      const editor = await vscode.window.showTextDocument(document, { selection: range, viewColumn: column, preview: true });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return true;
    } catch (error) {
      this.log.error(`Opening ${location.path} failed`, error);
      void vscode.window.showWarningMessage(`Workspace RAG: ${location.path} could not be opened; it may have been deleted or renamed.`);
      return false;
    }
  }

  /** The file's text as the user sees it now: the open document's, or the file on disk; undefined if it is gone. */
  async currentText(relPath: string): Promise<string | undefined> {
    const resolved = resolveWorkspacePath(this.folders(), relPath);
    if (!resolved) return undefined;
    const uri = vscode.Uri.file(resolved.absPath);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return open.getText();
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return undefined;
    }
  }
}
