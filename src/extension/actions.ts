// The remedies the extension offers with an error or a banner (Set Credentials, Open Settings, Index Workspace, Show
// Log, Show Status), run the same way from a notification button and from the chat.
import * as vscode from 'vscode';
import type { UserError, WebviewCommand } from './errors';
import type { Log } from './log';

export class Actions {
  constructor(
    private readonly commands: { setCredentials: string; indexWorkspace: string; showIndexStatus: string },
    private readonly extensionId: string,
    private readonly log: Log,
  ) {}

  /** Runs a remedy; `setting` is the one Open Settings should show (by default, all of this extension's). */
  readonly run = (command: WebviewCommand, setting?: string): void => {
    const run = {
      setCredentials: () => vscode.commands.executeCommand(this.commands.setCredentials),
      openSettings: () => vscode.commands.executeCommand('workbench.action.openSettings', setting ?? `@ext:${this.extensionId}`),
      indexWorkspace: () => vscode.commands.executeCommand(this.commands.indexWorkspace),
      showLog: () => this.log.show(),
      showStatus: () => vscode.commands.executeCommand(this.commands.showIndexStatus),
    }[command];
    void Promise.resolve(run()).catch((e: unknown) => this.log.error(`Command ${command} failed`, e));
  };

  /** An error notification with the button that fixes it, and Show Log. */
  readonly showError = async (error: UserError, prefix: string): Promise<void> => {
    const buttons = [error.action?.label, 'Show Log'].filter((b): b is string => Boolean(b));
    const picked = await vscode.window.showErrorMessage(`Workspace RAG: ${prefix}. ${error.message}`, ...buttons);
    if (picked === 'Show Log') this.log.show();
    else if (picked && error.action) this.run(error.action.command, error.setting);
  };
}
