// Plumbing shared by the local protocol servers: listening, body reading, JSON answers, request recording, faults.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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

/** The key a request presents, from `api-key` or `Authorization: Bearer`. */
export function presentedKey(req: http.IncomingMessage): string | undefined {
  const apiKey = req.headers['api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m?.[1];
}

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
