// The prompt, the real OpenAI client inside ChatClient against both local server shapes, and citation parsing.
import assert from 'node:assert/strict';
import { chatSchema, type ChatConfig } from '../../src/core/config';
import {
  buildMessages,
  ChatClient,
  ChatError,
  CitationParser,
  DEFAULT_MODEL,
  promptOverheadTokens,
  promptTokens,
  renderSource,
  sourceTokens,
  SYSTEM_PROMPT,
  type ChatEvent,
  type PromptSource,
} from '../../src/core/generate';
import { countTokens } from '../../src/core/tokens';
import { startChatServer, type ChatServer, type ChatServerOptions } from '../servers/chat-completions';

const SOURCES: PromptSource[] = [
  {
    n: 1,
    path: 'docs/setup.md',
    startLine: 3,
    endLine: 6,
    language: 'markdown',
    text: '## Neo4j\nSet NEO4J_PASSWORD to the database password.\nThe password needs at least 8 characters.',
  },
  { n: 2, path: 'src/core/tokens.ts', startLine: 10, endLine: 12, language: 'typescript', header: 'export class Tokens {', text: 'count(text: string): number {\n  return encode(text).length;\n}' },
];
const QUESTION = 'How many characters does the password need?';

describe('prompt', () => {
  it('renders a source as [n] path:start-end and a fenced block with its header', () => {
    assert.equal(renderSource(SOURCES[1]), '[2] src/core/tokens.ts:10-12\n```typescript\nexport class Tokens {\ncount(text: string): number {\n  return encode(text).length;\n}\n```');
  });

  it('uses a fence longer than any backtick run in the text', () => {
    const rendered = renderSource({ ...SOURCES[0], text: 'Example:\n```sh\nnpm test\n```' });
    assert.match(rendered, /^\[1\] docs\/setup.md:3-6\n````markdown\n/);
    assert.match(rendered, /\n````$/);
  });

  it('puts the instructions and the sources first (for the prompt cache), then the turns, then the question', () => {
    const history = [
      { role: 'user' as const, content: 'What is the chunk size?' },
      { role: 'assistant' as const, content: '384 tokens [1].' },
    ];
    const messages = buildMessages({ question: QUESTION, sources: SOURCES, history });
    assert.deepEqual(
      messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
    );
    const system = messages[0].content;
    assert.ok(system.startsWith(`${SYSTEM_PROMPT}\n\nSources:\n\n[1] docs/setup.md:3-6\n`));
    assert.ok(system.indexOf('[2] src/core/tokens.ts:10-12') > system.indexOf('[1] docs/setup.md'));
    assert.equal(messages[3].content, `Question: ${QUESTION}`);
    assert.equal(buildMessages({ question: QUESTION, sources: [] })[0].content, SYSTEM_PROMPT);
  });

  it('keeps the system prompt short and about sources, citations and missing answers', () => {
    assert.ok(countTokens(SYSTEM_PROMPT) < 80, `${countTokens(SYSTEM_PROMPT)} tokens`);
    assert.match(SYSTEM_PROMPT, /only the numbered sources/);
    assert.match(SYSTEM_PROMPT, /\[1\]/);
    assert.match(SYSTEM_PROMPT, /do not contain the answer/);
  });

  it('accounts for every prompt token: overhead plus each source', () => {
    const history = [
      { role: 'user' as const, content: 'Where is the index created?' },
      { role: 'assistant' as const, content: 'In store.ts [3].' },
    ];
    const total = promptTokens(buildMessages({ question: QUESTION, sources: SOURCES, history }));
    // Counted apart, the pieces may differ from the whole by a token where BPE merges across a joint; the packer keeps a 5% margin.
    assert.ok(Math.abs(promptOverheadTokens(QUESTION, history) + SOURCES.reduce((s, x) => s + sourceTokens(x), 0) - total) <= 2);
    assert.ok(promptOverheadTokens(QUESTION, history) > promptOverheadTokens(QUESTION));
    assert.ok(sourceTokens(SOURCES[0]) > countTokens(SOURCES[0].text));
  });
});

