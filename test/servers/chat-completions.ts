// A local chat-completions server in the two shapes BitNet is served in: Azure AI Foundry (`{base}/chat/completions`,
// api-key or Bearer auth, api-version, a prompt-filter first chunk and a usage last chunk) and bitnet.cpp's llama.cpp
// server (`/v1/chat/completions`). Its deterministic "model" answers from the numbered sources in the prompt.
import type http from 'node:http';
import { countTokens } from '../../src/core/tokens';
import { FaultSlot, listen, recordOf, parseJson, presentedKey, readBody, sendJson, sleep, type RecordedRequest } from './http';
import { meaningfulWords } from './text';

export type ChatFault = { times?: number } & (
  | { kind: 'auth' }
  | { kind: 'throttle'; retryAfterSeconds?: number; retryAfterMs?: number }
  | { kind: 'server-error'; status?: number }
  /** Headers (and Azure's prompt-filter chunk) at once, the first content only after delayMs. */
  | { kind: 'slow-first-token'; delayMs: number }
  /** After `afterChunks` content chunks the socket is destroyed; `graceful` ends the response cleanly instead, still without finish_reason or [DONE]. */
  | { kind: 'cut-off'; afterChunks?: number; graceful?: boolean }
  /** After `afterChunks` content chunks, a data line that is not JSON. */
  | { kind: 'malformed'; afterChunks?: number }
  /** After `afterChunks` content chunks, an event carrying an `error` object (as llama.cpp sends mid-stream). */
  | { kind: 'error-event'; afterChunks?: number; message?: string }
  /** Never answers. */
  | { kind: 'hang' }
);

export interface ModelBehaviour {
  /** Also cite this (nonexistent) source number. */
  citeMissing?: number;
  /** Send each citation marker split over deltas: "[", "2", "]". */
  splitCitations?: boolean;
  /** Pause between chunks. */
  chunkDelayMs?: number;
}

export interface ChatServerOptions {
  /** Required on the Azure route, as `api-key` or `Authorization: Bearer`. */
  apiKey?: string;
  /** When set, the Azure route requires exactly this `api-version` query parameter. */
  apiVersion?: string;
  /** When set, the Azure route requires this `model` in the body (serverless endpoints route by it). */
  requireModel?: string;
  /** Path of the Azure route's base (endpoint = url + azureBasePath). */
  azureBasePath?: string;
  /** Like llama-server --api-key: when set, the llama.cpp route requires `Authorization: Bearer`. */
  llamaApiKey?: string;
  behaviour?: ModelBehaviour;
  fault?: ChatFault | null;
  port?: number;
}

export interface ChatServer {
  url: string;
  port: number;
  /** Base URL of the Azure AI Foundry shape: POST {azureEndpoint}/chat/completions. */
  azureEndpoint: string;
  /** Base URL of the llama.cpp shape: POST {llamaEndpoint}/chat/completions. */
  llamaEndpoint: string;
  requests: RecordedRequest[];
  setFault(fault: ChatFault | null): void;
  setBehaviour(b: ModelBehaviour): void;
  close(): Promise<void>;
}

interface Message {
  role: string;
  content: string;
}

const SAFE = { filtered: false, severity: 'safe' };
const CONTENT_FILTER = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };

export async function startChatServer(opts: ChatServerOptions = {}): Promise<ChatServer> {
  const azureBase = opts.azureBasePath ?? '/models';
  const faults = new FaultSlot<ChatFault>();
  faults.set(opts.fault ?? null);
  let behaviour: ModelBehaviour = opts.behaviour ?? {};
  const requests: RecordedRequest[] = [];
  let seq = 0;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = parseJson(await readBody(req));
    requests.push(recordOf(req, url, body));
    const shape = url.pathname === `${azureBase}/chat/completions` ? 'azure' : url.pathname === '/v1/chat/completions' ? 'llama' : undefined;
    if (!shape || req.method !== 'POST') return sendJson(res, 404, { error: { code: '404', message: 'Resource not found' } });

    const unauthorized = () =>
      shape === 'azure'
        ? sendJson(res, 401, { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } })
        : sendJson(res, 401, { error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' } });
    if (shape === 'azure') {
      if (opts.apiVersion !== undefined && url.searchParams.get('api-version') !== opts.apiVersion)
        return sendJson(res, 400, { error: { code: 'BadRequest', message: `Missing or unsupported api-version; expected ${opts.apiVersion}.` } });
      if (opts.apiKey !== undefined && presentedKey(req) !== opts.apiKey) return unauthorized();
    } else if (opts.llamaApiKey !== undefined && req.headers.authorization !== `Bearer ${opts.llamaApiKey}`) return unauthorized();

    const fault = faults.take();
    switch (fault?.kind) {
      case 'auth':
        return unauthorized();
      case 'throttle': {
        const headers: Record<string, string> = { 'retry-after': String(fault.retryAfterSeconds ?? 1) };
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        return sendJson(res, 429, { error: { code: '429', message: 'Rate limit is exceeded. Try again later.' } }, headers);
      }
      case 'server-error':
        return sendJson(res, fault.status ?? 500, { error: { code: 'InternalServerError', message: 'The server had an error processing your request.' } });
      case 'hang':
        return; // the connection stays open until the client gives up or the server closes
    }

    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const messages = Array.isArray(b.messages) ? (b.messages as unknown[]).filter(isMessage) : [];
    if (messages.length === 0 || messages.length !== (b.messages as unknown[]).length)
      return sendJson(res, 400, { error: { code: 'invalid_request_error', message: "'messages' must be a non-empty array of {role, content}." } });
    if (shape === 'azure' && opts.requireModel !== undefined && b.model !== opts.requireModel)
      return sendJson(res, 400, { error: { code: 'unknown_model', message: `Unknown model: ${String(b.model)}` } });

    const maxTokens = typeof b.max_tokens === 'number' ? b.max_tokens : Infinity;
    const { pieces, finishReason } = limitTokens(deltas(answer(messages, behaviour), behaviour), maxTokens);
    const content = pieces.join('');
    const usage = {
      prompt_tokens: messages.reduce((s, m) => s + countTokens(m.content), 0),
      completion_tokens: countTokens(content),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `chatcmpl-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof b.model === 'string' ? b.model : 'bitnet-b1.58-2b-4t';

    if (b.stream !== true) {
      const choice = { index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: null };
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [shape === 'azure' ? { ...choice, content_filter_results: CONTENT_FILTER } : choice],
        usage,
        ...(shape === 'azure' ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: CONTENT_FILTER }] } : {}),
      });
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (data: string) => new Promise<void>((resolve) => res.write(`data: ${data}\n\n`, () => resolve()));
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: shape === 'llama' ? 'b1-bitnet' : null, choices, ...extra });
    const choice = (delta: Record<string, unknown>, finish: string | null) =>
      shape === 'azure'
        ? { index: 0, delta, finish_reason: finish, logprobs: null, content_filter_results: finish ? {} : CONTENT_FILTER }
        : { index: 0, delta, finish_reason: finish };

    if (shape === 'azure')
      await send(JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: CONTENT_FILTER }] }));
    if (fault?.kind === 'slow-first-token') await sleep(fault.delayMs);
    await send(chunk([choice({ role: 'assistant', content: shape === 'azure' ? '' : null }, null)]));
    for (let i = 0; i < pieces.length; i++) {
      if (fault && 'afterChunks' in fault && i === (fault.afterChunks ?? 2)) {
        if (fault.kind === 'cut-off') {
          if (fault.graceful) res.end();
          else res.socket?.destroy();
          return;
        }
        if (fault.kind === 'malformed') await send('{"choices":[{"index":0,"delta":{"content":"unterminated');
        if (fault.kind === 'error-event') {
          await send(JSON.stringify({ error: { code: 500, message: fault.message ?? 'the model crashed while generating', type: 'server_error' } }));
          return void res.end();
        }
      }
      if (behaviour.chunkDelayMs) await sleep(behaviour.chunkDelayMs);
      await send(chunk([choice({ content: pieces[i] }, null)]));
    }
    await send(chunk([choice({}, finishReason)]));
    const streamOptions = b.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) await send(chunk([], { usage }));
    await send('[DONE]');
    res.end();
  };

  const listening = await listen((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalServerError', message: String(e) } });
      else res.destroy();
    });
  }, opts.port);

  return {
    url: listening.url,
    port: listening.port,
    azureEndpoint: listening.url + azureBase,
    llamaEndpoint: `${listening.url}/v1`,
    requests,
    setFault: (f) => faults.set(f),
    setBehaviour: (bh) => (behaviour = bh),
    close: listening.close,
  };
}

const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' && m !== null && typeof (m as Message).role === 'string' && typeof (m as Message).content === 'string';

interface ParsedSource {
  n: number;
  path: string;
  text: string;
}

/** The numbered sources of a prompt: blocks of `[n] path:start-end` and a fenced text. */
function parseSources(prompt: string): ParsedSource[] {
  const out: ParsedSource[] = [];
  for (const m of prompt.matchAll(/^\[(\d+)\] (\S+):\d+-\d+\n(`{3,})[^\n]*\n([\s\S]*?)\n\3$/gm)) out.push({ n: Number(m[1]), path: m[2], text: m[4] });
  return out;
}

