// The remedies the extension offers with an error or a banner (Set Credentials, Open Settings, Index Workspace, Show
// Log, Show Status), run the same way from a notification button and from the chat.
import * as vscode from 'vscode';
import { z } from 'zod';
import type { UserError, WebviewCommand } from './errors';
import type { Log } from './log';

const RETRY = 'Retry';
const SHOW_LOG = 'Show Log';

/** The part of package.json that says each setting's scope. */
const settingsSection = z.object({ properties: z.record(z.string(), z.object({ scope: z.string().optional() })) });
const contributedSettings = z.object({ contributes: z.object({ configuration: z.union([settingsSection, z.array(settingsSection)]) }) });

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
      openSettings: () => this.openSettings(setting),
      indexWorkspace: () => vscode.commands.executeCommand(this.commands.indexWorkspace),
      showLog: () => this.log.show(),
      showStatus: () => vscode.commands.executeCommand(this.commands.showIndexStatus),
    }[command];
    void Promise.resolve(run()).catch((e: unknown) => this.log.error(`Command ${command} failed`, e));
  };

  /**
   * The Settings editor on `setting`, or on all of this extension's. In a remote window (code-server, SSH, a dev
   * container) a machine-scoped setting (the endpoints, the Neo4j URI) is listed only under the Remote tab: the User
   * tab would say "No Settings Found".
   */
  private openSettings(setting: string | undefined): Thenable<unknown> {
    const remote = vscode.env.remoteName !== undefined && setting !== undefined && this.scopeOf(setting) === 'machine';
    return vscode.commands.executeCommand(remote ? 'workbench.action.openRemoteSettings' : 'workbench.action.openSettings', { query: setting ?? `@ext:${this.extensionId}` });
  }

  /** A setting's scope as package.json declares it. */
  private scopeOf(setting: string): string | undefined {
    const manifest = contributedSettings.safeParse(vscode.extensions.getExtension(this.extensionId)?.packageJSON);
    if (!manifest.success) return undefined;
    const { configuration } = manifest.data.contributes;
    return (Array.isArray(configuration) ? configuration : [configuration]).find((c) => c.properties[setting])?.properties[setting].scope;
  }

  /**
   * An error notification with the button that fixes it and Show Log. Without such a button (Neo4j down, a network
   * failure), `retry` adds Retry: trying again is the fix.
   */
  readonly showError = async (error: UserError, prefix: string, retry?: () => void): Promise<void> => {
    const fix = error.action && error.action.command !== 'showLog' ? error.action : undefined;
    const offerRetry = retry && (error.retry || !fix);
    const buttons = [fix?.label, offerRetry ? RETRY : undefined, SHOW_LOG].filter((b): b is string => Boolean(b));
    const picked = await vscode.window.showErrorMessage(`Workspace RAG: ${prefix}. ${error.message}`, ...buttons);
    if (picked === SHOW_LOG) this.log.show();
    else if (picked === RETRY) retry?.();
    else if (picked && fix) this.run(fix.command, error.setting);
  };
}
