// Plumbing shared by the local protocol servers: listening, body reading, JSON answers, request recording, faults.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeEntra } from './entra';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body; undefined when it was not JSON or when the server does not record bodies. */
  body: unknown;
  /** Date.now() when the request arrived. */
  receivedAt: number;
}

/** What a server keeps of a request, so tests can assert URLs, headers and bodies. */
export function recordOf(req: http.IncomingMessage, url: URL, body: unknown): RecordedRequest {
  return {
    method: req.method ?? '',
    url: req.url ?? '',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: headersOf(req),
    body,
    receivedAt: Date.now(),
  };
}

export interface Listening {
  server: http.Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a random port unless one is given); close() also ends keep-alive and hanging connections. */
export async function listen(handler: http.RequestListener, port = 0): Promise<Listening> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headersOf(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** How a local Azure server checks a request's credentials: its key, and with `entra` Entra ID bearer tokens. */
export interface AzureAuthOptions {
  /** The resource's key (`api-key`; the chat server's Foundry route also takes it as Bearer). None: no key works. */
  apiKey?: string;
  /** Accept `Authorization: Bearer` tokens this issuer signed for Cognitive Services and that have not expired. */
  entra?: FakeEntra;
  /** The resource's keys are disabled (disableLocalAuth): only Entra ID tokens are accepted. */
  disableLocalAuth?: boolean;
}

/**
 * The credentials of a request, judged as an Azure resource does: `ok`; a wrong or missing key (`bad-key`); a key
 * sent to a resource whose keys are disabled (`key-disabled`, Azure's 403); or a bearer token that is missing,
 * invalid, for another audience or expired (`bad-token`, Azure's 401 with TOKEN_REJECTED_BODY).
 */
export function azureAuth(req: http.IncomingMessage, opts: AzureAuthOptions): 'ok' | 'bad-key' | 'key-disabled' | 'bad-token' {
  const apiKey = req.headers['api-key'];
  if (typeof apiKey === 'string' && apiKey) {
    if (opts.disableLocalAuth) return 'key-disabled';
    return apiKey === opts.apiKey ? 'ok' : 'bad-key';
  }
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const token = /^Bearer\s+(.*)$/i.exec(authorization)?.[1]?.trim() ?? '';
    if (!opts.disableLocalAuth && opts.apiKey !== undefined && token === opts.apiKey) return 'ok';
    if (opts.entra && token && opts.entra.verify(token) === 'valid') return 'ok';
    return opts.entra ? 'bad-token' : 'bad-key';
  }
  return opts.entra && opts.disableLocalAuth ? 'bad-token' : 'bad-key';
}

/** Azure's 403 to a key sent to a resource whose keys are disabled. */
export const KEY_DISABLED_BODY = { error: { code: 'AuthenticationTypeDisabled', message: 'Key based authentication is disabled for this resource.' } };

/** Resolves after `ms`, or at once when `signal` aborts (a client that went away ends a modelled wait). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** A fault that applies to every request until cleared, or only to the next `times` requests. */
export class FaultSlot<F extends { times?: number }> {
  private current: F | null = null;
  private remaining = Infinity;

  set(fault: F | null): void {
    this.current = fault;
    this.remaining = fault?.times ?? Infinity;
  }

  /** The fault for this request (consuming one use), or null. */
  take(): F | null {
    if (!this.current) return null;
    const f = this.current;
    if (--this.remaining <= 0) this.set(null);
    return f;
  }
}
