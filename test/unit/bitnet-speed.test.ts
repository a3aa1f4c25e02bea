// The chat test server's model of BitNet on a CPU behind llama.cpp's server (and the Azure route at the same speed),
// spoken to with the real `openai` client: the modelled delays, llama.cpp's timings, its prompt cache and slots, the
// fork bitnet.cpp pins, the context-length refusals and a strict server's refusal of unknown fields. Speeds are high
// (P = 2000 tokens/s and more) so every wait is short; the modelled numbers are asserted exactly, measured times loosely.
import assert from 'node:assert/strict';
import { APIError, OpenAI } from 'openai';
import { chatSchema } from '../../src/core/config';
import { buildMessages, ChatClient, ChatError, type ChatMessage, type PromptSource } from '../../src/core/generate';
import { countTokens } from '../../src/core/tokens';
import { startChatServer, type ChatServer, type ChatServerOptions, type ModelledRequest } from '../servers/chat-completions';

const P = 2000;
const D = 400;

/** `n` sources of a few hundred tokens each, like the retriever packs. */
const sources = (n: number, topic = 'install'): PromptSource[] =>
  Array.from({ length: n }, (_, i) => ({
    n: i + 1,
    path: `docs/${topic}-${i + 1}.md`,
    startLine: 1,
    endLine: 6,
    language: 'markdown',
    text: Array.from({ length: 6 }, (_, l) => `Step ${l + 1} of part ${i + 1}: run npm ${topic} with the flag --part-${i}-${l} and check the log for ${topic} errors.`).join('\n'),
  }));
const ask = (question: string, srcs = sources(4), history: ChatMessage[] = []) => buildMessages({ question, sources: srcs, history });

type Chunk = {
  choices: Array<{ delta: { content?: string | null; role?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens: number } };
  timings?: Timings;
};
interface Timings {
  cache_n: number;
  prompt_n: number;
  prompt_ms: number;
  prompt_per_token_ms: number;
  prompt_per_second: number;
  predicted_n: number;
  predicted_ms: number;
  predicted_per_token_ms: number;
  predicted_per_second: number;
}

