import { strict as assert } from 'node:assert';
import { retrievalSchema } from '../../src/core/config';
import type { Embedder } from '../../src/core/embed';
import { fuse, identifiersIn, mergeRanges, pack, QuestionError, Retriever, type Source } from '../../src/core/retrieve';
import { keywordsOf, termsNotMentioned } from '../../src/core/words';
import { sourceTokens, type ChatClient } from '../../src/core/generate';
import { GenerationSession } from '../../src/core/generate/session';
import { PromptSpeed } from '../../src/core/generate/speed';
import { Asker, fitHistory } from '../../src/core/answer';
import type { Hit } from '../../src/core/types';
import { MemorySearchIndex } from '../fakes/memorySearchIndex';

function hit(id: string, path: string, startLine: number, lines: string[], extra: Partial<Hit> = {}): Hit {
  return { id, path, language: 'typescript', kind: 'function', startLine, endLine: startLine + lines.length - 1, text: lines.join('\n'), ordinal: 0, score: 0, ...extra };
}

describe('retrieval helpers', () => {
  it('fuses legs by reciprocal rank: a hit found by both legs beats the top of either', () => {
    const a = hit('a', 'a.ts', 1, ['a']);
    const b = hit('b', 'b.ts', 1, ['b']);
    const c = hit('c', 'c.ts', 1, ['c']);
    const fused = fuse([
      { name: 'vector', hits: [a, c], weight: 1 },
      { name: 'fulltext', hits: [b, c], weight: 1 },
    ]);
    const order = [...fused.values()].sort((x, y) => y.score - x.score).map((x) => x.hit.id);
    assert.deepEqual(order[0], 'c');
    assert.deepEqual([...fused.get('c')!.via].sort(), ['fulltext', 'vector']);
  });

  it('finds code identifiers in a question but not ordinary words', () => {
    const ids = identifiersIn('What does `writeSnapshot` do, and where is PebbleStore.evictIfNeeded called? How does scheduleSnapshots() work with max_memory?');
    for (const name of ['writeSnapshot', 'PebbleStore.evictIfNeeded', 'evictIfNeeded', 'scheduleSnapshots', 'max_memory']) assert.ok(ids.includes(name), name);
    for (const word of ['What', 'does', 'where', 'called']) assert.ok(!ids.includes(word), word);
  });

  it('takes only identifier-shaped code: no capitalised prose words, no backticked prose, no "e.g." or host names', () => {
    const ids = identifiersIn('In TypeScript, what does `reply.hijack()` skip for `server.get<...>()` and `.send`, e.g. with `POST /name:verb` on a.example.com? See `{ foo: 1 }`.');
    assert.deepEqual(ids.sort(), ['get', 'hijack', 'reply.hijack', 'send', 'server.get'].sort());
  });

  it('merges overlapping and touching ranges of one file into one exact source', () => {
    const candidates = [
      { hit: hit('1', 'f.ts', 10, ['l10', 'l11', 'l12']), score: 0.5, via: new Set(['vector']) },
      { hit: hit('2', 'f.ts', 12, ['l12', 'l13']), score: 0.9, via: new Set(['fulltext']) },
      { hit: hit('3', 'f.ts', 14, ['l14']), score: 0.1, via: new Set(['neighbour']) },
      { hit: hit('4', 'f.ts', 30, ['l30']), score: 0.2, via: new Set(['vector']) },
      { hit: hit('5', 'g.ts', 10, ['g10']), score: 0.3, via: new Set(['vector']) },
    ];
    const merged = mergeRanges(candidates);
    assert.equal(merged.length, 3);
    const first = merged[0];
    assert.equal(first.path, 'f.ts');
    assert.equal(first.startLine, 10);
    assert.equal(first.endLine, 14);
    assert.equal(first.text, 'l10\nl11\nl12\nl13\nl14');
    assert.deepEqual(first.via.sort(), ['fulltext', 'neighbour', 'vector']);
    assert.equal(first.score, 0.9, 'a merged run ranks as its best part');
  });

  it('merges consecutive chunks of a file across the blank lines between them, and only those', () => {
    const c = (h: Hit, score: number) => ({ hit: h, score, via: new Set(['fulltext']) });
    const merged = mergeRanges([
      c(hit('a', 'f.md', 10, ['para one', 'end one'], { ordinal: 3 }), 0.9),
      c(hit('b', 'f.md', 14, ['para two'], { ordinal: 4 }), 0.5),
      c(hit('c', 'f.md', 30, ['far away'], { ordinal: 9 }), 0.4),
    ]);
    assert.deepEqual(merged.map((s) => [s.startLine, s.endLine]), [[10, 14], [30, 30]]);
    assert.equal(merged[0].text, 'para one\nend one\n\n\npara two', 'the blank lines between them, at their own line numbers');
  });

  it('packs best-first within the budget, numbers the sources and trims the best one rather than drop it', () => {
    const make = (path: string, lines: number, score: number): Source => ({
      n: 0, path, language: 'text', startLine: 1, endLine: lines, score, via: ['vector'],
      text: Array.from({ length: lines }, (_, i) => `line ${i + 1} of ${path} with some words`).join('\n'),
    });
    const big = make('big.md', 400, 1);
    const small = make('small.md', 3, 0.5);
    const budget = sourceTokens(small) * 10;
    const { sources, usedTokens } = pack([big, small], budget, 8);
    assert.deepEqual(sources.map((s) => [s.n, s.path]), [[1, 'big.md'], [2, 'small.md']]);
    assert.ok(usedTokens <= budget);
    assert.ok(sources[0].endLine < 400 && sources[0].endLine > 1);
    assert.equal(sources[0].text.split('\n').length, sources[0].endLine - sources[0].startLine + 1);
    assert.equal(pack([big, small], budget, 1).sources.length, 1);
  });

  it('keeps the most recent history that fits, never starting with an answer', () => {
    const turns = Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), content: `turn ${i} `.repeat(20) }));
    const kept = fitHistory(turns, 200);
    assert.ok(kept.length > 0 && kept.length < 10);
    assert.equal(kept[0].role, 'user');
    assert.equal(kept[kept.length - 1].content, turns[9].content);
  });
});

