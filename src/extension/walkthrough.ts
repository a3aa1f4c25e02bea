// The walkthrough "Get started with Workspace RAG": opened once, on the first activation after install, and each of
// its steps checked when it is done (its completion events are these context keys), not merely when its command ran.
import * as vscode from 'vscode';
import { keysNeeded, SECRETS, type SecretId, type Secrets } from './secrets';
import type { IndexStatusBar } from './statusBar';

const SHOWN_KEY = 'workspaceRag.walkthroughShown';
const WALKTHROUGH = 'gettingStarted';

/** The context keys of package.json's completionEvents. */
export const WALKTHROUGH_CONTEXT = {
  /** Every key the settings need is stored. */
  credentials: 'workspaceRag.credentialsSet',
  /** The workspace has an index. */
  indexed: 'workspaceRag.indexed',
  /** An answer came back in the chat. */
  asked: 'workspaceRag.asked',
} as const;

export class Walkthrough implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private readonly values = new Map<string, boolean>();

  constructor(
    private readonly context: Pick<vscode.ExtensionContext, 'globalState' | 'extensionMode'>,
    private readonly extensionId: string,
    private readonly secrets: Secrets,
    statusBar: Pick<IndexStatusBar, 'onDidChange'>,
  ) {
    this.subscriptions = [
      statusBar.onDidChange((state) => {
        if (state.kind === 'not-indexed') this.set(WALKTHROUGH_CONTEXT.indexed, false);
        else if (state.kind === 'up-to-date' || state.kind === 'changed' || state.kind === 'failed') this.set(WALKTHROUGH_CONTEXT.indexed, true);
      }),
      secrets.onDidChange(() => this.checkCredentials()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('workspaceRag')) this.checkCredentials();
      }),
    ];
    this.checkCredentials();
  }

  /** Opens the walkthrough the first time the extension runs in this VS Code (never in tests). */
  async openOnFirstRun(): Promise<void> {
    if (this.context.extensionMode === vscode.ExtensionMode.Test || this.context.globalState.get<boolean>(SHOWN_KEY)) return;
    await this.context.globalState.update(SHOWN_KEY, true);
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${this.extensionId}#${WALKTHROUGH}`, false);
  }

  asked(): void {
    this.set(WALKTHROUGH_CONTEXT.asked, true);
  }

  private checkCredentials(): void {
    const configuration = vscode.workspace.getConfiguration('workspaceRag');
    const needs = keysNeeded((key) => configuration.get(key));
    // The BitNet key is optional even with an endpoint (bitnet.cpp needs none): the others decide.
    const required = (Object.keys(SECRETS) as SecretId[]).filter((id) => needs[id].needed && id !== 'bitnetApiKey');
    this.set(WALKTHROUGH_CONTEXT.credentials, required.every((id) => this.secrets.has(id)));
  }

  private set(key: string, value: boolean): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