describe('CPU-BitNet chat server', function () {
  this.timeout(20_000);
  let server: ChatServer | undefined;
  const start = async (opts: ChatServerOptions) => {
    await server?.close();
    server = await startChatServer(opts);
  };
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  // The tokenizer's tables load on first use; that must not land inside a measured wait.
  before(async () => {
    const warm = await startChatServer({ cpu: { promptTokensPerSecond: 1e6, generationTokensPerSecond: 1e6 } });
    await openai(warm.llamaEndpoint).chat.completions.create({ model: 'm', messages: ask('warm up?') });
    await warm.close();
  });

  const openai = (baseURL: string) => new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0 });
  const llama = () => openai(server!.llamaEndpoint);
  const modelled = (i = -1): ModelledRequest => {
    const m = server!.requests.at(i)?.modelled;
    assert.ok(m, 'the server recorded what it modelled');
    return m;
  };

  /** A streamed request, timed: when the headers came, when the first content came, and every chunk. */
  const streamed = async (client: OpenAI, messages: ChatMessage[], extra: Record<string, unknown> = {}) => {
    const t0 = Date.now();
    const params = { model: 'bitnet', messages, stream: true as const, stream_options: { include_usage: true }, ...extra };
    const stream = await client.chat.completions.create(params);
    const headersMs = Date.now() - t0;
    const chunks: Chunk[] = [];
    let firstContentMs: number | undefined;
    for await (const c of stream) {
      const chunk = c as unknown as Chunk;
      if (firstContentMs === undefined && chunk.choices[0]?.delta.content) firstContentMs = Date.now() - t0;
      chunks.push(chunk);
    }
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    return { chunks, text, headersMs, firstContentMs: firstContentMs ?? NaN, totalMs: Date.now() - t0 };
  };
  const arrived = async (n: number) => {
    while (server!.requests.length < n) await new Promise((r) => setTimeout(r, 5));
  };
  const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, expected), `${what}: ${actual} vs ${expected}`);

  it('counts the prompt as the chat template renders it, with the project token counter', async () => {
    await start({ cpu: { promptTokensPerSecond: 1e6, generationTokensPerSecond: 1e6 } });
    const messages = ask('How do I install it?');
    const res = await llama().chat.completions.create({ model: 'bitnet', messages });
    // <|begin_of_text|>, then "Role: content<|eot_id|>" per message, then "Assistant:" (specials count one token each).
    const expected = 1 + messages.reduce((s, m) => s + countTokens(`${m.role[0].toUpperCase()}${m.role.slice(1)}: ${m.content}`) + 1, 0) + countTokens('Assistant:');
    assert.equal(modelled().promptTokens, expected);
    assert.equal(res.usage?.prompt_tokens, expected);
    assert.equal(res.usage?.completion_tokens, countTokens(res.choices[0].message.content ?? ''));
  });

  it('waits prompt_tokens / P before the first token, streams at D tokens/s, and reports llama.cpp timings on the last event', async () => {
    await start({ cpu: { promptTokensPerSecond: P, generationTokensPerSecond: D } });
    const run = await streamed(llama(), ask('How do I install it?'));
    const m = modelled();
    assert.ok(m.promptTokens > 500, `a realistic prompt: ${m.promptTokens} tokens`);
    assert.equal(m.cachedTokens, 0);
    assert.equal(m.processedTokens, m.promptTokens);
    close(m.firstTokenDelayMs, (m.promptTokens / P) * 1000, 'first-token delay');
    close(m.predictedMs, ((m.predictedTokens - 1) / D) * 1000, 'generation time');
    // llama.cpp answers only with its first token: no headers before the prompt is processed.
    assert.ok(run.headersMs >= m.firstTokenDelayMs - 5, `headers after ${run.headersMs} ms, modelled ${m.firstTokenDelayMs}`);
    assert.ok(run.firstContentMs >= m.firstTokenDelayMs - 5 && run.firstContentMs < m.firstTokenDelayMs + 1500, `first content after ${run.firstContentMs} ms`);
    assert.ok(run.totalMs >= m.firstTokenDelayMs + m.predictedMs - 5, `all of it after ${run.totalMs} ms`);

    const last = run.chunks.at(-1)!;
    assert.deepEqual(last.choices, [], 'include_usage: the last chunk carries the usage');
    assert.deepEqual(run.chunks.slice(0, -1).filter((c) => c.timings), [], 'timings only on the last event');
    const t = last.timings!;
    assert.deepEqual(Object.keys(t), ['cache_n', 'prompt_n', 'prompt_ms', 'prompt_per_token_ms', 'prompt_per_second', 'predicted_n', 'predicted_ms', 'predicted_per_token_ms', 'predicted_per_second']);
    assert.equal(t.cache_n, 0);
    assert.equal(t.prompt_n, m.promptTokens);
    close(t.prompt_ms, m.firstTokenDelayMs, 'prompt_ms');
    close(t.prompt_per_second, P, 'prompt_per_second');
    close(t.prompt_per_token_ms, 1000 / P, 'prompt_per_token_ms');
    assert.equal(t.predicted_n, last.usage!.completion_tokens);
    assert.equal(t.predicted_n, countTokens(run.text));
    close(t.predicted_ms, m.predictedMs, 'predicted_ms');
    // llama.cpp times generation from the first token on, so n tokens over n - 1 intervals.
    close(t.predicted_per_second, (1e3 / t.predicted_ms) * t.predicted_n, 'predicted_per_second');
    assert.deepEqual(last.usage, { prompt_tokens: m.promptTokens, completion_tokens: t.predicted_n, total_tokens: m.promptTokens + t.predicted_n, prompt_tokens_details: { cached_tokens: 0 } });

    // Without include_usage the finish chunk is the last event, and carries the timings.
    const bare = await streamed(llama(), ask('How do I install it?', sources(2)), { stream_options: undefined });
    assert.equal(bare.chunks.at(-1)!.choices[0].finish_reason, 'stop');
    assert.equal(bare.chunks.at(-1)!.timings?.predicted_n, countTokens(bare.text));
    assert.equal(bare.chunks.filter((c) => c.usage).length, 0);
  });

  it('answers a non-streamed request after the modelled time, with the timings beside the usage', async () => {
    await start({ cpu: { promptTokensPerSecond: P, generationTokensPerSecond: D } });
    const t0 = Date.now();
    const res = await llama().chat.completions.create({ model: 'bitnet', messages: ask('How do I install it?') });
    const elapsed = Date.now() - t0;
    const m = modelled();
    assert.ok(elapsed >= m.firstTokenDelayMs + m.predictedMs - 5, `answered after ${elapsed} ms`);
    const t = (res as unknown as { timings: Timings }).timings;
    assert.equal(t.prompt_n, m.promptTokens);
    assert.equal(t.predicted_n, res.usage?.completion_tokens);
    assert.deepEqual((res.usage as { prompt_tokens_details?: unknown }).prompt_tokens_details, { cached_tokens: 0 });
  });

  it('reuses the longest prefix shared with the slot: only the tokens after it cost prompt time', async () => {
    await start({ cpu: { promptTokensPerSecond: P, generationTokensPerSecond: 5000 } });
    const first = await streamed(llama(), ask('How do I install it?'));
    const m1 = modelled();
    // Same system prompt and sources, another question: everything up to the question is reused.
    const second = await streamed(llama(), ask('Which flag does part 3 use?'));
    const m2 = modelled();
    const t2 = second.chunks.at(-1)!.timings!;
    assert.equal(t2.cache_n, m2.cachedTokens);
    assert.equal(t2.prompt_n, m2.processedTokens);
    assert.equal(t2.cache_n + t2.prompt_n, m2.promptTokens);
    assert.equal(second.chunks.at(-1)!.usage?.prompt_tokens, m2.promptTokens, 'usage counts the whole prompt, cached or not');
    assert.equal(second.chunks.at(-1)!.usage?.prompt_tokens_details?.cached_tokens, t2.cache_n);
    assert.ok(t2.prompt_n < 20 && t2.cache_n > m1.promptTokens - 20, `cache_n ${t2.cache_n}, prompt_n ${t2.prompt_n} of ${m2.promptTokens}`);
    close(m2.firstTokenDelayMs, (t2.prompt_n / P) * 1000, 'first-token delay of the follow-up');
    assert.ok(second.firstContentMs < first.firstContentMs, `follow-up first token after ${second.firstContentMs} ms, first question after ${first.firstContentMs} ms`);

    // The very same prompt again: llama.cpp still evaluates one token, for the logits of the first answer token.
    await streamed(llama(), ask('Which flag does part 3 use?'));
    assert.equal(modelled().processedTokens, 1);
    assert.equal(modelled().cachedTokens, m2.promptTokens - 1);

    // A follow-up that carries the previous turn: the slot also holds the answer it generated, so all of that is reused.
    const history: ChatMessage[] = [...ask('Which flag does part 3 use?').slice(1), { role: 'assistant', content: second.text }];
    await streamed(llama(), [ask('x')[0], ...history, { role: 'user', content: 'Question: And part 4?' }]);
    assert.equal(modelled().cachedTokens, m2.promptTokens + countTokens(` ${second.text}`));
  });

  it('processes the whole prompt with cache_prompt: false, and current llama.cpp still keeps it in the slot', async () => {
    await start({ cpu: { promptTokensPerSecond: 50_000, generationTokensPerSecond: 50_000 } });
    await streamed(llama(), ask('How do I install it?'));
    await streamed(llama(), ask('How do I install it?'), { cache_prompt: false });
    assert.equal(modelled().cachePrompt, false);
    assert.equal(modelled().processedTokens, modelled().promptTokens);
    assert.equal(modelled().cachedTokens, 0);
    await streamed(llama(), ask('How do I install it?'), { cache_prompt: true });
    assert.equal(modelled().processedTokens, 1);
  });

  it('models the fork bitnet.cpp pins: no cache unless asked, no timings, usage on the finish chunk, -n caps max_tokens', async () => {
    await start({ cpu: { promptTokensPerSecond: 50_000, generationTokensPerSecond: 50_000, build: 'bitnet-fork', nPredict: 8 } });
    const first = await streamed(llama(), ask('How do I install it?'), { max_tokens: 512 });
    assert.deepEqual(first.chunks[0].choices[0].delta, { role: 'assistant' });
    assert.equal(first.chunks.filter((c) => c.timings).length, 0, 'no timings in chat completions');
    const finish = first.chunks.at(-1)!;
    assert.equal(finish.choices[0].finish_reason, 'length', 'the server -n 8 caps max_tokens 512');
    assert.ok(finish.usage!.completion_tokens > 0 && finish.usage!.completion_tokens <= 8, `${finish.usage?.completion_tokens} tokens`);
    assert.equal(finish.usage?.prompt_tokens_details, undefined);
    assert.equal(first.chunks.filter((c) => c.usage).length, 1, 'usage once, on the finish chunk, though include_usage asked for a chunk of its own');

    // cache_prompt defaults to false, and such a request leaves nothing in the slot.
    await streamed(llama(), ask('How do I install it?'));
    assert.deepEqual([modelled().cachePrompt, modelled().cachedTokens], [false, 0]);
    await streamed(llama(), ask('How do I install it?'), { cache_prompt: true });
    assert.equal(modelled().cachedTokens, 0, 'the requests without cache_prompt cached nothing');
    await streamed(llama(), ask('Which flag does part 3 use?'), { cache_prompt: true });
    assert.ok(modelled().cachedTokens > modelled().promptTokens - 20, `cached ${modelled().cachedTokens} of ${modelled().promptTokens}`);
    const res = await llama().chat.completions.create({ model: 'bitnet', messages: ask('How do I install it?'), max_tokens: 4 });
    assert.equal((res as { timings?: unknown }).timings, undefined);
    assert.equal(res.choices[0].finish_reason, 'length');
    assert.ok(res.usage!.completion_tokens <= 4, 'a request below -n keeps its own limit');
  });

  it('gives a task the slot named by id_slot, else a free slot holding a similar prefix, else the least recently used', async () => {
    await start({ cpu: { promptTokensPerSecond: 50_000, generationTokensPerSecond: 50_000, slots: 2 } });
    const install = ask('How do I install it?', sources(6, 'install'));
    const build = ask('How do I build it?', sources(6, 'build'));
    await streamed(llama(), install, { id_slot: 0 });
    await streamed(llama(), build, { id_slot: 1 });
    assert.equal(modelled().slot, 1);
    await streamed(llama(), ask('And part 2?', sources(6, 'install')));
    assert.equal(modelled().slot, 0, 'the slot that holds the install sources');
    assert.ok(modelled().cachedTokens > 100);
    await streamed(llama(), ask('And part 2?', sources(6, 'build')));
    assert.equal(modelled().slot, 1);
    // Nothing similar in either slot: the least recently used one.
    await streamed(llama(), [{ role: 'user', content: 'Question: hello?' }]);
    assert.equal(modelled().slot, 0);
    await streamed(llama(), [{ role: 'user', content: 'Question: and you?' }], { id_slot: 0 });
    assert.equal(modelled().slot, 0);
    await assert.rejects(streamed(llama(), install, { id_slot: 2 }), (e: unknown) => e instanceof APIError && e.status === 400);
  });

  it('serves one task per slot: a second request waits for the first', async () => {
    await start({ cpu: { promptTokensPerSecond: P, generationTokensPerSecond: 5000 } });
    const runs = await Promise.all([streamed(llama(), ask('How do I install it?', sources(4, 'install'))), streamed(llama(), ask('How do I build it?', sources(4, 'build')))]);
    // In the order they arrived:
    const [r1, r2] = server!.requests;
    const [first, second] = [r1.modelled!, r2.modelled!];
    assert.ok(first.queuedMs < 100, `the first waited ${first.queuedMs} ms`);
    const firstEnd = r1.receivedAt + first.queuedMs + first.firstTokenDelayMs + first.predictedMs;
    assert.ok(r2.receivedAt + second.queuedMs >= firstEnd - 5, `the second started ${firstEnd - r2.receivedAt - second.queuedMs} ms before the first ended`);
    const last = Math.max(...runs.map((r) => r.totalMs));
    assert.ok(last >= first.firstTokenDelayMs + second.firstTokenDelayMs, `both ended after ${last} ms`);
    assert.ok(runs.every((r) => r.text));
  });

  it('lets a request that waited behind an abandoned one start at once', async () => {
    await start({ cpu: { promptTokensPerSecond: 200, generationTokensPerSecond: 5000 } });
    const abort = new AbortController();
    const gone = llama().chat.completions.create({ model: 'bitnet', messages: ask('How do I install it?'), stream: true }, { signal: abort.signal });
    await arrived(1);
    const waiting = streamed(llama(), [{ role: 'user', content: 'Question: hello?' }]);
    setTimeout(() => abort.abort(), 150);
    await assert.rejects(gone);
    const run = await waiting;
    const m = modelled(1);
    assert.ok(m.queuedMs >= 100 && m.queuedMs < 1500, `waited ${m.queuedMs} ms for the abandoned task, not its modelled ${modelled(0).firstTokenDelayMs} ms`);
    assert.ok(run.text);
  });

  it('refuses a prompt that fills the slot context as llama.cpp does, with HTTP 400 even when streaming', async () => {
    await start({ cpu: { promptTokensPerSecond: 50_000, generationTokensPerSecond: 50_000, slots: 2 }, contextTokens: 1024 });
    const messages = ask('How do I install it?', sources(8));
    const err = await streamed(llama(), messages).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof APIError && err.status === 400, String(err));
    const n = modelled().promptTokens;
    assert.ok(n >= 512);
    assert.equal(modelled().rejected, 'context-length');
    assert.deepEqual(err.error, {
      code: 400,
      message: `request (${n} tokens) exceeds the available context size (512 tokens), try increasing it`,
      type: 'exceed_context_size_error',
      n_prompt_tokens: n,
      n_ctx: 512,
    });
    // The engine's client sees an HTTP failure with the server's words.
    const client = new ChatClient(chatSchema.parse({ endpoint: server!.llamaEndpoint }));
    await assert.rejects(
      async () => {
        for await (const e of client.stream(messages)) void e;
      },
      (e: unknown) => e instanceof ChatError && e.details.status === 400 && /exceeds the available context size/.test(e.message),
    );
  });

  it('stops the answer where the context ends, with finish_reason length', async () => {
    const messages = ask('How do I install it?', sources(2));
    await start({ cpu: { promptTokensPerSecond: 1e6, generationTokensPerSecond: 1e6 } });
    await llama().chat.completions.create({ model: 'bitnet', messages });
    const n = modelled().promptTokens;
    await start({ cpu: { promptTokensPerSecond: 1e6, generationTokensPerSecond: 1e6 }, contextTokens: n + 5 });
    const res = await llama().chat.completions.create({ model: 'bitnet', messages, max_tokens: 100 });
    assert.equal(res.choices[0].finish_reason, 'length');
    assert.ok(res.usage!.completion_tokens > 0 && res.usage!.completion_tokens <= 5, `${res.usage?.completion_tokens} tokens`);
  });

  it("models the fork's context shift (truncation), and its in-stream error without one", async () => {
    const cpu = { promptTokensPerSecond: 1e6, generationTokensPerSecond: 1e6, build: 'bitnet-fork' as const };
    await start({ cpu, contextTokens: 512 });
    const messages = ask('How do I install it?', sources(8));
    const shifted = await streamed(llama(), messages);
    const m = modelled();
    assert.ok(m.truncatedFrom !== undefined && m.truncatedFrom >= 512);
    // Whole blocks of n_ctx / 2 go from the front until the rest fits.
    assert.equal(m.promptTokens, m.truncatedFrom - Math.floor((m.truncatedFrom - 256) / 256) * 256);
    assert.ok(m.promptTokens < 512);
    assert.equal(shifted.chunks.at(-1)!.choices[0].finish_reason, 'stop');

    await start({ cpu: { ...cpu, contextShift: false }, contextTokens: 512 });
    const wire = await fetch(`${server!.llamaEndpoint}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages, stream: true }) });
    assert.equal(wire.status, 200, 'the fork has sent its headers before it looks at the prompt');
    const error = { code: 400, message: 'the request exceeds the available context size. try increasing the context size or enable context shift', type: 'invalid_request_error' };
    assert.equal(await wire.text(), `error: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
    const plain = await fetch(`${server!.llamaEndpoint}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages }) });
    assert.equal(plain.status, 400);
    assert.deepEqual(await plain.json(), { error });
    // The SDK skips an `error:` field, so the engine's client sees a stream that ended without an answer.
    const client = new ChatClient(chatSchema.parse({ endpoint: server!.llamaEndpoint }));
    await assert.rejects(
      async () => {
        for await (const e of client.stream(messages)) void e;
      },
      (e: unknown) => e instanceof ChatError && e.kind === 'cut-off',
    );
  });

  it('gives the Azure route the same speed, usage without timings, and Azure context_length_exceeded', async () => {
    await start({ cpu: { promptTokensPerSecond: P, generationTokensPerSecond: 5000 }, contextTokens: 2048 });
    const azure = openai(server!.azureEndpoint);
    const run = await streamed(azure, ask('How do I install it?'));
    const m = modelled();
    assert.equal(m.cachedTokens, 0);
    assert.equal(m.slot, undefined);
    assert.ok(run.headersMs < m.firstTokenDelayMs, 'Azure sends its headers and prompt-filter chunk at once');
    assert.ok(run.firstContentMs >= m.firstTokenDelayMs - 5, `first content after ${run.firstContentMs} ms of a modelled ${m.firstTokenDelayMs}`);
    assert.equal(run.chunks.filter((c) => c.timings).length, 0);
    assert.deepEqual(run.chunks.at(-1)!.usage, { prompt_tokens: m.promptTokens, completion_tokens: countTokens(run.text), total_tokens: m.promptTokens + countTokens(run.text) });
    // A follow-up pays the whole prompt again: nothing is cached on this route.
    await streamed(azure, ask('Which flag does part 3 use?'));
    assert.equal(modelled().processedTokens, modelled().promptTokens);

    const refused = async (extra: Record<string, unknown>) =>
      azure.chat.completions.create({ model: 'bitnet', messages: ask('How do I install it?', sources(12)), ...extra }).then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => {
          assert.ok(e instanceof APIError && e.status === 400);
          return e.error as { message: string; code: string; type: string; param: string };
        },
      );
    const plain = await refused({});
    const n = modelled().promptTokens;
    assert.deepEqual(plain, {
      message: `This model's maximum context length is 2048 tokens. However, your messages resulted in ${n} tokens. Please reduce the length of the messages.`,
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    });
    // Azure counts the answer's reserve: a prompt that fits is refused with max_tokens that do not.
    await azure.chat.completions.create({ model: 'bitnet', messages: ask('How do I install it?', sources(2)) });
    const small = modelled().promptTokens;
    const reserve = await refused({ messages: ask('How do I install it?', sources(2)), max_tokens: 2048 - small + 1 });
    assert.equal(reserve.message, `This model's maximum context length is 2048 tokens. However, you requested 2049 tokens (${small} in the messages, ${2048 - small + 1} in the completion). Please reduce the length of the messages or completion.`);
  });

  it('answers the route context error through the context-length fault, once', async () => {
    await start({ fault: { kind: 'context-length', times: 1 } });
    await assert.rejects(llama().chat.completions.create({ model: 'bitnet', messages: ask('How?') }), (e: unknown) => e instanceof APIError && e.status === 400 && (e.error as { type: string }).type === 'exceed_context_size_error');
    const ok = await llama().chat.completions.create({ model: 'bitnet', messages: ask('How?') });
    assert.equal(ok.choices[0].finish_reason, 'stop');
  });

  it('rejects unknown fields such as cache_prompt when told to, as a strict OpenAI-compatible server does', async () => {
    await start({ rejectUnknownFields: true });
    const err = await llama()
      .chat.completions.create({ model: 'bitnet', messages: ask('How?'), ...{ cache_prompt: true, id_slot: 0 } })
      .then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof APIError && err.status === 400);
    assert.deepEqual(err.error, { message: 'Unrecognized request arguments supplied: cache_prompt, id_slot', type: 'invalid_request_error', param: null, code: null });
    await assert.rejects(llama().chat.completions.create({ model: 'bitnet', messages: ask('How?'), ...{ cache_prompt: true } }), /Unrecognized request argument supplied: cache_prompt/);
    const ok = await llama().chat.completions.create({ model: 'bitnet', messages: ask('How?'), stream: false, max_tokens: 50, temperature: 0.2 });
    assert.ok(ok.choices[0].message.content);
  });
});