describe('keywordsOf', () => {
  it('drops question and function words but keeps code and Lucene-special text', () => {
    assert.equal(keywordsOf('How often does Pebble write snapshots to disk?'), 'often Pebble write snapshots disk?');
    assert.equal(keywordsOf('What is `max_memory` in src/store.ts (line 3)?'), '`max_memory` src/store.ts (line 3)?');
    assert.equal(keywordsOf('what is it?'), 'what is it?');
  });
});

describe('questions the engine refuses', () => {
  const WS = 'ws-q';
  const config = retrievalSchema.parse({});
  /** Every leg and the embedder count their calls; an empty question must reach neither. */
  const setUp = () => {
    const index = new MemorySearchIndex();
    index.addFile(WS, [{ path: 'docs/snapshots.md', startLine: 1, text: 'Snapshots are written to disk every minute.' }]);
    const embedded: string[][] = [];
    const embedder: Pick<Embedder, 'embed'> = {
      embed: async (inputs) => (embedded.push(inputs), { vectors: inputs.map(() => Float32Array.from([1, 0, 0])), tokens: 1, truncated: 0 }),
    };
    return { index, embedded, retriever: new Retriever(index, embedder, config) };
  };
  // A model that says nothing, behind the real generation session (the speed learned in memory only).
  const chat = new GenerationSession({ stream: async function* () {} } as unknown as ChatClient, new PromptSpeed(), 'http://bitnet', 8);
  const refusal = (kind: QuestionError['kind']) => (err: unknown) => {
    assert.ok(err instanceof QuestionError, String(err));
    assert.equal(err.kind, kind);
    return true;
  };

  for (const question of ['', '   ', '\n\t\u00a0', '\u200b\u2060']) {
    it(`an empty question (${JSON.stringify(question)}) is refused before the embedder or any search leg is asked`, async () => {
      const { index, embedded, retriever } = setUp();
      await assert.rejects(retriever.retrieve(WS, question, 3000), refusal('empty'));
      await assert.rejects(new Asker(retriever, chat).ask(WS, question), refusal('empty'));
      await assert.rejects(new Asker(retriever, undefined).ask(WS, question), refusal('empty'));
      assert.deepEqual(index.calls, []);
      assert.deepEqual(embedded, []);
    });
  }

  it('says the question is empty in so many words', async () => {
    await assert.rejects(setUp().retriever.retrieve(WS, ' ', 3000), /The question is empty/);
  });

  it('a question too long for the model context is refused with the numbers, not answered "found nothing"', async () => {
    const { index, embedded, retriever } = setUp();
    const question = 'snapshots '.repeat(4000);
    await assert.rejects(new Asker(retriever, chat, { contextTokens: 4096, maxAnswerTokens: 512 }).ask(WS, question), (err: unknown) => {
      refusal('too-long')(err);
      const e = err as QuestionError;
      assert.match(e.message, /^The question is \d+ tokens, too long for the model's 4096-token context/);
      assert.ok(e.details.questionTokens! >= 4000 && e.details.maxQuestionTokens! > 2000 && e.details.maxQuestionTokens! < 3400, JSON.stringify(e.details));
      return true;
    });
    assert.deepEqual(index.calls, []);
    assert.deepEqual(embedded, []);
  });

  it('retrieval-only still answers a question too long for a prompt, with the sources a short one gets', async () => {
    const { retriever } = setUp();
    const answer = await new Asker(retriever, undefined).ask(WS, `${'snapshots '.repeat(4000)}written disk`);
    assert.equal(answer.mode, 'retrieval-only');
    assert.deepEqual(answer.sources.map((s) => s.path), ['docs/snapshots.md']);
  });

  it('marks a weak match: the words of the question no indexed file mentions, in a retrieval-only text and every answer', async () => {
    const { retriever } = setUp();
    const weak = await new Asker(retriever, undefined).ask(WS, 'Are snapshots written to disk by gRPC?');
    assert.deepEqual(weak.weakMatch, ['gRPC']);
    assert.match(weak.text, /Weak match: no indexed file mentions “gRPC”\./);
    const strong = await new Asker(retriever, undefined).ask(WS, 'Is a snapshot writing to disks?');
    assert.deepEqual(strong.weakMatch, [], 'another form of a word that is there is found');
    assert.doesNotMatch(strong.text, /Weak match/);
    assert.deepEqual((await new Asker(retriever, chat).ask(WS, 'Are snapshots written by gRPC?')).weakMatch, ['gRPC']);
  });

  it('asks the index only about the words no retrieved hit mentions, and not at all when every word is in one', async () => {
    const { retriever, index } = setUp();
    await retriever.retrieve(WS, 'Are snapshots written to disk by gRPC?', 2000);
    assert.deepEqual(index.calls.filter((c) => c.leg === 'absentTerms').map((c) => c.args[1]), [['rpc']], 'gRPC is matched by its part rpc');
    index.calls.length = 0;
    assert.deepEqual((await retriever.retrieve(WS, 'Are snapshots written to disk?', 2000)).weakMatch, []);
    assert.deepEqual(index.calls.filter((c) => c.leg === 'absentTerms'), []);
  });

  it('termsNotMentioned: a term is mentioned by a word of a hit that starts with it, camelCase parts and paths included', () => {
    const hit = { text: 'function writeSnapshotAtomically() {}', path: 'src/contentTypeParser.ts', symbol: 'writeSnapshotAtomically' };
    assert.deepEqual(termsNotMentioned(['snapshot', 'atom', 'parser', 'content', 'grpc', 'rout'], [hit]), ['grpc', 'rout']);
    assert.deepEqual(termsNotMentioned(['grpc'], []), ['grpc']);
  });

  it('a long question drops the history before it leaves no room for sources', async () => {
    const { retriever } = setUp();
    const asker = new Asker(retriever, chat, { contextTokens: 4096, maxAnswerTokens: 512 });
    // 800 tokens of history fit the history's share of the context, but not beside this question and any source.
    const history = Array.from({ length: 8 }, (_, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), content: 'earlier turn '.repeat(48) }));
    const question = `${'snapshots '.repeat(3000)}written`;
    let budget = -1;
    const answer = await asker.ask(WS, question, { history, onSources: (r) => (budget = r.budgetTokens) });
    assert.equal(answer.mode, 'generated');
    assert.ok(budget >= 128, `room left for sources: ${budget}`);
    assert.ok(budget > asker.sourceBudget(question, history), 'not all of the history was kept');
  });
});
