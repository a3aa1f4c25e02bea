// A local chat-completions server in the two shapes BitNet is served in: Azure AI Foundry (`{base}/chat/completions`,
// api-key or Bearer auth, api-version, a prompt-filter first chunk and a usage last chunk) and bitnet.cpp's llama.cpp
// server (`/v1/chat/completions`). Its deterministic "model" answers from the numbered sources in the prompt.
//
// With `cpu` it also models BitNet b1.58 2B4T on a CPU behind llama.cpp's llama-server, which bitnet.cpp's
// run_inference_server.py starts: the prompt costs prompt_n / P seconds before the first token, the answer streams at
// D tokens/s, requests queue for the server's slots (-np), and each slot keeps its last prompt for the prompt cache.
// What llama.cpp does was read in its sources (ggml-org/llama.cpp tools/server: server-context.cpp, server-task.cpp,
// server-common.cpp, README.md, 2025-26) and in the fork bitnet.cpp pins (Eddie-Wang1120/llama.cpp, branch merge-dev
// of 2024-10-18: examples/server/server.cpp and utils.hpp); each modelled behaviour below names what it follows.
import type http from 'node:http';
import { encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens } from '../../src/core/tokens';
import { TOKEN_REJECTED_BODY, type FakeEntra } from './entra';
import { azureAuth, FaultSlot, KEY_DISABLED_BODY, listen, recordOf, parseJson, readBody, sendJson, sleep, type RecordedRequest } from './http';
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
  /**
   * The route's context-length error whatever the prompt's length (the numbers are the prompt's and the context's):
   * llama.cpp's exceed_context_size_error, the fork's error without a context shift, Azure's context_length_exceeded.
   */
  | { kind: 'context-length' }
);

export interface ModelBehaviour {
  /** Also cite this (nonexistent) source number. */
  citeMissing?: number;
  /** Send each citation marker split over deltas: "[", "2", "]". */
  splitCitations?: boolean;
  /** Pause between chunks. */
  chunkDelayMs?: number;
}

/**
 * The llama-server behind the llama route in CPU mode.
 * - `current`: ggml-org llama.cpp as of 2025-26. `cache_prompt` defaults to true (PR #10501, 2024-11-25); `timings`
 *   on the last streamed event and in a non-streamed answer; `usage.prompt_tokens_details.cached_tokens`; a prompt of
 *   n_ctx tokens or more is refused with HTTP 400 `exceed_context_size_error`, and the answer stops at the context's
 *   end (no context shift by default); headers and the first chunk only come with the first token, so a streamed
 *   request's first error is an HTTP error.
 * - `bitnet-fork`: the llama.cpp fork bitnet.cpp pins (Eddie-Wang1120/llama.cpp merge-dev, October 2024; later
 *   submodule bumps keep its pre-2025 layout but could not be read). `cache_prompt` defaults to false and only a
 *   request with it true fills the slot's cache; no `timings` in chat completions; `usage` rides on the finish chunk
 *   whatever `stream_options` says; the first chunk's delta is `{role}` alone; headers go out at once; the server's
 *   `-n` caps `max_tokens` (run_inference_server.py passes `-n 64` by default); a prompt of n_ctx tokens or more is
 *   truncated (context shift is on by default) or, with `contextShift: false`, refused with an `invalid_request_error`
 *   that a stream carries as an `error: {...}` line after HTTP 200, followed by `data: [DONE]`.
 */
export type LlamaBuild = 'current' | 'bitnet-fork';

/** BitNet b1.58 2B4T on a CPU (GUIDE §6: microsoft/BitNet's i7-13800H figures). */
export interface CpuBitNet {
  /** P: prompt tokens processed per second (default 78). */
  promptTokensPerSecond?: number;
  /** D: tokens generated per second (default 20). */
  generationTokensPerSecond?: number;
  /** llama-server's -np (default 1, as bitnet.cpp starts it): requests beyond it wait for a free slot. */
  slots?: number;
  /** Default `current`. */
  build?: LlamaBuild;
  /** The server's default for a request without `cache_prompt` (default: true for `current`, false for `bitnet-fork`). */
  cachePromptDefault?: boolean;
  /** llama-server's -n: the answer's limit when the request names none (and, in the fork, the cap of max_tokens). */
  nPredict?: number;
  /** `bitnet-fork` only: truncate a prompt that does not fit instead of refusing it (default true, the fork's default). */
  contextShift?: boolean;
}

