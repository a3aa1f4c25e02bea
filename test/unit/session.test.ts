// Answers at BitNet's real speed, against the chat server's CPU-BitNet model (test/servers/chat-completions.ts) with
// the real client: the learned prompt speed, the first-token budget for a slow and a fast endpoint, prompt-cache
// reuse on a follow-up, incomplete answers, the context-length retry, a short 429 waited out, and the fallbacks.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Asker, type AnswerProgress } from '../../src/core/answer';
import { chatSchema, retrievalSchema } from '../../src/core/config';
import { EmbeddingError } from '../../src/core/embed';
import { ChatClient } from '../../src/core/generate';
import { GenerationSession, type GenerationProgress } from '../../src/core/generate/session';
import { DEFAULT_PROMPT_TOKENS_PER_SECOND, PromptSpeed } from '../../src/core/generate/speed';
import { Retriever } from '../../src/core/retrieve';
import { MemorySearchIndex } from '../fakes/memorySearchIndex';
import { startChatServer, type ChatServer, type ChatServerOptions } from '../servers/chat-completions';

const WS = 'ws';
const paragraph = (topic: string, i: number) =>
  `${topic} note ${i}: snapshots are written to disk on a schedule, and the interval is read from the configuration at start.`;

/** Ten sources of about 250 tokens each, all about snapshots. */
function index(): MemorySearchIndex {
  const idx = new MemorySearchIndex();
  for (let f = 0; f < 10; f++) {
    idx.addFile(WS, [{ path: `docs/snap${f}.md`, startLine: 1, text: Array.from({ length: 8 }, (_, i) => paragraph(`file ${f}`, i)).join('\n') }]);
  }
  return idx;
}