/**
 * The deterministic model: cites the source whose words overlap the question most, quoting its best sentence, and
 * a runner-up that overlaps at least half as much; says plainly when no source shares a meaningful word.
 */
export function answer(messages: Message[], behaviour: ModelBehaviour = {}): string {
  const prompt = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const sources = parseSources(prompt);
  const q = /Question:\s*([\s\S]*)$/.exec(prompt)?.[1] ?? prompt;
  const question = new Set(meaningfulWords(q));
  const overlap = (text: string) => new Set(meaningfulWords(text).filter((w) => question.has(w))).size;
  const ranked = sources.map((s) => ({ s, score: overlap(`${s.path} ${s.text}`) })).filter((r) => r.score > 0).sort((a, b) => b.score - a.score);
  const extra = behaviour.citeMissing !== undefined ? ` See also [${behaviour.citeMissing}].` : '';
  if (ranked.length === 0) return `The sources do not contain the answer to this question.${extra}`;
  const quote = (s: ParsedSource) => {
    const sentences = s.text.split(/(?<=[.!?])\s+|\n+/).map((x) => x.replace(/^[#>*\-\s]+/, '').trim()).filter((x) => /\w/.test(x));
    let best = sentences[0] ?? s.path;
    for (const x of sentences) if (overlap(x) > overlap(best)) best = x;
    // A sentence cut out of a code span would leave a lone backtick: quote it as plain text then.
    if ((best.match(/`/g) ?? []).length % 2 === 1) best = best.replace(/`/g, '');
    return best.replace(/[.:;,\s]+$/, '');
  };
  const [first, second] = ranked;
  let text = `According to ${first.s.path}, ${quote(first.s)} [${first.s.n}].`;
  if (second && second.score * 2 >= first.score) text += ` ${second.s.path} adds: ${quote(second.s)} [${second.s.n}].`;
  return text + extra;
}

/** The answer as streamed deltas: words with their trailing blanks, citation markers whole or split. */
function deltas(text: string, behaviour: ModelBehaviour): string[] {
  const out: string[] = [];
  for (const part of text.split(/(\[\d+\])/)) {
    if (/^\[\d+\]$/.test(part)) out.push(...(behaviour.splitCitations ? ['[', part.slice(1, -1), ']'] : [part]));
    else out.push(...(part.match(/\S+\s*|\s+/g) ?? []));
  }
  return out;
}

function limitTokens(pieces: string[], maxTokens: number): { pieces: string[]; finishReason: 'stop' | 'length' } {
  if (countTokens(pieces.join('')) <= maxTokens) return { pieces, finishReason: 'stop' };
  const kept: string[] = [];
  for (const p of pieces) {
    if (countTokens([...kept, p].join('')) > maxTokens) break;
    kept.push(p);
  }
  return { pieces: kept, finishReason: 'length' };
}