export interface ChatServerOptions {
  /** Required on the Azure route, as `api-key` or `Authorization: Bearer`. */
  apiKey?: string;
  /** The Azure route also accepts (and, without apiKey, requires) Microsoft Entra ID tokens from this issuer. */
  entra?: FakeEntra;
  /** The Azure route's keys are disabled: only Entra ID tokens get in (a key gets Azure's 403). */
  disableLocalAuth?: boolean;
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
  /** CPU-BitNet mode: modelled prompt and generation speeds, slots, the prompt cache and llama.cpp's `timings`. */
  cpu?: CpuBitNet;
  /**
   * The context (llama-server's -c; each of the -np slots gets n_ctx / np, as in the fork and llama.cpp without
   * --kv-unified). Default 4096 (BitNet b1.58 2B4T's) in CPU mode, none otherwise. Whenever the prompt is modelled
   * (CPU mode or a context), `usage.prompt_tokens` is its rendered length, template tokens included; otherwise the
   * sum of the messages' contents, as before.
   */
  contextTokens?: number;
  /**
   * The llama route answers HTTP 400 to fields outside the OpenAI chat-completions request, as OpenAI does
   * ("Unrecognized request argument supplied: cache_prompt"): an OpenAI-compatible server that is not llama.cpp.
   */
  rejectUnknownFields?: boolean;
}

/** What the server modelled for one request (CPU mode, or when a context is set). */
export interface ModelledRequest {
  /** The llama route's slot. */
  slot?: number;
  /** Tokens of the prompt as the chat template renders it (after a context shift cut it, if one did). */
  promptTokens: number;
  /** Prompt tokens reused from the slot's cache (llama.cpp's `cache_n`). */
  cachedTokens: number;
  /** Prompt tokens processed (llama.cpp's `prompt_n`): promptTokens - cachedTokens. */
  processedTokens: number;
  /** Whether the request used the prompt cache (its `cache_prompt`, or the server's default). */
  cachePrompt: boolean;
  /** Modelled time to the first token: processedTokens / P (llama.cpp's `prompt_ms`), after any wait for a slot. */
  firstTokenDelayMs: number;
  /** Measured time the request waited for a free slot. */
  queuedMs: number;
  /** Tokens of the answer (`predicted_n`). */
  predictedTokens: number;
  /** Modelled generation time from the first token to the last (`predicted_ms`). */
  predictedMs: number;
  /** The prompt's rendered length before a context shift truncated it (bitnet-fork). */
  truncatedFrom?: number;
  /** Refused before any work: the prompt did not fit. */
  rejected?: 'context-length';
}

export interface ChatRequestRecord extends RecordedRequest {
  modelled?: ModelledRequest;
}