describe('ChatClient', function () {
  this.timeout(15_000);
  let server: ChatServer;
  const start = async (opts: ChatServerOptions = {}) => {
    server = await startChatServer(opts);
  };
  afterEach(async () => server?.close());

  const client = (over: Partial<ChatConfig> & { endpoint: string }) => new ChatClient({ ...chatSchema.parse({ endpoint: over.endpoint }), ...over });
  const messages = () => buildMessages({ question: QUESTION, sources: SOURCES });
  const collect = async (events: AsyncIterable<ChatEvent>) => {
    let text = '';
    const deltas: string[] = [];
    const usage: Array<{ promptTokens: number; completionTokens: number }> = [];
    for await (const e of events) {
      if (e.type === 'delta') {
        text += e.text;
        deltas.push(e.text);
      } else if (e.type === 'usage') usage.push({ promptTokens: e.promptTokens, completionTokens: e.completionTokens });
    }
    return { text, deltas, usage };
  };
  const failure = async (events: AsyncIterable<ChatEvent>) => {
    const seen: string[] = [];
    try {
      for await (const e of events) if (e.type === 'delta') seen.push(e.text);
    } catch (e) {
      assert.ok(e instanceof ChatError, `expected a ChatError, got ${String(e)}`);
      return { error: e, seen: seen.join('') };
    }
    return assert.fail('expected the stream to fail');
  };

  it('streams from the Azure AI Foundry shape with api-key auth, api-version and usage', async () => {
    await start({ apiKey: 'foundry-key', apiVersion: '2024-05-01-preview', requireModel: DEFAULT_MODEL });
    const c = client({ endpoint: server.azureEndpoint, apiKey: 'foundry-key', authStyle: 'api-key', apiVersion: '2024-05-01-preview' });
    const { text, usage } = await collect(c.stream(messages(), { maxTokens: 200 }));
    assert.equal(text, 'According to docs/setup.md, The password needs at least 8 characters [1].');
    const [req] = server.requests;
    assert.equal(req.path, '/models/chat/completions');
    assert.equal(req.query['api-version'], '2024-05-01-preview');
    assert.equal(req.headers['api-key'], 'foundry-key');
    assert.equal(req.headers.authorization, undefined, 'no placeholder Bearer next to api-key');
    const body = req.body as Record<string, unknown>;
    assert.equal(body.model, DEFAULT_MODEL);
    assert.equal(body.max_tokens, 200);
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.deepEqual(body.messages, messages());
    assert.equal(usage.length, 1);
    assert.equal(usage[0].completionTokens, countTokens(text));
    assert.equal(usage[0].promptTokens, messages().reduce((s, m) => s + countTokens(m.content), 0));
  });

  it('uses Authorization: Bearer for bearer auth and sends the configured model', async () => {
    await start({ apiKey: 'bearer-key', requireModel: 'BitNet-2B' });
    const c = client({ endpoint: server.azureEndpoint, apiKey: 'bearer-key', authStyle: 'bearer', model: 'BitNet-2B' });
    const { text } = await collect(c.stream(messages()));
    assert.match(text, /\[1\]\.$/);
    const [req] = server.requests;
    assert.equal(req.headers.authorization, 'Bearer bearer-key');
    assert.equal(req.headers['api-key'], undefined);
    assert.equal(req.query['api-version'], undefined);
    assert.equal((req.body as { max_tokens: number }).max_tokens, 512, 'maxAnswerTokens by default');
  });

  it('streams from the llama.cpp shape without any credentials', async () => {
    await start();
    const { text, usage } = await collect(client({ endpoint: server.llamaEndpoint }).stream(messages()));
    assert.match(text, /^According to docs\/setup.md, .* \[1\]\.$/);
    assert.equal(usage.length, 1);
    const [req] = server.requests;
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, undefined);
    assert.equal(req.headers['api-key'], undefined);
  });

  it('asks for the answer reserve as max_tokens, and takes an answer the server ended at that limit as finished', async () => {
    await start();
    const { text, usage } = await collect(client({ endpoint: server.llamaEndpoint }).stream(messages(), { maxTokens: 4 }));
    const sent = server.requests.at(-1)?.body as { max_tokens?: unknown } | undefined;
    assert.equal(sent?.max_tokens, 4, 'the client sent the reserve');
    // The stream ended with finish_reason "length": the client ends without a cut-off error and keeps what came.
    assert.ok(text.length > 0);
    assert.equal(usage.at(-1)?.completionTokens, countTokens(text));
  });

  it('reports a rejected key as auth without revealing it', async () => {
    await start({ apiKey: 'right-key' });
    const { error } = await failure(client({ endpoint: server.azureEndpoint, apiKey: 'wrong-secret-key', authStyle: 'api-key' }).stream(messages()));
    assert.equal(error.kind, 'auth');
    assert.equal(error.details.status, 401);
    assert.ok(!error.message.includes('wrong-secret-key'));
  });

  it('reports 429 as throttled with the server wait, and 500 as http', async () => {
    await start({ fault: { kind: 'throttle', retryAfterSeconds: 7, times: 1 } });
    const c = client({ endpoint: server.llamaEndpoint });
    const throttled = (await failure(c.stream(messages()))).error;
    assert.equal(throttled.kind, 'throttled');
    assert.equal(throttled.details.retryAfterMs, 7000);
    assert.equal(server.requests.length, 1, 'no hidden retry');
    server.setFault({ kind: 'server-error' });
    const http = (await failure(c.stream(messages()))).error;
    assert.equal(http.kind, 'http');
    assert.equal(http.details.status, 500);
  });

  it('takes the wait of a 429 from retry-after-ms before retry-after, like the embeddings client', async () => {
    await start({ fault: { kind: 'throttle', retryAfterMs: 250, retryAfterSeconds: 7, times: 1 } });
    const throttled = (await failure(client({ endpoint: server.llamaEndpoint }).stream(messages()))).error;
    assert.equal(throttled.kind, 'throttled');
    assert.equal(throttled.details.retryAfterMs, 250);
  });

  it('reports a stream cut off mid-way as cut-off, keeping the partial text', async () => {
    for (const graceful of [false, true]) {
      await start({ fault: { kind: 'cut-off', afterChunks: 3, graceful } });
      const { error, seen } = await failure(client({ endpoint: server.azureEndpoint }).stream(messages()));
      assert.equal(error.kind, 'cut-off', `graceful=${graceful}`);
      assert.equal(seen, 'According to docs/setup.md, ');
      assert.equal(error.details.partialText, seen);
      await server.close();
    }
  });

  it('reports an event that is not JSON as malformed-stream', async () => {
    await start({ fault: { kind: 'malformed', afterChunks: 2 } });
    const { error, seen } = await failure(client({ endpoint: server.llamaEndpoint }).stream(messages()));
    assert.equal(error.kind, 'malformed-stream');
    assert.equal(error.details.partialText, seen);
    assert.equal(seen, 'According to ');
  });

  it('reports an error event in the stream with its message', async () => {
    await start({ fault: { kind: 'error-event', afterChunks: 1, message: 'out of memory' } });
    const { error } = await failure(client({ endpoint: server.llamaEndpoint }).stream(messages()));
    assert.equal(error.kind, 'http');
    assert.match(error.message, /out of memory/);
    assert.equal(error.details.partialText, 'According ');
  });

  it('times out an endpoint that never answers, and one whose first token is too slow', async () => {
    await start({ fault: { kind: 'hang' } });
    const c = client({ endpoint: server.llamaEndpoint, timeoutMs: 300 });
    assert.equal((await failure(c.stream(messages()))).error.kind, 'timeout');
    server.setFault({ kind: 'slow-first-token', delayMs: 3_000 });
    assert.equal((await failure(client({ endpoint: server.azureEndpoint, timeoutMs: 300 }).stream(messages()))).error.kind, 'timeout');
  });

  it('waits for a slow first token within the timeout', async () => {
    await start({ fault: { kind: 'slow-first-token', delayMs: 300 } });
    const { text } = await collect(client({ endpoint: server.azureEndpoint, timeoutMs: 2_000 }).stream(messages()));
    assert.match(text, /\[1\]\.$/);
  });

  it('cancels mid-answer and before sending', async () => {
    await start({ behaviour: { chunkDelayMs: 50 } });
    const ac = new AbortController();
    const stream = client({ endpoint: server.llamaEndpoint }).stream(messages(), { signal: ac.signal });
    const seen: string[] = [];
    const error = await (async () => {
      try {
        for await (const e of stream) {
          if (e.type === 'delta') seen.push(e.text);
          if (seen.length === 2) ac.abort();
        }
      } catch (e) {
        return e;
      }
    })();
    assert.ok(error instanceof ChatError);
    assert.equal(error.kind, 'cancelled');
    assert.equal(error.details.partialText, seen.join(''));
    const before = server.requests.length;
    const pre = await failure(client({ endpoint: server.llamaEndpoint }).stream(messages(), { signal: AbortSignal.abort() }));
    assert.equal(pre.error.kind, 'cancelled');
    assert.equal(server.requests.length, before);
  });

  it('feeds the citation parser: split markers joined, a nonexistent source dropped', async () => {
    await start({ behaviour: { splitCitations: true, citeMissing: 9 } });
    const parser = new CitationParser(SOURCES);
    let text = '';
    const deltas: string[] = [];
    for await (const e of client({ endpoint: server.azureEndpoint }).stream(messages())) {
      if (e.type !== 'delta') continue;
      deltas.push(e.text);
      text += parser.push(e.text);
    }
    text += parser.end();
    assert.ok(deltas.includes('['), 'the server really split the markers');
    assert.equal(text, 'According to docs/setup.md, The password needs at least 8 characters [1]. See also.');
    assert.deepEqual(parser.cited, [1]);
    assert.equal(parser.droppedCitations, 1);
  });
});

