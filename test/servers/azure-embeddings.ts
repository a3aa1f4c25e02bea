// A local server speaking the Azure OpenAI embeddings protocol: the same URL shape, auth, limits, error bodies and
// base64 encoding as Azure, and deterministic embeddings with real similarity structure (see text.ts). With `quota`,
// it enforces a deployment's tokens and requests per minute over a sliding window as Azure does (quota.ts), and every
// answer to a request for a deployment carries x-ratelimit-remaining-tokens and x-ratelimit-remaining-requests.
import type http from 'node:http';
import { decode } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens } from '../../src/core/tokens';
import type { FakeEntra } from './entra';
import { TOKEN_REJECTED_BODY } from './entra';
import { azureAuth, FaultSlot, KEY_DISABLED_BODY, listen, recordOf, parseJson, readBody, sendJson, sleep, type RecordedRequest } from './http';
import { SlidingWindowQuota, type QuotaOptions, type Remaining } from './quota';
import { denseEmbedding, hashEmbedding } from './text';

export type EmbeddingFault = { times?: number } & (
  | { kind: 'throttle'; retryAfterSeconds?: number; retryAfterMs?: number }
  | { kind: 'server-error'; status?: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'wrong-dimensions'; dimensions: number }
  | { kind: 'invalid-json' }
  | { kind: 'reset' }
  /** An all-zero vector (norm 0, so no cosine) for the input at `index` of each request (0 by default). */
  | { kind: 'zero-vector'; index?: number }
);

export interface EmbeddingServerOptions {
  apiKey?: string;
  /** Also accept Microsoft Entra ID tokens from this issuer (`Authorization: Bearer`), checked as Azure does. */
  entra?: FakeEntra;
  /** The resource's keys are disabled: only Entra ID tokens get in (a key gets Azure's 403). */
  disableLocalAuth?: boolean;
  /** Known deployments; any other name gets Azure's DeploymentNotFound 404. */
  deployments?: string[];
  /** Vector size when the request does not ask for `dimensions`. */
  dimensions?: number;
  /** Added latency per request, so tests can observe concurrency. */
  latencyMs?: number;
  /** Added latency per input token, on top of latencyMs: a request takes longer the larger it is. */
  latencyMsPerToken?: number;
  /** Tokens and requests per minute over a sliding window; none: unlimited, and no rate-limit headers. */
  quota?: QuotaOptions;
  /** Keep request bodies in `requests` (off by default in fast mode: 50k-chunk benchmarks would hold every text). */
  recordBodies?: boolean;
  /** Benchmark mode: no latency, no body recording. */
  fast?: boolean;
  /** 'hashed' (default): sparse signed-hash bag of words. 'dense': the same features spread over every dimension. */
  vectors?: 'hashed' | 'dense';
  fault?: EmbeddingFault | null;
  port?: number;
}

export interface EmbeddingServerStats {
  requests: number;
  /** Requests answered with embeddings. */
  served: number;
  /** Requests answered 429: by the quota or by a throttle fault. */
  throttled: number;
  inputs: number;
  tokens: number;
  inFlight: number;
  maxInFlight: number;
}

export interface EmbeddingServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** The HTTP status each request in `requests` was answered with, read by the client or not (absent while unanswered, or for a reset). */
  statuses: number[];
  stats: EmbeddingServerStats;
  /** The quota being enforced, if any (its allowances per window). */
  quota?: SlidingWindowQuota;
  /** With a quota: every request that reached it, when, with its tokens, and whether it was admitted (for benchmarks). */
  admissions: Array<{ at: number; tokens: number; admitted: boolean }>;
  setFault(fault: EmbeddingFault | null): void;
  close(): Promise<void>;
}

const MAX_INPUTS = 2048;
const MAX_INPUT_TOKENS = 8191;
const MAX_DIMENSIONS = 3072;

const azureError = (res: http.ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>) =>
  sendJson(res, status, { error: { code, message } }, headers);

/** Azure's words for a request over the deployment's token or call rate limit. */
const rateLimitMessage = (limit: 'tokens' | 'requests', apiVersion: string, seconds: number) =>
  `Requests to the Embeddings_Create Operation under Azure OpenAI API version ${apiVersion} have exceeded ${limit === 'tokens' ? 'token' : 'call'} ` +
  `rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} second${seconds === 1 ? '' : 's'}. ` +
  'Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.';

const remainingHeaders = (r: Remaining): Record<string, string> => ({
  'x-ratelimit-remaining-tokens': String(r.tokens),
  'x-ratelimit-remaining-requests': String(r.requests),
});

