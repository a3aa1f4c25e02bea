// Insert at Cursor for the chat's code blocks: the code goes into the text editor used last (the chat's own tab is
// not a text editor, and it may cover that editor in its group), replacing its selections where they were when the
// user left it, and that editor gets the focus.
import * as vscode from 'vscode';

export class CodeInserter implements vscode.Disposable {
  private last: { document: vscode.TextDocument; column?: vscode.ViewColumn; selections: readonly vscode.Selection[] } | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.remember(vscode.window.activeTextEditor);
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor((editor) => this.remember(editor)),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor === vscode.window.activeTextEditor) this.remember(e.textEditor);
      }),
    ];
  }

  private remember(editor: vscode.TextEditor | undefined): void {
    // Only files (and untitled buffers): not the output channel or another extension's read-only document.
    if (editor && ['file', 'untitled', 'vscode-remote'].includes(editor.document.uri.scheme)) {
      this.last = { document: editor.document, column: editor.viewColumn, selections: editor.selections };
    }
  }

  /** Inserts `code` at the cursor of the editor used last; false (with a message) when there is none. */
  async insert(code: string): Promise<boolean> {
    const target = this.last && !this.last.document.isClosed ? this.last : undefined;
    if (!target) {
      void vscode.window.showInformationMessage('Workspace RAG: open a file to insert the code into.');
      return false;
    }
    const editor = await vscode.window.showTextDocument(target.document, { viewColumn: target.column, preserveFocus: false });
    // The selections the user left, kept within the document as it is now.
    const selections = target.selections.map((s) => editor.document.validateRange(s));
    const inserted = await editor.edit((edit) => {
      for (const selection of selections) edit.replace(selection, code);
    });
    return inserted;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