export interface ChatServer {
  url: string;
  port: number;
  /** Base URL of the Azure AI Foundry shape: POST {azureEndpoint}/chat/completions. */
  azureEndpoint: string;
  /** Base URL of the llama.cpp shape: POST {llamaEndpoint}/chat/completions. */
  llamaEndpoint: string;
  requests: ChatRequestRecord[];
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
/** BitNet b1.58 2B4T's context. */
const BITNET_CONTEXT = 4096;

export async function startChatServer(opts: ChatServerOptions = {}): Promise<ChatServer> {
  const azureBase = opts.azureBasePath ?? '/models';
  const faults = new FaultSlot<ChatFault>();
  faults.set(opts.fault ?? null);
  let behaviour: ModelBehaviour = opts.behaviour ?? {};
  const requests: ChatRequestRecord[] = [];
  let seq = 0;
  const cpu = opts.cpu && resolveCpu(opts.cpu);
  const nCtx = opts.contextTokens ?? (cpu ? BITNET_CONTEXT : undefined);
  const build = cpu?.build ?? 'current';
  const pool = cpu && new SlotPool(cpu.slots, build === 'current' ? 0.1 : 0.5);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = parseJson(await readBody(req));
    const record: ChatRequestRecord = recordOf(req, url, body);
    requests.push(record);
    const shape = url.pathname === `${azureBase}/chat/completions` ? 'azure' : url.pathname === '/v1/chat/completions' ? 'llama' : undefined;
    if (!shape || req.method !== 'POST') return sendJson(res, 404, { error: { code: '404', message: 'Resource not found' } });

    const unauthorized = () =>
      shape === 'azure'
        ? sendJson(res, 401, { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } })
        : sendJson(res, 401, { error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' } });
    if (shape === 'azure') {
      if (opts.apiVersion !== undefined && url.searchParams.get('api-version') !== opts.apiVersion)
        return sendJson(res, 400, { error: { code: 'BadRequest', message: `Missing or unsupported api-version; expected ${opts.apiVersion}.` } });
      if (opts.apiKey !== undefined || opts.entra) {
        const verdict = azureAuth(req, { apiKey: opts.apiKey, entra: opts.entra, disableLocalAuth: opts.disableLocalAuth });
        if (verdict === 'bad-key') return unauthorized();
        if (verdict === 'key-disabled') return sendJson(res, 403, KEY_DISABLED_BODY);
        if (verdict === 'bad-token') return sendJson(res, 401, TOKEN_REJECTED_BODY);
      }
    } else if (opts.llamaApiKey !== undefined && req.headers.authorization !== `Bearer ${opts.llamaApiKey}`) return unauthorized();

    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (shape === 'llama' && opts.rejectUnknownFields) {
      const unknown = Object.keys(b).filter((k) => !OPENAI_CHAT_FIELDS.has(k));
      if (unknown.length > 0)
        return sendJson(res, 400, {
          error: { message: `Unrecognized request argument${unknown.length > 1 ? 's' : ''} supplied: ${unknown.join(', ')}`, type: 'invalid_request_error', param: null, code: null },
        });
    }

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

    const messages = Array.isArray(b.messages) ? (b.messages as unknown[]).filter(isMessage) : [];
    if (messages.length === 0 || messages.length !== (b.messages as unknown[]).length)
      return sendJson(res, 400, { error: { code: 'invalid_request_error', message: "'messages' must be a non-empty array of {role, content}." } });
    if (shape === 'azure' && opts.requireModel !== undefined && b.model !== opts.requireModel)
      return sendJson(res, 400, { error: { code: 'unknown_model', message: `Unknown model: ${String(b.model)}` } });

    const stream = b.stream === true;
    // llama.cpp reads its own n_predict before max_tokens; -1 is "no limit".
    const asked = [shape === 'llama' ? b.n_predict : undefined, b.max_tokens].find((v): v is number => typeof v === 'number');
    const requested = asked !== undefined && asked >= 0 ? asked : undefined;
    const fork = shape === 'llama' && build === 'bitnet-fork';

    // The prompt as the server sees it, when anything is modelled; otherwise the plain count of the contents.
    let prompt = cpu || nCtx !== undefined ? renderPrompt(messages) : undefined;
    const promptCount = () => prompt?.length ?? messages.reduce((s, m) => s + countTokens(m.content), 0);
    const slotCtx = nCtx !== undefined ? Math.floor(nCtx / (shape === 'llama' ? (cpu?.slots ?? 1) : 1)) : undefined;
    let truncatedFrom: number | undefined;
    const idle = (promptTokens: number): ModelledRequest => ({
      promptTokens,
      cachedTokens: 0,
      processedTokens: 0,
      cachePrompt: false,
      firstTokenDelayMs: 0,
      queuedMs: 0,
      predictedTokens: 0,
      predictedMs: 0,
    });
    const refuse = () => {
      record.modelled = { ...idle(promptCount()), rejected: 'context-length' };
      const n = promptCount();
      const ctx = slotCtx ?? BITNET_CONTEXT;
      if (shape === 'azure') return sendJson(res, 400, { error: azureContextError(ctx, n, requested) });
      if (!fork) return sendJson(res, 400, { error: llamaContextError(ctx, n) });
      const error = { code: 400, message: 'the request exceeds the available context size. try increasing the context size or enable context shift', type: 'invalid_request_error' };
      if (!stream) return sendJson(res, 400, { error });
      // The fork has sent its headers already: the error is an `error:` SSE field (not `data:`), then [DONE].
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.end(`error: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
    };
    // (llama.cpp looks at the prompt's length once a slot takes the task; here a prompt that cannot fit never queues.)
    if (fault?.kind === 'context-length') return refuse();
    if (slotCtx !== undefined) {
      const n = promptCount();
      // Azure counts the answer's reserve too; llama.cpp refuses a prompt that fills the slot (n_tokens >= n_ctx).
      const over = shape === 'azure' ? n + (requested ?? 0) > slotCtx : n >= slotCtx;
      if (over && fork && cpu?.contextShift !== false && prompt) {
        truncatedFrom = prompt.length;
        prompt = contextShift(prompt, slotCtx);
      } else if (over) return refuse();
    }

    // A slot, as llama.cpp assigns the task: the one asked for by id_slot, or a free one; otherwise the task waits.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const idSlot = shape === 'llama' && typeof b.id_slot === 'number' && b.id_slot >= 0 ? b.id_slot : undefined;
    if (pool && idSlot !== undefined && idSlot >= pool.size)
      // The real server defers a task for a slot it does not have forever; answering says so instead of hanging.
      return sendJson(res, 400, { error: { code: 400, message: `id_slot ${idSlot} does not exist (-np ${pool.size}); llama-server would never run this task`, type: 'invalid_request_error' } });
    const queuedAt = Date.now();
    const slot = pool && shape === 'llama' && prompt ? await pool.acquire(idSlot, prompt, gone.signal) : undefined;
    if (pool && shape === 'llama' && !slot) return; // the client went away while the task waited
    try {
      await respond(res, {
        shape,
        b,
        stream,
        messages,
        requested,
        prompt,
        promptCount: promptCount(),
        slotCtx,
        slot,
        queuedMs: Date.now() - queuedAt,
        truncatedFrom,
        fault,
        record,
        signal: gone.signal,
      });
    } finally {
      if (slot) pool?.release(slot);
    }
  };

  interface Job {
    shape: 'azure' | 'llama';
    b: Record<string, unknown>;
    stream: boolean;
    messages: Message[];
    requested: number | undefined;
    prompt: number[] | undefined;
    promptCount: number;
    slotCtx: number | undefined;
    slot: Slot | undefined;
    queuedMs: number;
    truncatedFrom: number | undefined;
    fault: ChatFault | null;
    record: ChatRequestRecord;
    signal: AbortSignal;
  }

  const respond = async (res: http.ServerResponse, job: Job) => {
    const { shape, b, stream, messages, prompt, promptCount, slot, fault, signal } = job;
    const fork = shape === 'llama' && build === 'bitnet-fork';
    const modelled = cpu !== undefined;
    const timingsOn = modelled && shape === 'llama' && !fork;

    // The prompt cache (llama.cpp's get_common_prefix): the tokens shared with what the slot holds cost nothing, but at
    // least one token is always evaluated, for the logits of the first answer token.
    const cachePrompt = shape === 'llama' && cpu ? (typeof b.cache_prompt === 'boolean' ? b.cache_prompt : cpu.cachePromptDefault) : false;
    let cached = slot && prompt && cachePrompt ? commonPrefix(slot.tokens, prompt) : 0;
    if (prompt && cached === prompt.length && cached > 0) cached--;
    const processed = promptCount - cached;
    const promptMs = cpu ? (processed * 1000) / cpu.promptTokensPerSecond : 0;
    // What the slot holds meanwhile: the reused prefix (current llama.cpp keeps every prompt; the fork only cached ones).
    const keeps = slot !== undefined && (!fork || cachePrompt);
    if (slot && prompt) slot.tokens = keeps ? prompt.slice(0, cached) : [];

    const limit = Math.min(answerLimit(shape, fork, job.requested), contextRoom(shape, fork, job.slotCtx, promptCount));
    const { pieces, finishReason } = limitTokens(deltas(answer(messages, behaviour), behaviour), limit);
    const content = pieces.join('');
    const completionTokens = countTokens(content);
    const perToken = cpu ? 1000 / cpu.generationTokensPerSecond : 0;
    const predictedMs = completionTokens > 0 ? Math.max(0.001, (completionTokens - 1) * perToken) : 0;
    if (prompt)
      job.record.modelled = {
        ...(slot ? { slot: slot.id } : {}),
        promptTokens: promptCount,
        cachedTokens: cached,
        processedTokens: processed,
        cachePrompt,
        firstTokenDelayMs: promptMs,
        queuedMs: job.queuedMs,
        predictedTokens: completionTokens,
        predictedMs,
        ...(job.truncatedFrom !== undefined ? { truncatedFrom: job.truncatedFrom } : {}),
      };
    const timings = timingsOn ? llamaTimings(cached, processed, promptMs, completionTokens, predictedMs) : undefined;

    const usage: Record<string, unknown> = { prompt_tokens: promptCount, completion_tokens: completionTokens, total_tokens: promptCount + completionTokens };
    if (timingsOn) usage.prompt_tokens_details = { cached_tokens: cached };
    const id = `chatcmpl-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof b.model === 'string' ? b.model : 'bitnet-b1.58-2b-4t';
    // Every wait is measured from here, so the modelled times do not drift with the time spent writing.
    const t0 = Date.now();
    const until = async (ms: number) => {
      const wait = t0 + ms - Date.now();
      if (wait > 0) await sleep(wait, signal);
      return !signal.aborted;
    };
    // What the slot holds once the prompt is in, and then with each answer token (llama.cpp keeps the generated tokens).
    let sent = '';
    const settle = (promptDone: boolean) => {
      if (slot && prompt && keeps && promptDone) slot.tokens = [...prompt, ...(sent ? encodePlain(` ${sent}`) : [])];
    };

    if (!stream) {
      const finished = await until(promptMs + predictedMs);
      sent = content;
      settle(finished);
      if (!finished) return;
      const choice = { index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: null };
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [shape === 'azure' ? { ...choice, content_filter_results: CONTENT_FILTER } : choice],
        usage,
        ...(shape === 'azure' ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: CONTENT_FILTER }] } : {}),
        ...(timings ? { timings } : {}),
      });
    }

    const send = (data: string) => new Promise<void>((resolve) => res.write(`data: ${data}\n\n`, () => resolve()));
    const fingerprint = shape === 'llama' && !fork ? { system_fingerprint: 'b1-bitnet' } : shape === 'azure' ? { system_fingerprint: null } : {};
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ id, object: 'chat.completion.chunk', created, model, ...fingerprint, choices, ...extra });
    const choice = (delta: Record<string, unknown>, finish: string | null) =>
      shape === 'azure'
        ? { index: 0, delta, finish_reason: finish, logprobs: null, content_filter_results: finish ? {} : CONTENT_FILTER }
        : { index: 0, delta, finish_reason: finish };

    // Current llama.cpp answers only once the first token exists (its first result decides between an error and a
    // stream); Azure and the fork send their headers at once and go quiet while the prompt is processed.
    if (timingsOn && !(await until(promptMs))) return settle(false);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (shape === 'azure')
      await send(JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: CONTENT_FILTER }] }));
    if (!(await until(promptMs))) return settle(false);
    settle(true);
    if (fault?.kind === 'slow-first-token') await sleep(fault.delayMs, signal);
    await send(chunk([choice(shape === 'azure' ? { role: 'assistant', content: '' } : fork ? { role: 'assistant' } : { role: 'assistant', content: null }, null)]));
    const at = tokenTimes(pieces, completionTokens, perToken);
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
      if (behaviour.chunkDelayMs) await sleep(behaviour.chunkDelayMs, signal);
      if (!(await until(promptMs + at[i]))) return;
      await send(chunk([choice({ content: pieces[i] }, null)]));
      sent += pieces[i];
      settle(true);
    }
    const includeUsage = (b.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    // The fork puts the usage on the finish chunk, always; the others send it in a last chunk without choices when
    // asked. llama.cpp adds its timings to whichever event is last.
    const last = (extra: Record<string, unknown>) => (timings ? { ...extra, timings } : extra);
    await send(chunk([choice({}, finishReason)], fork ? { usage } : includeUsage ? {} : last({})));
    if (includeUsage && !fork) await send(chunk([], last({ usage })));
    await send('[DONE]');
    res.end();
  };

  /** The fork clamps a request's max_tokens to the server's -n; current llama.cpp takes the request's, else -n. */
  const answerLimit = (shape: 'azure' | 'llama', fork: boolean, requested: number | undefined) => {
    const nPredict = shape === 'llama' && cpu?.nPredict !== undefined && cpu.nPredict > 0 ? cpu.nPredict : undefined;
    if (fork && requested !== undefined && nPredict !== undefined) return Math.min(requested, nPredict);
    return requested ?? nPredict ?? Infinity;
  };
  /** Without a context shift the answer stops where the slot's context ends (finish_reason "length"). */
  const contextRoom = (shape: 'azure' | 'llama', fork: boolean, slotCtx: number | undefined, promptTokens: number) =>
    shape === 'llama' && slotCtx !== undefined && !(fork && cpu?.contextShift !== false) ? Math.max(0, slotCtx - promptTokens) : Infinity;

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
  // The sources may be in any message (the engine puts them in the system message, ahead of the turns, for the prompt cache).
  const sources = parseSources(messages.map((m) => m.content).join('\n'));
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

