// Keys live only in SecretStorage. They are entered through password input boxes, cached in memory so that every text
// leaving the extension (log lines, error messages, webview messages) can be scrubbed of them, and of credentials
// written inside URLs.
import * as vscode from 'vscode';
import { z } from 'zod';
import { redactUrlSecrets } from '../core/config';

export type SecretId = 'neo4jPassword' | 'azureApiKey' | 'bitnetApiKey';

export const SECRETS: Record<SecretId, { key: string; label: string; prompt: string }> = {
  neo4jPassword: { key: 'workspaceRag.neo4j.password', label: 'Neo4j password', prompt: 'Password of the Neo4j user (workspaceRag.neo4j.username)' },
  azureApiKey: { key: 'workspaceRag.azure.apiKey', label: 'Azure OpenAI API key', prompt: 'API key of the Azure OpenAI resource (workspaceRag.azure.endpoint)' },
  bitnetApiKey: { key: 'workspaceRag.bitnet.apiKey', label: 'BitNet API key', prompt: 'API key of the BitNet endpoint (workspaceRag.bitnet.endpoint); leave empty to remove it' },
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

/**
 * Asks which key to set (or takes a SecretId argument) and reads it from a password input box. Keys passed as an
 * argument are accepted only in test mode: otherwise any command link or extension could plant a key.
 */
export async function setCredentials(secrets: Secrets, mode: vscode.ExtensionMode, arg: unknown): Promise<SecretId[]> {
  if (mode === vscode.ExtensionMode.Test && arg !== null && typeof arg === 'object') {
    const values = testCredentials.parse(arg);
    const ids = SECRET_IDS.filter((id) => values[id] !== undefined);
    for (const id of ids) await secrets.set(id, values[id]!);
    return ids;
  }
  const preset = secretId.safeParse(arg);
  const id = preset.success ? preset.data : await pickSecret(secrets, 'Set Credentials', 'Which key do you want to set?');
  if (!id) return [];
  const value = await vscode.window.showInputBox({
    title: `Workspace RAG: ${SECRETS[id].label}`,
    prompt: SECRETS[id].prompt,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v !== v.trim() ? 'Remove the leading or trailing spaces.' : undefined),
  });
  if (value === undefined) return [];
  await secrets.set(id, value);
  void vscode.window.showInformationMessage(value ? `Workspace RAG: ${SECRETS[id].label} saved in the secret storage.` : `Workspace RAG: ${SECRETS[id].label} removed.`);
  return [id];
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

async function pickSecret(secrets: Secrets, title: string, placeHolder: string): Promise<SecretId | undefined> {
  const items = [];
  for (const id of SECRET_IDS) items.push({ label: SECRETS[id].label, description: (await secrets.get(id)) ? 'stored' : 'not set', id });
  return (await vscode.window.showQuickPick(items, { title: `Workspace RAG: ${title}`, placeHolder }))?.id;
}
