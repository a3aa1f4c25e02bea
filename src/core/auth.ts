// Microsoft Entra ID (keyless) sign-in for Azure OpenAI and Azure AI Foundry. The engine defines the port, a function
// that gives an access token and when it expires; each host fills it with its own sign-in (the extension with VS
// Code's Microsoft account, the CLI and the MCP server with @azure/identity's DefaultAzureCredential). `EntraTokens`
// sits in front of it: the `openai` clients ask it before every request, and it asks the host again only when its
// token is about to expire. Tokens live in memory only; nothing here logs or stores one.
import { EngineError, errorMessage } from './errors';

/** The scope of Azure OpenAI and Azure AI Foundry data-plane tokens (their audience is https://cognitiveservices.azure.com). */
export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

/** An access token and when it expires, in ms since the epoch (the shape of @azure/identity's AccessToken). */
export interface AccessToken {
  token: string;
  expiresOnTimestamp: number;
}

/**
 * The host's sign-in: an access token for `scope`. It rejects when no token can be had (not signed in, consent
 * refused, no credential available), with a message that says why; the engine adds which service needed it.
 */
export type TokenProvider = (scope: string, options: { signal?: AbortSignal }) => Promise<AccessToken>;

/** A token is renewed when less than this is left of it (Entra ID tokens live 60-90 minutes). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** When a renewal fails, a cached token with at least this much left is still sent. */
const STILL_USABLE_MS = 30_000;

/** The host's sign-in failed or gave something that is not a token. */
export class SignInError extends EngineError<'unavailable' | 'invalid'> {
  constructor(kind: 'unavailable' | 'invalid', message: string, cause?: unknown) {
    super(kind, message, { cause });
  }
}

/**
 * One scope's token, shared by every request of an engine: concurrent requests wait for one renewal, a token is kept
 * until REFRESH_MARGIN_MS before it expires, and a token the server refused is not sent again.
 */
export class EntraTokens {
  private current: AccessToken | undefined;
  private renewing: Promise<AccessToken> | undefined;
  /** Tokens given out, so error text that quotes one can be scrubbed. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly provider: TokenProvider,
    readonly scope = COGNITIVE_SERVICES_SCOPE,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token with more than REFRESH_MARGIN_MS left, from the cache or the provider; rejects with a SignInError. */
  async token(signal?: AbortSignal): Promise<string> {
    const cached = this.current;
    if (cached && cached.expiresOnTimestamp - this.now() > REFRESH_MARGIN_MS) return cached.token;
    try {
      return (await this.renew(signal)).token;
    } catch (error) {
      // The sign-in may be briefly unreachable (a CLI call timing out): a token that is still good carries on.
      if (cached && this.current === cached && cached.expiresOnTimestamp - this.now() > STILL_USABLE_MS) return cached.token;
      throw error;
    }
  }

  /** The server refused `token` (HTTP 401): the next request asks the provider for a new one. */
  rejected(token?: string): void {
    if (!token || this.current?.token === token) this.current = undefined;
  }

  /** The text with every token this cache gave out replaced. */
  redact(text: string): string {
    let out = text;
    for (const token of this.seen) out = out.split(token).join('***');
    return out;
  }

  private renew(signal?: AbortSignal): Promise<AccessToken> {
    this.renewing ??= this.ask(signal).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async ask(signal?: AbortSignal): Promise<AccessToken> {
    let answer: AccessToken;
    try {
      answer = await this.provider(this.scope, { signal });
    } catch (error) {
      throw error instanceof SignInError ? error : new SignInError('unavailable', errorMessage(error), error);
    }
    if (!answer || typeof answer.token !== 'string' || answer.token === '' || !Number.isFinite(answer.expiresOnTimestamp))
      throw new SignInError('invalid', 'the sign-in gave no access token');
    this.seen.add(answer.token);
    this.current = { token: answer.token, expiresOnTimestamp: answer.expiresOnTimestamp };
    return this.current;
  }
}

/** The SignInError behind an error (the `openai` package wraps what its token function throws), if any. */
export function signInErrorOf(error: unknown): SignInError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (e instanceof SignInError) return e;
  return undefined;
}

/**
 * Azure's gateway refuses a token with a body of `{statusCode, message}`, where the `openai` package reads only
 * `{error: {message}}` and would say "401 status code (no body)": the reason, in the shape the package reads. Other
 * bodies are returned as they are.
 */
export function withGatewayReason(body: object | undefined): object | undefined {
  const b = body as { error?: unknown; statusCode?: unknown; message?: unknown } | undefined;
  if (!b || b.error !== undefined || typeof b.message !== 'string') return body;
  return { error: { code: typeof b.statusCode === 'number' ? String(b.statusCode) : null, message: b.message } };
}
