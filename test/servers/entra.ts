// A stand-in for Microsoft Entra ID: it issues access tokens shaped as Entra's are (a JWT with the audience, tenant
// and expiry claims), signed with a key only this process knows, and checks them as Azure's gateway does (signature,
// audience, expiry). The local Azure servers take it to accept `Authorization: Bearer` tokens; tests hand the engine
// a fake token provider backed by it, since no real tenant can be reached here.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AccessToken, TokenProvider } from '../../src/core/auth';
import { listen, sendJson } from './http';

/** The audience of Cognitive Services tokens (the scope without `/.default`). */
const COGNITIVE_AUDIENCE = 'https://cognitiveservices.azure.com';

/** Azure's answer to a bearer token that is missing, badly signed, for another audience or expired (HTTP 401). */
export const TOKEN_REJECTED_BODY = {
  statusCode: 401,
  message: `Unauthorized. Access token is missing, invalid, audience is incorrect (${COGNITIVE_AUDIENCE}), or have expired.`,
};

export type TokenVerdict = 'valid' | 'expired' | 'invalid' | 'wrong-audience';

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export class FakeEntra {
  private readonly key = randomBytes(32);
  /** Every token checked, with its verdict, in order. */
  readonly checked: Array<{ token: string; verdict: TokenVerdict }> = [];
  private issued = 0;

  constructor(readonly tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47') {}

  /** A token that expires `lifetimeMs` from now (negative: already expired). */
  issue(opts: { lifetimeMs?: number; audience?: string; tenantId?: string } = {}): AccessToken {
    const now = Date.now();
    const expiresOnTimestamp = now + (opts.lifetimeMs ?? 60 * 60_000);
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
    const claims = {
      aud: opts.audience ?? COGNITIVE_AUDIENCE,
      iss: `https://sts.windows.net/${opts.tenantId ?? this.tenantId}/`,
      tid: opts.tenantId ?? this.tenantId,
      iat: Math.floor(now / 1000),
      exp: Math.floor(expiresOnTimestamp / 1000),
      // Tokens issued in the same second still differ.
      uti: `${++this.issued}-${randomBytes(4).toString('hex')}`,
    };
    const body = `${header}.${base64url(JSON.stringify(claims))}`;
    return { token: `${body}.${this.sign(body)}`, expiresOnTimestamp };
  }

  /** What Azure's gateway would make of the token. */
  verify(token: string): TokenVerdict {
    const verdict = this.judge(token);
    this.checked.push({ token, verdict });
    return verdict;
  }

  private judge(token: string): TokenVerdict {
    const parts = token.split('.');
    if (parts.length !== 3) return 'invalid';
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { aud?: string; exp?: number };
    if (claims.aud !== COGNITIVE_AUDIENCE) return 'wrong-audience';
    return typeof claims.exp === 'number' && claims.exp * 1000 > Date.now() ? 'valid' : 'expired';
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

export interface FakeTokenProvider {
  provider: TokenProvider;
  /** The scopes asked for, one per call. */
  calls: string[];
  /** The tokens handed out, in order. */
  tokens: string[];
}

/**
 * A host's sign-in as the engine sees it: each call issues a new token from `entra` with `lifetimeMs` left (what
 * `issue` is given may override per call), or rejects with `fail`'s error.
 */
export function fakeTokenProvider(
  entra: FakeEntra,
  opts: { lifetimeMs?: number; issue?: (call: number) => AccessToken; fail?: () => Error | undefined } = {},
): FakeTokenProvider {
  const calls: string[] = [];
  const tokens: string[] = [];
  const provider: TokenProvider = async (scope) => {
    calls.push(scope);
    const failure = opts.fail?.();
    if (failure) throw failure;
    const token = opts.issue ? opts.issue(calls.length) : entra.issue({ lifetimeMs: opts.lifetimeMs });
    tokens.push(token.token);
    return token;
  };
  return { provider, calls, tokens };
}

/**
 * A stand-in for the Azure CLI's `az account get-access-token`, for @azure/identity's AzureCliCredential as the CLI
 * runs it: an executable `az` in `dir` (put it first on PATH) that fetches a token from a loopback endpoint of this
 * process, so the tokens are `entra`'s and each call, with its arguments, is seen here. The endpoint answers with the
 * Azure CLI's JSON, or with `fail`'s stderr and exit code 1 (e.g. "Please run 'az login'").
 */
export async function fakeAzureCli(
  entra: FakeEntra,
  dir: string,
  opts: { lifetimeMs?: number; fail?: string } = {},
): Promise<{ calls: string[][]; tokens: string[]; close(): Promise<void> }> {
  const calls: string[][] = [];
  const tokens: string[] = [];
  const endpoint = await listen((req, res) => {
    const args = JSON.parse(new URL(req.url ?? '/', 'http://localhost').searchParams.get('args') ?? '[]') as string[];
    calls.push(args);
    if (opts.fail) return sendJson(res, 500, { stderr: opts.fail });
    const { token, expiresOnTimestamp } = entra.issue({ lifetimeMs: opts.lifetimeMs });
    tokens.push(token);
    const tenant = args[args.indexOf('--tenant') + 1] ?? entra.tenantId;
    sendJson(res, 200, {
      accessToken: token,
      expiresOn: new Date(expiresOnTimestamp).toISOString().replace('T', ' ').replace('Z', '000'),
      expires_on: Math.floor(expiresOnTimestamp / 1000),
      subscription: '00000000-0000-0000-0000-000000000000',
      tenant,
      tokenType: 'Bearer',
    });
  });
  mkdirSync(dir, { recursive: true });
  const script = [
    `#!${process.execPath}`,
    `fetch(${JSON.stringify(endpoint.url)} + '/?args=' + encodeURIComponent(JSON.stringify(process.argv.slice(2)))).then(async (r) => {`,
    `  const body = await r.json();`,
    `  if (r.ok) process.stdout.write(JSON.stringify(body, null, 2) + '\\n');`,
    `  else { process.stderr.write(body.stderr + '\\n'); process.exitCode = 1; }`,
    `});`,
  ].join('\n');
  writeFileSync(path.join(dir, 'az'), script, { mode: 0o755 });
  return { calls, tokens, close: endpoint.close };
}
