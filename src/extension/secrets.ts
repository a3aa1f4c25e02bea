// Keys live only in SecretStorage. They are entered through password input boxes, cached in memory so that every text
// leaving the extension (log lines, error messages, webview messages) can be scrubbed of them, and of credentials
// written inside URLs.
import * as vscode from 'vscode';
import { z } from 'zod';
import { COGNITIVE_SERVICES_SCOPE } from '../core/auth';
import { redactUrlSecrets } from '../core/config';
import { microsoftSignInNeeded, signInWithMicrosoft } from './entra';

export type SecretId = 'neo4jPassword' | 'azureApiKey' | 'bitnetApiKey';

export const SECRETS: Record<SecretId, { key: string; label: string; prompt: string }> = {
  neo4jPassword: { key: 'workspaceRag.neo4j.password', label: 'Neo4j password', prompt: 'Password of the Neo4j user (workspaceRag.neo4j.username)' },
  azureApiKey: { key: 'workspaceRag.azure.apiKey', label: 'Azure OpenAI API key', prompt: 'API key of the Azure OpenAI resource (workspaceRag.azure.endpoint)' },
  bitnetApiKey: { key: 'workspaceRag.bitnet.apiKey', label: 'BitNet API key', prompt: 'API key of the BitNet endpoint (workspaceRag.bitnet.endpoint)' },
};
const SECRET_IDS = Object.keys(SECRETS) as SecretId[];

export type SecretValues = Partial<Record<SecretId, string>>;

/** Shorter values are too likely to occur in ordinary text to be scrubbed from it. */
const MIN_REDACTED_LENGTH = 4;
export const REDACTED = '••••••';

export class Secrets implements vscode.Disposable {
  private readonly known = new Map<SecretId, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChange = this.changed.event;

  constructor(private readonly storage: vscode.SecretStorage) {
    // Also fires when another window of the same profile changes a key.
    this.subscription = storage.onDidChange(async (e) => {
      const id = SECRET_IDS.find((s) => SECRETS[s].key === e.key);
      if (!id) return;
      const before = this.known.get(id);
      // Our own writes already fired; this echo must not retire the engine they just opened.
      if ((await this.get(id)) !== before) this.changed.fire();
    });
  }

  /** Reads every key once, so redaction knows them before the first log line. */
  async load(): Promise<SecretValues> {
    const values: SecretValues = {};
    for (const id of SECRET_IDS) values[id] = await this.get(id);
    return values;
  }

  async get(id: SecretId): Promise<string | undefined> {
    const value = (await this.storage.get(SECRETS[id].key)) || undefined;
    if (value) this.known.set(id, value);
    else this.known.delete(id);
    return value;
  }

  /** Stores the key and fires onDidChange before returning, so the next engine use already sees it. */
  async set(id: SecretId, value: string): Promise<void> {
    if (!value) return this.delete(id);
    const changed = this.known.get(id) !== value;
    this.known.set(id, value);
    await this.storage.store(SECRETS[id].key, value);
    if (changed) this.changed.fire();
  }

  /** Stores several keys and fires onDidChange once, after all of them. */
  async setAll(values: SecretValues): Promise<void> {
    let changed = false;
    for (const id of SECRET_IDS) {
      const value = values[id];
      if (!value || this.known.get(id) === value) continue;
      this.known.set(id, value);
      await this.storage.store(SECRETS[id].key, value);
      changed = true;
    }
    if (changed) this.changed.fire();
  }

  /** Whether a key is stored (as last read or written). */
  has(id: SecretId): boolean {
    return this.known.has(id);
  }

  async delete(id: SecretId): Promise<void> {
    const changed = this.known.has(id);
    this.known.delete(id);
    await this.storage.delete(SECRETS[id].key);
    if (changed) this.changed.fire();
  }

  /**
   * Replaces every known key in `text`, including its URL-encoded form (keys can end up in query strings), and any
   * password or key written inside a URL (`scheme://user:pass@`, `?api-key=`), known or not.
   */
  readonly redact = (text: string): string => redactValues(redactUrlSecrets(text, REDACTED), [...this.known.values()]);

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

export function redactValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) {
    if (value.length < MIN_REDACTED_LENGTH) continue;
    for (const form of new Set([value, encodeURIComponent(value)])) out = out.split(form).join(REDACTED);
  }
  return out;
}

// ---- Commands ----

/** Values a test may pass to Set Credentials; honoured only when the extension runs in test mode. */
const testCredentials = z
  .object({ neo4jPassword: z.string(), azureApiKey: z.string(), bitnetApiKey: z.string() })
  .partial()
  .strict();
const secretId = z.enum(['neo4jPassword', 'azureApiKey', 'bitnetApiKey']);

/** Whether the configuration needs a key now, and why (or why not), as the flow and its summary say it. */
export interface KeyNeed {
  needed: boolean;
  why: string;
}

/** The keys the configured services need: the Neo4j password always, the others when their endpoint is set. */
export function keysNeeded(setting: (key: string) => unknown): Record<SecretId, KeyNeed> {
  const set = (key: string) => typeof setting(key) === 'string' && String(setting(key)).trim() !== '';
  return {
    neo4jPassword: { needed: true, why: 'Neo4j signs in with it' },
    azureApiKey: !set('azure.endpoint')
      ? { needed: false, why: 'workspaceRag.azure.endpoint is empty, so retrieval is keyword-only' }
      : setting('azure.auth') === 'entra'
        ? { needed: false, why: 'workspaceRag.azure.auth is entra: your Microsoft account signs in instead' }
        : { needed: true, why: 'workspaceRag.azure.endpoint is set' },
    bitnetApiKey: !set('bitnet.endpoint')
      ? { needed: false, why: 'workspaceRag.bitnet.endpoint is empty, so answers are retrieval-only' }
      : setting('bitnet.authStyle') === 'entra'
        ? { needed: false, why: 'workspaceRag.bitnet.authStyle is entra: your Microsoft account signs in instead' }
        : { needed: true, why: 'workspaceRag.bitnet.endpoint is set (leave it empty if the endpoint needs no key)' },
  };
}

