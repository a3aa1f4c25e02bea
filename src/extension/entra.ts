// Microsoft Entra ID (keyless) sign-in in the editor: the engine's token port filled from VS Code's built-in
// Microsoft authentication provider. The tenant goes in as the provider's `VSCODE_TENANT:<id>` pseudo-scope (how it
// takes one; absent, it signs in to `organizations`, the account's home tenant). Tokens stay with the provider, which
// keeps and refreshes them in its own secret storage; the engine's cache holds the current one in memory only. A
// background run never opens a sign-in dialog: without a session it fails with a message naming the sign-in, and VS
// Code shows a sign-in request in its Accounts menu; Set Credentials signs in (signIn below).
import * as vscode from 'vscode';
import type { AccessToken, TokenProvider } from '../core/auth';

const MICROSOFT_PROVIDER = 'microsoft';

/** The part of `vscode.authentication` the sign-in uses. */
export type Authentication = Pick<typeof vscode.authentication, 'getSession' | 'onDidChangeSessions'>;

/** How long a token is taken to last when it says nothing itself (it is not a JWT): the engine asks again after ~5 min. */
const ASSUMED_LIFETIME_MS = 10 * 60_000;

/** The scopes to ask VS Code's Microsoft provider for: the resource's scope, and the tenant's pseudo-scope. */
export function sessionScopes(scope: string, tenantId: string | undefined): string[] {
  return tenantId ? [scope, `VSCODE_TENANT:${tenantId}`] : [scope];
}

/**
 * When an access token expires, from its `exp` claim (Entra ID's tokens are JWTs); VS Code's sessions do not say. The
 * claim is read, not verified: it only decides when to ask again, and the service checks the token itself.
 */
export function expiryOf(accessToken: string, now = Date.now()): number {
  const payload = accessToken.split('.')[1];
  try {
    const exp = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
  } catch {
    // not a JWT
  }
  return now + ASSUMED_LIFETIME_MS;
}

/**
 * Asks the user to sign in to Microsoft for the scope and tenant (or to allow this extension the account VS Code has):
 * Set Credentials' step when a service signs in with Entra ID. Resolves with the account's label, or undefined when
 * the user declined.
 */
export async function signInWithMicrosoft(auth: Pick<Authentication, 'getSession'>, scope: string, tenantId: string | undefined): Promise<string | undefined> {
  try {
    return (await auth.getSession(MICROSOFT_PROVIDER, sessionScopes(scope, tenantId), { createIfNone: true })).account.label;
  } catch (error) {
    // The user closed the dialog: "User did not consent to login." / "Cancelled".
    if (error instanceof Error && /cancel|consent/i.test(error.message)) return undefined;
    throw error;
  }
}

/** Whether a configured service signs in with Microsoft Entra ID: its endpoint is set and its auth is `entra`. */
export function microsoftSignInNeeded(setting: (key: string) => unknown): boolean {
  const set = (key: string) => typeof setting(key) === 'string' && String(setting(key)).trim() !== '';
  return (set('azure.endpoint') && setting('azure.auth') === 'entra') || (set('bitnet.endpoint') && setting('bitnet.authStyle') === 'entra');
}

export class MicrosoftSignIn implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  /** Fires when the Microsoft accounts VS Code knows change (a sign-in from the Accounts menu, a sign-out). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly auth: Authentication = vscode.authentication) {
    this.subscription = auth.onDidChangeSessions((e) => {
      if (e.provider.id === MICROSOFT_PROVIDER) this.changed.fire();
    });
  }

  /** The engine's token port for a tenant: the session VS Code has for the scope, without any dialog. */
  tokenProvider(tenantId: string | undefined): TokenProvider {
    return async (scope): Promise<AccessToken> => {
      // Neither createIfNone nor silent: without a session VS Code adds a sign-in request to its Accounts menu.
      const session = await this.auth.getSession(MICROSOFT_PROVIDER, sessionScopes(scope, tenantId), {});
      if (!session) throw new Error(`not signed in to Microsoft${tenantId ? ` (tenant ${tenantId})` : ''}: sign in with "Workspace RAG: Set Credentials" or from the Accounts menu`);
      return { token: session.accessToken, expiresOnTimestamp: expiryOf(session.accessToken) };
    };
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