describe('answers at BitNet speed', function () {
  this.timeout(30_000);
  let server: ChatServer;
  afterEach(async () => server?.close());

  const setUp = async (opts: ChatServerOptions, firstTokenSeconds = 8, speed = new PromptSpeed()) => {
    server = await startChatServer(opts);
    const cfg = chatSchema.parse({ endpoint: server.llamaEndpoint, timeoutMs: 20_000, firstTokenSeconds });
    const session = new GenerationSession(new ChatClient(cfg), speed, cfg.endpoint, cfg.firstTokenSeconds);
    const asker = new Asker(new Retriever(index(), undefined, retrievalSchema.parse({ topK: 10 })), session, cfg);
    return { asker, session, speed, endpoint: cfg.endpoint };
  };
  const reading = (events: AnswerProgress[]) => events.filter((e): e is Extract<GenerationProgress, { kind: 'reading' }> => e.kind === 'reading');

  it('starts from the published laptop speed and sends what it reads within the first-token target', async () => {
    const { asker } = await setUp({ cpu: { promptTokensPerSecond: 4000, generationTokensPerSecond: 4000 } });
    const events: AnswerProgress[] = [];
    const answer = await asker.ask(WS, 'How often are snapshots written?', { onProgress: (p) => events.push(p) });
    const [read] = reading(events);
    assert.ok(read.newTokens <= 8 * DEFAULT_PROMPT_TOKENS_PER_SECOND + 300, `${read.newTokens} tokens`);
    assert.ok(answer.sources.length >= 1 && answer.sources.length < 10, `${answer.sources.length} sources`);
    assert.equal(read.estimatedMs, Math.round((read.newTokens / DEFAULT_PROMPT_TOKENS_PER_SECOND) * 1000));
    assert.deepEqual(answer.sources.map((s) => s.n), answer.sources.map((_, i) => i + 1), 'numbered in prompt order');
  });

  it("learns the endpoint's speed from llama.cpp's timings: a fast endpoint then gets the whole context", async () => {
    const { asker, speed, endpoint } = await setUp({ cpu: { promptTokensPerSecond: 5000, generationTokensPerSecond: 5000 } });
    await asker.ask(WS, 'How often are snapshots written?');
    const learned = await speed.estimate(endpoint);
    assert.ok(learned > 1000, `learned ${learned} tokens/s`);
    const second = await asker.ask(WS, 'When is the snapshot interval read?');
    assert.equal(second.sources.length, 10, 'all the packed sources fit 8 s at the learned speed');
  });

  it('a slow endpoint keeps the first token near the target: few sources, modelled delay within it', async () => {
    const { asker, session, endpoint, speed } = await setUp({ cpu: { promptTokensPerSecond: 200, generationTokensPerSecond: 2000 } }, 2);
    await speed.observe(endpoint, 1000, 5000); // 200 tokens/s, as learned earlier
    const answer = await asker.ask(WS, 'How often are snapshots written?');
    const modelled = server.requests.at(-1)!.modelled!;
    assert.ok(modelled.firstTokenDelayMs <= 2000 + 1500, `${modelled.firstTokenDelayMs} ms before the first token`);
    assert.ok(answer.sources.length < 10);
    assert.ok(session);
  });

  it('reports the sources the prompt carries, numbered as the answer cites them, before the first word', async () => {
    const { asker } = await setUp({ cpu: { promptTokensPerSecond: 4000, generationTokensPerSecond: 4000 } });
    const seen: Array<{ sources: string[]; deltas: number }> = [];
    let deltas = 0;
    const answer = await asker.ask(WS, 'How often are snapshots written?', {
      onSources: (r) => seen.push({ sources: r.sources.map((s) => `${s.n} ${s.path}:${s.startLine}-${s.endLine}`), deltas }),
      onDelta: () => deltas++,
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0].deltas, 0);
    assert.deepEqual(seen[0].sources, answer.sources.map((s) => `${s.n} ${s.path}:${s.startLine}-${s.endLine}`));
  });

  it('lays a follow-up out so the server reads only what is new (cache_prompt, shared sources first)', async () => {
    const { asker, speed, endpoint } = await setUp({ cpu: { promptTokensPerSecond: 5000, generationTokensPerSecond: 5000 } });
    await speed.observe(endpoint, 5000, 1000); // known to be fast: both prompts carry every source
    const first = await asker.ask(WS, 'How often are snapshots written?');
    const history = [
      { role: 'user' as const, content: 'How often are snapshots written?' },
      { role: 'assistant' as const, content: first.text },
    ];
    await asker.ask(WS, 'And when is the interval read?', { history });
    const [a, b] = server.requests.slice(-2).map((r) => r.modelled!);
    assert.equal((server.requests.at(-1)!.body as { cache_prompt?: boolean }).cache_prompt, true);
    assert.ok(b.cachedTokens > 0.8 * a.promptTokens, `follow-up reused ${b.cachedTokens} of the ${a.promptTokens} tokens before it`);
    assert.ok(b.processedTokens < 0.2 * b.promptTokens, `follow-up processed ${b.processedTokens} of ${b.promptTokens}`);
  });

  it('a slow endpoint gets passages of several sources, and a follow-up sends them again unchanged, reading little', async () => {
    const { asker, speed, endpoint } = await setUp({ cpu: { promptTokensPerSecond: 300, generationTokensPerSecond: 5000 } }, 2);
    await speed.observe(endpoint, 300, 1000); // 600 new tokens in the 2 s target
    const first = await asker.ask(WS, 'How often are snapshots written to disk?');
    assert.ok(first.sources.length >= 2 && first.sources.length <= 4, `${first.sources.length} passages`);
    assert.ok(first.sources.some((s) => s.endLine - s.startLine < 7), 'at least one source is cut to a passage');
    const history = [
      { role: 'user' as const, content: 'How often are snapshots written to disk?' },
      { role: 'assistant' as const, content: first.text },
    ];
    const second = await asker.ask(WS, 'And the snapshot interval?', { history });
    const shown = (a: typeof first) => a.sources.map((s) => `${s.path}:${s.startLine}-${s.endLine}\n${s.text}`);
    assert.deepEqual(shown(second).slice(0, first.sources.length), shown(first), 'the same passages, first and in order');
    const [a, b] = server.requests.slice(-2).map((r) => r.modelled!);
    assert.ok(b.processedTokens < 0.3 * a.promptTokens, `follow-up read ${b.processedTokens} new tokens after a prompt of ${a.promptTokens}`);
    assert.ok(b.promptTokens - a.promptTokens < 250, 'no more source tokens than a first question');
  });

  it('a follow-up brings its new sources with its question, numbered after the earlier ones; a third question reads only itself', async () => {
    const { asker, speed, endpoint } = await setUp({ cpu: { promptTokensPerSecond: 300, generationTokensPerSecond: 5000 } }, 2);
    await speed.observe(endpoint, 300, 1000);
    const q1 = 'How often are snapshots written to disk?';
    const first = await asker.ask(WS, q1);
    const h1 = [{ role: 'user' as const, content: q1 }, { role: 'assistant' as const, content: first.text }];
    const q2 = 'What does file 7 note 3 say about the configuration?';
    const second = await asker.ask(WS, q2, { history: h1 });
    const body = (i: number) => server.requests.at(i)!.body as { messages: Array<{ role: string; content: string }> };
    const [system1, system2] = [body(-2).messages[0].content, body(-1).messages[0].content];
    assert.equal(system2, system1, 'the system message and its sources are sent again unchanged');
    const brought = second.sources.slice(first.sources.length);
    assert.ok(brought.length >= 1, 'the follow-up brings a source of its own');
    assert.deepEqual(brought.map((s) => s.n), brought.map((_, i) => first.sources.length + i + 1));
    const last = body(-1).messages.at(-1)!.content;
    assert.ok(last.startsWith('Sources:') && last.includes(`[${first.sources.length + 1}] `) && last.endsWith(`Question: ${q2}`), last.slice(0, 200));
    const h2 = [...h1, { role: 'user' as const, content: q2 }, { role: 'assistant' as const, content: second.text }];
    await asker.ask(WS, 'And how often again?', { history: h2 });
    const third = server.requests.at(-1)!.modelled!;
    assert.equal(body(-1).messages[0].content, system1);
    assert.equal(body(-1).messages[3].content, last, 'the earlier question goes as it was sent, with its sources');
    assert.ok(third.processedTokens < 200, `the third question read ${third.processedTokens} new tokens`);
  });

  it('starts the layout afresh for a new conversation, another workspace, or a passage whose file changed', async () => {
    const { session } = await setUp({ cpu: { promptTokensPerSecond: 5000, generationTokensPerSecond: 5000 } });
    const doc = (path: string, text: string) => ({ n: 0, path, language: 'markdown', startLine: 1, endLine: text.split('\n').length, text });
    const a = doc('docs/a.md', 'Snapshots are written every minute.\nThe interval is read at start.');
    const b = doc('docs/b.md', 'Backups go to the bucket named in the configuration.');
    const ask = (scope: string, question: string, sources: ReturnType<typeof doc>[], history: Array<{ role: 'user' | 'assistant'; content: string }> = []) =>
      session.generate({ scope, question, sources, history, maxAnswerTokens: 64 });
    const sent = () => (server.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }> }).messages;
    const q1 = 'How often are snapshots written?';
    const first = await ask(WS, q1, [a]);
    const h1 = [{ role: 'user' as const, content: q1 }, { role: 'assistant' as const, content: first.text }];
    await ask(WS, 'And backups?', [b, a], h1);
    assert.ok(sent().at(-1)!.content.startsWith('Sources:'), 'a follow-up: its new source comes with the question');
    await ask(WS, 'And backups?', [b, a]);
    assert.equal(sent().at(-1)!.content, 'Question: And backups?', 'no history: a first question');
    const h2 = [{ role: 'user' as const, content: 'And backups?' }, { role: 'assistant' as const, content: 'ok' }];
    await ask('other-workspace', 'And snapshots?', [a, b], h2);
    assert.equal(sent().at(-1)!.content, 'Question: And snapshots?', 'another workspace: afresh');
    const h3 = [{ role: 'user' as const, content: 'And snapshots?' }, { role: 'assistant' as const, content: 'ok' }];
    const edited = doc('docs/a.md', 'Snapshots are written every hour.\nThe interval is read at start.');
    const after = await ask('other-workspace', 'And the interval?', [edited, b], h3);
    assert.equal(sent().at(-1)!.content, 'Question: And the interval?', 'a changed passage: afresh');
    assert.match(sent()[0].content, /every hour/);
    assert.doesNotMatch(sent()[0].content, /every minute/);
    assert.deepEqual(after.sources.map((s) => s.n), after.sources.map((_, i) => i + 1));
  });

  it('stops sending cache_prompt to a server that refuses unknown fields, once', async () => {
    const { asker } = await setUp({ rejectUnknownFields: true });
    const answer = await asker.ask(WS, 'How often are snapshots written?');
    assert.equal(answer.mode, 'generated');
    await asker.ask(WS, 'When is the interval read?');
    const sent = server.requests.map((r) => (r.body as { cache_prompt?: boolean }).cache_prompt);
    assert.deepEqual(sent, [true, undefined, undefined], 'refused once, then never sent again');
  });

  it('marks an answer cut by the token limit, an empty one and one whose stream broke as incomplete, keeping text and sources', async () => {
    const { asker } = await setUp({ cpu: { promptTokensPerSecond: 5000, generationTokensPerSecond: 5000, nPredict: 3, build: 'bitnet-fork' } });
    const cut = await asker.ask(WS, 'How often are snapshots written?');
    assert.equal(cut.complete, false);
    assert.equal(cut.incomplete, 'length');
    assert.ok(cut.text.length > 0 && cut.sources.length > 0);
    await server.close();
    server = await startChatServer({ fault: { kind: 'cut-off', afterChunks: 2 } });
    const cfg = chatSchema.parse({ endpoint: server.llamaEndpoint, timeoutMs: 5000 });
    const broken = await new Asker(new Retriever(index(), undefined, retrievalSchema.parse({})), new GenerationSession(new ChatClient(cfg), new PromptSpeed(), cfg.endpoint, 8), cfg).ask(
      WS,
      'How often are snapshots written?',
    );
    assert.equal(broken.incomplete, 'cut-off');
    assert.ok(broken.text.length > 0 && broken.sources.length > 0);
  });

  it('retries a prompt the server finds too long once, with fewer sources', async () => {
    const { asker } = await setUp({ fault: { kind: 'context-length', times: 1 } }, 600);
    const answer = await asker.ask(WS, 'How often are snapshots written?');
    assert.equal(answer.mode, 'generated');
    const [refused, retried] = server.requests.map((r) => (r.body as { messages: Array<{ content: string }> }).messages[0].content.match(/^\[\d+\] /gm)?.length ?? 0);
    assert.ok(retried < refused && retried >= 1, `${refused} sources, then ${retried}`);
  });

  it('waits out a short 429 once, saying for how long', async () => {
    const { asker } = await setUp({ fault: { kind: 'throttle', retryAfterMs: 300, times: 1 } });
    const events: AnswerProgress[] = [];
    const answer = await asker.ask(WS, 'How often are snapshots written?', { onProgress: (p) => events.push(p) });
    assert.equal(answer.mode, 'generated');
    assert.deepEqual(events.filter((e) => e.kind === 'waiting'), [{ kind: 'waiting', ms: 300 }]);
  });

  it('BitNet down: the sources are still the answer, labelled retrieval-only for this answer', async () => {
    const { asker } = await setUp({ fault: { kind: 'server-error', status: 503 } });
    const answer = await asker.ask(WS, 'How often are snapshots written?');
    assert.equal(answer.mode, 'retrieval-only');
    assert.ok(answer.sources.length > 0);
    assert.match(answer.notices[0], /^Retrieval-only for this answer: BitNet could not answer/);
    assert.match(answer.text, /Retrieval-only for this answer/);
  });

  it('embeddings endpoint down: keyword-only for this question, labelled, within the deadline', async () => {
    server = await startChatServer({});
    const down = { embed: async () => Promise.reject(new EmbeddingError('network', 'Could not reach the Azure OpenAI deployment (test)')) };
    const retriever = new Retriever(index(), down, retrievalSchema.parse({}));
    const started = performance.now();
    const r = await retriever.retrieve(WS, 'How often are snapshots written?', 3000);
    assert.ok(performance.now() - started < 5000);
    assert.equal(r.mode, 'keyword-only');
    assert.match(r.fallback ?? '', /^Keyword-only for this question: the embeddings endpoint failed/);
    assert.ok(r.sources.length > 0);
    const slow = { embed: (_t: string[], o?: { signal?: AbortSignal }) => new Promise<never>((_, reject) => o?.signal?.addEventListener('abort', () => reject(new EmbeddingError('cancelled', 'Embedding was cancelled.')))) };
    const t0 = performance.now();
    const late = await new Retriever(index(), slow, retrievalSchema.parse({})).retrieve(WS, 'How often are snapshots written?', 3000);
    assert.equal(late.mode, 'keyword-only');
    assert.ok(performance.now() - t0 < 6500, 'no longer than the deadline');
  });

  it('keeps the learned speed for the next start', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wrag-speed-'));
    const file = path.join(dir, 'prompt-speed.json');
    const first = new PromptSpeed(file);
    await first.observe('http://a', 780, 10_000);
    await first.observe('http://a', 780, 10_000);
    assert.equal(Math.round(await new PromptSpeed(file).estimate('http://a')), 78);
    assert.equal(await new PromptSpeed(file).estimate('http://b'), DEFAULT_PROMPT_TOKENS_PER_SECOND);
    await fs.rm(dir, { recursive: true, force: true });
  });
});