/** retry-after-ms as Azure sends it, and retry-after in whole seconds (rounded up, so waiting it is always enough). */
const retryHeaders = (ms: number): Record<string, string> => ({ 'retry-after-ms': String(Math.ceil(ms)), 'retry-after': String(Math.ceil(ms / 1000)) });

export async function startEmbeddingServer(opts: EmbeddingServerOptions = {}): Promise<EmbeddingServer> {
  const apiKey = opts.apiKey ?? 'test-embedding-key';
  const deployments = new Set(opts.deployments ?? ['text-embedding-3-small']);
  const defaultDimensions = opts.dimensions ?? 1536;
  const latencyMs = opts.fast ? 0 : (opts.latencyMs ?? 0);
  const latencyMsPerToken = opts.fast ? 0 : (opts.latencyMsPerToken ?? 0);
  const quota = opts.quota && new SlidingWindowQuota(opts.quota);
  const recordBodies = opts.recordBodies ?? !opts.fast;
  const embed = opts.vectors === 'dense' ? denseEmbedding : hashEmbedding;
  const faults = new FaultSlot<EmbeddingFault>();
  faults.set(opts.fault ?? null);
  const requests: RecordedRequest[] = [];
  const statuses: number[] = [];
  const admissions: EmbeddingServer['admissions'] = [];
  const stats: EmbeddingServerStats = { requests: 0, served: 0, throttled: 0, inputs: 0, tokens: 0, inFlight: 0, maxInFlight: 0 };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    const body = parseJson(raw);
    stats.requests++;
    const index = requests.push(recordOf(req, url, recordBodies ? body : undefined)) - 1;
    // The status the server answered with, whether or not the client was still there to read it (Azure bills an
    // embedding it computed either way).
    const writeHead = res.writeHead.bind(res) as (status: number, headers?: http.OutgoingHttpHeaders) => http.ServerResponse;
    res.writeHead = ((status: number, headers?: http.OutgoingHttpHeaders) => {
      statuses[index] = status;
      return writeHead(status, headers);
    }) as typeof res.writeHead;
    // Without a quota the latency comes first, as it always did; with one, a request is admitted on arrival and then
    // takes its time, and a refusal is immediate (as Azure's gateway answers a 429 at once).
    if (latencyMs && !quota) await sleep(latencyMs);

    const route = /^\/openai\/deployments\/([^/]+)\/embeddings$/.exec(url.pathname);
    if (!route || req.method !== 'POST') return azureError(res, 404, '404', 'Resource not found');
    if (!url.searchParams.get('api-version'))
      return azureError(res, 400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    switch (azureAuth(req, { apiKey, entra: opts.entra, disableLocalAuth: opts.disableLocalAuth })) {
      case 'bad-key':
        return azureError(res, 401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.');
      case 'key-disabled':
        return sendJson(res, 403, KEY_DISABLED_BODY);
      case 'bad-token':
        return sendJson(res, 401, TOKEN_REJECTED_BODY);
    }
    const deployment = decodeURIComponent(route[1]);
    if (!deployments.has(deployment))
      return azureError(res, 404, 'DeploymentNotFound', 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.');

    // From here on every answer says what is left of the quota, a refusal included.
    const limits = (): Record<string, string> => (quota ? remainingHeaders(quota.remaining(Date.now())) : {});
    const fault = faults.take();
    switch (fault?.kind) {
      case 'throttle': {
        const headers: Record<string, string> = limits();
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        if (fault.retryAfterSeconds !== undefined || fault.retryAfterMs === undefined) headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
        stats.throttled++;
        return azureError(res, 429, '429', 'Requests to the Embeddings_Create Operation under Azure OpenAI API have exceeded the token rate limit of your current pricing tier. Please retry after the time in the retry-after header.', headers);
      }
      case 'server-error':
        return azureError(res, fault.status ?? 500, 'InternalServerError', 'The server had an error while processing your request. Sorry about that!', limits());
      case 'reset':
        req.socket.destroy();
        return;
      case 'slow':
        await sleep(fault.delayMs);
        break;
    }

    const parsed = parseRequest(body);
    if (typeof parsed === 'string') return sendJson(res, 400, { error: { message: parsed, type: 'invalid_request_error', param: null, code: null } }, limits());
    const dimensions = parsed.dimensions ?? defaultDimensions;
    if (dimensions < 1 || dimensions > MAX_DIMENSIONS)
      return sendJson(res, 400, { error: { message: `dimensions must be between 1 and ${MAX_DIMENSIONS}.`, type: 'invalid_request_error', param: 'dimensions', code: null } }, limits());
    const tooLong = parsed.texts.findIndex((t) => t.tokens > MAX_INPUT_TOKENS);
    if (tooLong >= 0) {
      const n = parsed.texts[tooLong].tokens;
      return sendJson(res, 400, {
        error: { message: `This model's maximum context length is ${MAX_INPUT_TOKENS + 1} tokens, however you requested ${n} tokens (input ${tooLong}). Please reduce your prompt.`, type: 'invalid_request_error', param: null, code: null },
      }, limits());
    }
    const inputTokens = parsed.texts.reduce((n, t) => n + t.tokens, 0);

    let headers: Record<string, string> = {};
    if (quota) {
      // Charged at admission: the estimate (here the input's tokens), whatever happens to the request afterwards.
      const now = Date.now();
      const admission = quota.admit(inputTokens, now);
      admissions.push({ at: now, tokens: inputTokens, admitted: admission.admitted });
      headers = remainingHeaders(admission.remaining);
      if (!admission.admitted) {
        stats.throttled++;
        const apiVersion = url.searchParams.get('api-version') ?? '';
        return azureError(res, 429, '429', rateLimitMessage(admission.limit, apiVersion, Math.ceil(admission.retryAfterMs / 1000)), {
          ...headers,
          ...retryHeaders(admission.retryAfterMs),
        });
      }
      if (latencyMs) await sleep(latencyMs);
    }
    if (latencyMsPerToken) await sleep(latencyMsPerToken * inputTokens);

    let tokens = 0;
    const data = [];
    for (let i = 0; i < parsed.texts.length; i++) {
      const { text, tokens: n } = parsed.texts[i];
      tokens += n;
      let vector = embed(text, fault?.kind === 'wrong-dimensions' ? fault.dimensions : dimensions);
      if (fault?.kind === 'zero-vector' && i === (fault.index ?? 0)) vector = new Float32Array(vector.length);
      const embedding = parsed.encoding === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector);
      data.push({ object: 'embedding', index: i, embedding });
    }
    const answer = { object: 'list', data, model: deployment, usage: { prompt_tokens: tokens, total_tokens: tokens } };
    stats.served++;
    stats.inputs += parsed.texts.length;
    stats.tokens += tokens;
    if (fault?.kind === 'invalid-json') {
      const text = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2)))); // a body cut in the middle
      return;
    }
    sendJson(res, 200, answer, headers);
  };

  const listening = await listen((req, res) => {
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let counted = true;
    const done = () => {
      if (counted) stats.inFlight--;
      counted = false;
    };
    res.on('close', done);
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) azureError(res, 500, 'InternalServerError', String(e));
      else res.destroy();
    });
  }, opts.port);

  return {
    url: listening.url,
    port: listening.port,
    requests,
    statuses,
    stats,
    quota,
    admissions,
    setFault: (f) => faults.set(f),
    close: listening.close,
  };
}