/** What Set Credentials asks with and tells through; VS Code's input boxes and settings unless a test gives others. */
export interface CredentialsUi {
  ask(options: vscode.InputBoxOptions): Thenable<string | undefined>;
  tell(text: string): void;
  setting(key: string): unknown;
  /** Signs in to Microsoft for the tenant (Entra ID); the account's label, or undefined when declined. */
  signIn?(tenantId: string | undefined): Promise<string | undefined>;
}

const vscodeUi: CredentialsUi = {
  ask: (options) => vscode.window.showInputBox(options),
  tell: (text) => void vscode.window.showInformationMessage(text),
  setting: (key) => vscode.workspace.getConfiguration('workspaceRag').get(key),
  signIn: (tenantId) => signInWithMicrosoft(vscode.authentication, COGNITIVE_SERVICES_SCOPE, tenantId),
};

/**
 * One flow: a password box for each key the configuration needs (1/3, 2/3…), where Enter on an empty box keeps a
 * stored key; the keys are stored together at the end, so nothing half-set is seen meanwhile (the status bar does not
 * go "unavailable" between two boxes), and the summary says which were saved, kept and not needed. With a SecretId
 * argument, only that key is asked. Keys passed as an argument are accepted only in test mode: otherwise any command
 * link or extension could plant a key.
 */
export async function setCredentials(secrets: Secrets, mode: vscode.ExtensionMode, arg: unknown, ui: CredentialsUi = vscodeUi): Promise<SecretId[]> {
  if (mode === vscode.ExtensionMode.Test && arg !== null && typeof arg === 'object') {
    const values = testCredentials.parse(arg);
    const ids = SECRET_IDS.filter((id) => values[id] !== undefined);
    for (const id of ids) await secrets.set(id, values[id]!);
    return ids;
  }
  const needs = keysNeeded((key) => ui.setting(key));
  const preset = secretId.safeParse(arg);
  // Entra ID: the Microsoft sign-in comes first, in place of the keys it makes unnecessary.
  const signedIn = !preset.success && microsoftSignInNeeded((key) => ui.setting(key)) ? await signInStep(ui) : undefined;
  const steps = preset.success ? [preset.data] : SECRET_IDS.filter((id) => needs[id].needed);
  const entered: SecretValues = {};
  for (const [i, id] of steps.entries()) {
    const stored = (await secrets.get(id)) !== undefined;
    const value = await ui.ask({
      title: `Workspace RAG: ${SECRETS[id].label}${steps.length > 1 ? ` (${i + 1}/${steps.length})` : ''}`,
      prompt: `${SECRETS[id].prompt}: ${needs[id].why}.`,
      placeHolder: stored ? 'Stored. Press Enter to keep it, or type a new one' : undefined,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v !== v.trim() ? 'Remove the leading or trailing spaces.' : undefined),
    });
    // Escape ends the flow and stores nothing.
    if (value === undefined) return [];
    if (value) entered[id] = value;
  }
  const saved = SECRET_IDS.filter((id) => entered[id] !== undefined);
  await secrets.setAll(entered);
  const said = SECRET_IDS.map((id) => {
    if (saved.includes(id)) return `${SECRETS[id].label} saved in the secret storage`;
    if (steps.includes(id)) return `${SECRETS[id].label} ${secrets.has(id) ? 'kept' : 'not set'}`;
    return needs[id].needed ? undefined : `${SECRETS[id].label} not needed (${needs[id].why})`;
  }).filter((t): t is string => t !== undefined);
  if (signedIn) said.unshift(signedIn);
  ui.tell(`Workspace RAG: ${said.join('; ')}.`);
  return saved;
}

/** The Microsoft sign-in of Set Credentials, as its summary says it. */
async function signInStep(ui: CredentialsUi): Promise<string> {
  const tenant = ui.setting('azure.tenantId');
  const tenantId = typeof tenant === 'string' && tenant.trim() ? tenant.trim() : undefined;
  const account = await ui.signIn?.(tenantId);
  return account
    ? `signed in to Microsoft as ${account}${tenantId ? ` (tenant ${tenantId})` : ''}`
    : 'not signed in to Microsoft (Set Credentials again, or the Accounts menu, signs in)';
}

/** Deletes the keys the user picks (or, in test mode only, the SecretIds passed as an array). */
export async function clearCredentials(secrets: Secrets, mode: vscode.ExtensionMode, arg: unknown): Promise<SecretId[]> {
  let ids: SecretId[];
  if (mode === vscode.ExtensionMode.Test && Array.isArray(arg)) ids = z.array(secretId).parse(arg);
  else {
    const stored: SecretId[] = [];
    for (const id of SECRET_IDS) if (await secrets.get(id)) stored.push(id);
    if (stored.length === 0) {
      void vscode.window.showInformationMessage('Workspace RAG: no credentials are stored.');
      return [];
    }
    const picked = await vscode.window.showQuickPick(
      stored.map((id) => ({ label: SECRETS[id].label, id, picked: true })),
      { title: 'Workspace RAG: Clear Credentials', placeHolder: 'Keys to delete from the secret storage', canPickMany: true },
    );
    ids = picked?.map((p) => p.id) ?? [];
  }
  for (const id of ids) await secrets.delete(id);
  return ids;
}