/** Fields of the OpenAI chat-completions request (what a strict OpenAI-compatible server accepts). */
const OPENAI_CHAT_FIELDS = new Set([
  'messages', 'model', 'audio', 'frequency_penalty', 'function_call', 'functions', 'logit_bias', 'logprobs', 'max_completion_tokens',
  'max_tokens', 'metadata', 'modalities', 'n', 'parallel_tool_calls', 'prediction', 'presence_penalty', 'prompt_cache_key',
  'reasoning_effort', 'response_format', 'safety_identifier', 'seed', 'service_tier', 'stop', 'store', 'stream', 'stream_options',
  'temperature', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'user', 'verbosity', 'web_search_options',
]);

interface ResolvedCpu {
  promptTokensPerSecond: number;
  generationTokensPerSecond: number;
  slots: number;
  build: LlamaBuild;
  cachePromptDefault: boolean;
  nPredict?: number;
  contextShift?: boolean;
}

function resolveCpu(c: CpuBitNet): ResolvedCpu {
  const build = c.build ?? 'current';
  const out = {
    ...c,
    promptTokensPerSecond: c.promptTokensPerSecond ?? 78,
    generationTokensPerSecond: c.generationTokensPerSecond ?? 20,
    slots: c.slots ?? 1,
    build,
    cachePromptDefault: c.cachePromptDefault ?? build === 'current',
  };
  if (!(out.promptTokensPerSecond > 0 && out.generationTokensPerSecond > 0)) throw new Error('cpu speeds must be positive');
  if (!Number.isInteger(out.slots) || out.slots < 1) throw new Error('cpu.slots must be a positive integer');
  return out;
}