describe('CitationParser', () => {
  const parse = (pieces: string[], sources = 3) => {
    const p = new CitationParser(sources);
    const text = pieces.map((x) => p.push(x)).join('') + p.end();
    return { text, cited: p.cited, dropped: p.droppedCitations };
  };
  const whole = (text: string, sources = 3) => parse([text], sources);
  const charByChar = (text: string, sources = 3) => parse([...text], sources);

  it('finds [n], [n, m] and [n][m] in order of first use', () => {
    assert.deepEqual(whole('A [2]. B [1, 3]. C [3][1].'), { text: 'A [2]. B [1, 3]. C [3][1].', cited: [2, 1, 3], dropped: 0 });
  });

  it('handles markers split across deltas', () => {
    assert.deepEqual(parse(['It is set in setup [', '1', '] and ', '[2', ',', ' 3]', '.']), {
      text: 'It is set in setup [1] and [2, 3].',
      cited: [1, 2, 3],
      dropped: 0,
    });
  });

  it('drops citations of nonexistent sources with the blank before them', () => {
    assert.deepEqual(whole('Yes [9]. Also [1, 7] here [0].'), { text: 'Yes. Also [1] here.', cited: [1], dropped: 3 });
  });

  it('leaves links, non-numeric brackets and code alone', () => {
    const text = 'See [the docs](https://x.test) and [1](https://y.test), tick [x], `a[5]`, then:\n```ts\nconst b = c[7] + [8];\n```\nDone [2].';
    assert.deepEqual(whole(text), { text, cited: [2], dropped: 0 });
  });

  it('treats a stray backtick as a character, so citations after it still count', () => {
    const text = 'The PEBBLE_PORT` variable sets the port [1].\nA `code [9]` span [2].\nNext line [3].';
    for (const run of [whole, charByChar]) assert.deepEqual(run(text), { text, cited: [1, 2, 3], dropped: 0 });
  });

  it('reads a bracket glued to an identifier as indexing unless it names a real source', () => {
    assert.deepEqual(whole('items[0] and rows[i][4] stay; the setting[2] is cited.'), {
      text: 'items[0] and rows[i][4] stay; the setting[2] is cited.',
      cited: [2],
      dropped: 0,
    });
  });

  it('gives the same result however the text is split', () => {
    for (const text of [
      'A [1]. B [9] c [2][3] `x[9]` [y](z) tail [',
      'Use `config[1]` and ```\n[2]\n``` then [3].',
      'Ends with blanks [1]   ',
      'Unclosed [12',
    ]) {
      assert.deepEqual(charByChar(text), whole(text), JSON.stringify(text));
    }
  });

  it('flushes held-back text at the end', () => {
    assert.deepEqual(parse(['Unclosed [1', ' ']), { text: 'Unclosed [1 ', cited: [], dropped: 0 });
    assert.deepEqual(parse(['trailing [2]']), { text: 'trailing [2]', cited: [2], dropped: 0 });
  });

  it('takes the valid numbers from the sources themselves', () => {
    const p = new CitationParser([{ n: 4 }, { n: 5 }]);
    assert.equal(p.push('x [4] y [1].') + p.end(), 'x [4] y.');
    assert.deepEqual(p.cited, [4]);
    assert.equal(p.dropped, 1);
  });
});