interface ParsedRequest {
  texts: Array<{ text: string; tokens: number }>;
  encoding: 'float' | 'base64';
  dimensions?: number;
}

/** The request body as Azure validates it; a string is the 400 message. */
function parseRequest(body: unknown): ParsedRequest | string {
  if (typeof body !== 'object' || body === null) return 'The request body is not valid JSON.';
  const b = body as Record<string, unknown>;
  const encoding = b.encoding_format ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') return `'${String(encoding)}' is not one of ['float', 'base64'] - 'encoding_format'`;
  if (b.dimensions !== undefined && (typeof b.dimensions !== 'number' || !Number.isInteger(b.dimensions))) return "'dimensions' must be an integer.";
  const input = b.input;
  const isTokens = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t) && t >= 0);
  let items: Array<string | number[]>;
  if (typeof input === 'string' || isTokens(input)) items = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'string' || isTokens(x))) items = input;
  else return "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
  if (items.length > MAX_INPUTS) return `Too many inputs. The max number of inputs is ${MAX_INPUTS}. We recommend reducing the number of inputs per request.`;
  const texts: ParsedRequest['texts'] = [];
  for (const item of items) {
    if (item === '') return "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
    texts.push(typeof item === 'string' ? { text: item, tokens: countTokens(item) } : { text: decode(item), tokens: item.length });
  }
  return { texts, encoding, dimensions: b.dimensions as number | undefined };
}