const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
/** cl100k ids, as src/core/tokens.ts counts (countTokens(text) === encodePlain(text).length). */
const encodePlain = (text: string): number[] => encode(text, PLAIN_TEXT);
/** BitNet b1.58 2B4T's <|begin_of_text|> and <|eot_id|>: one token each, ids no text can produce. */
const BOS = -1;
const EOT = -2;

/**
 * The prompt's tokens as llama-server's chat template renders the messages for BitNet b1.58 2B4T (llama.cpp's
 * "bitnet" template: `<|begin_of_text|>System: …<|eot_id|>User: …<|eot_id|>Assistant:`), counted the project's way:
 * cl100k for the text (LLaMA 3's vocabulary extends it, so counts run slightly high) and one token per special token.
 * Each message is encoded alone, as the special tokens between them would split it. The fork may fall back to ChatML
 * (GUIDE §6); its role markers cost about as much. An assistant message in the history renders as the server's own
 * answer did (`Assistant:` then ` answer`), so a follow-up reuses the previous answer from the cache.
 */
function renderPrompt(messages: Message[]): number[] {
  const out = [BOS];
  for (const m of messages) out.push(...encodePlain(`${m.role.charAt(0).toUpperCase()}${m.role.slice(1)}: ${m.content}`), EOT);
  out.push(...encodePlain('Assistant:'));
  return out;
}

function commonPrefix(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * The fork's truncation of a prompt that fills the slot (n_keep 0): whole blocks of half the context are dropped from
 * the front until the rest fits.
 */
function contextShift(prompt: number[], nCtx: number): number[] {
  const block = Math.floor(nCtx / 2);
  const erased = Math.floor((prompt.length - block) / block);
  return prompt.slice(erased * block);
}

/** llama.cpp's result_timings (server-task.cpp): per-token and per-second figures derived as it does (0/0 is null). */
function llamaTimings(cacheN: number, promptN: number, promptMs: number, predictedN: number, predictedMs: number) {
  return {
    cache_n: cacheN,
    prompt_n: promptN,
    prompt_ms: promptMs,
    prompt_per_token_ms: promptMs / promptN,
    prompt_per_second: (1e3 / promptMs) * promptN,
    predicted_n: predictedN,
    predicted_ms: predictedMs,
    predicted_per_token_ms: predictedMs / predictedN,
    predicted_per_second: (1e3 / predictedMs) * predictedN,
  };
}

/**
 * When each piece is sent, in ms after the first token: the first token comes with the end of the prompt (its logits
 * are the prompt's last batch), then one token every `perToken` ms; a piece goes out with its last token.
 */
function tokenTimes(pieces: string[], total: number, perToken: number): number[] {
  const counts = pieces.map((p) => countTokens(p));
  const sum = counts.reduce((s, c) => s + c, 0) || 1;
  let seen = 0;
  return counts.map((c) => {
    seen += c;
    return Math.max(0, Math.round((seen / sum) * total) - 1) * perToken;
  });
}

/** Current llama.cpp (server-context.cpp, server-task.cpp): HTTP 400 even for a streamed request. */
function llamaContextError(nCtx: number, promptTokens: number) {
  return {
    code: 400,
    message: `request (${promptTokens} tokens) exceeds the available context size (${nCtx} tokens), try increasing it`,
    type: 'exceed_context_size_error',
    n_prompt_tokens: promptTokens,
    n_ctx: nCtx,
  };
}

/** Azure OpenAI's refusal, which counts the answer's reserve (max_tokens) against the context too. */
function azureContextError(nCtx: number, promptTokens: number, maxTokens: number | undefined) {
  const message =
    maxTokens !== undefined
      ? `This model's maximum context length is ${nCtx} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`
      : `This model's maximum context length is ${nCtx} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`;
  return { message, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' };
}

interface Slot {
  id: number;
  /** What the slot's KV cache holds: the last prompt and the answer generated after it. */
  tokens: number[];
  busy: boolean;
  lastUsed: number;
}

/** llama-server's slots (-np): one task each at a time; a task with no free slot waits, as llama.cpp defers it. */
class SlotPool {
  private readonly slots: Slot[];
  private waiting: Array<() => void> = [];
  private clock = 0;

  constructor(
    n: number,
    /** slot_prompt_similarity: 0.1 in current llama.cpp, 0.5 in the fork. */
    private readonly similarity: number,
  ) {
    this.slots = Array.from({ length: n }, (_, id) => ({ id, tokens: [], busy: false, lastUsed: -1 }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** The slot asked for, else the free one holding the longest similar prefix, else the least recently used; undefined when the client went away first. */
  async acquire(id: number | undefined, prompt: number[], signal: AbortSignal): Promise<Slot | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const slot = this.pick(id, prompt);
      if (slot) {
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  release(slot: Slot): void {
    slot.busy = false;
    slot.lastUsed = ++this.clock;
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  private pick(id: number | undefined, prompt: number[]): Slot | undefined {
    if (id !== undefined) return this.slots[id].busy ? undefined : this.slots[id];
    const free = this.slots.filter((s) => !s.busy);
    let best: Slot | undefined;
    let bestShared = 0;
    for (const s of free) {
      const shared = commonPrefix(s.tokens, prompt);
      if (shared > bestShared && shared / s.tokens.length > this.similarity) {
        best = s;
        bestShared = shared;
      }
    }
    return best ?? free.sort((a, b) => a.lastUsed - b.lastUsed)[0];
  }
}
