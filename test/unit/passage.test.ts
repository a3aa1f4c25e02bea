// Which lines of an oversized source the prompt sends: the window with the question's rarest terms, exact ranges.
import assert from 'node:assert/strict';
import { sourceTokens, type PromptSource } from '../../src/core/generate';
import { passageOf } from '../../src/core/generate/passage';
import { lineTerms, questionWords, termWeights } from '../../src/core/words';

const filler = (i: number) => `line ${i}: the server keeps going about routes and plugins and other things`;

function source(lines: string[], extra: Partial<PromptSource> = {}): PromptSource {
  return { n: 1, path: 'docs/Hooks.md', language: 'markdown', startLine: 101, endLine: 100 + lines.length, text: lines.join('\n'), ...extra };
}

const weightsFor = (question: string, s: PromptSource) => termWeights(question, s.text.split('\n'));
const isSlice = (p: PromptSource, s: PromptSource) => assert.equal(p.text, s.text.split('\n').slice(p.startLine - s.startLine, p.endLine - s.startLine + 1).join('\n'));

describe('passageOf', () => {
  const lines = Array.from({ length: 200 }, (_, i) => filler(i + 1));
  lines[149] = 'Use the onClose hook to close database connections when the server stops:';
  lines[150] = "fastify.addHook('onClose', async () => { await db.end() })";
  const question = 'Where do I close the database connection when the server stops?';

  it('keeps the best hit when it fits and grows around it, whatever the question words elsewhere', () => {
    const s = source(lines, { focus: { startLine: 121, endLine: 124 } });
    const p = passageOf(s, 200, weightsFor(question, s))!;
    assert.ok(sourceTokens(p) <= 200, `${sourceTokens(p)} tokens`);
    assert.ok(p.startLine <= 121 && p.endLine >= 124, `${p.startLine}-${p.endLine}`);
    assert.ok(p.endLine - p.startLine > 4, 'grown around the hit to the room given');
    isSlice(p, s);
    assert.equal(p.header, undefined, 'a header above a cut would not be a line of the passage');
  });

  it('cuts a best hit too long for the room to its window holding the question terms, not its beginning', () => {
    const s = source(lines, { focus: { startLine: 221, endLine: 270 } });
    const p = passageOf(s, 200, weightsFor(question, s))!;
    assert.ok(sourceTokens(p) <= 200, `${sourceTokens(p)} tokens`);
    assert.ok(p.startLine <= 250 && p.endLine >= 251, `${p.startLine}-${p.endLine}`);
    assert.ok(p.startLine >= 221 && p.endLine <= 270, 'inside the best hit');
    isSlice(p, s);
  });

  it('keeps a source that fits whole, gives nothing when not one line fits, and never cuts a part of a long line', () => {
    const s = source(lines, { focus: { startLine: 101, endLine: 140 } });
    const weights = weightsFor('database', s);
    assert.equal(passageOf(s, 100_000, weights), s);
    assert.equal(passageOf(s, 5, weights), undefined);
    assert.equal(passageOf({ ...s, column: 4000 }, 200, weights), undefined);
  });

  it('starts a long best hit at its beginning when no line shares a term with the question', () => {
    const s = source(lines, { focus: { startLine: 101, endLine: 140 } });
    const p = passageOf(s, 150, weightsFor('zebra quantum', s))!;
    assert.equal(p.startLine, 101);
  });

  it('prefers a window covering more of the terms over one that repeats a single term', () => {
    const text = Array.from({ length: 120 }, (_, i) => filler(i));
    for (let i = 10; i < 16; i++) text[i] = 'serializer serializer serializer';
    text[90] = 'the reply serializer';
    text[91] = 'is compiled from the response schema';
    const s = source(text);
    const p = passageOf(s, 60, weightsFor('How is the response schema serializer compiled?', s))!;
    assert.ok(p.startLine <= 191 && p.endLine >= 192, `${p.startLine}-${p.endLine}`);
  });

  it('drops blank lines at the edges of a passage', () => {
    const text = Array.from({ length: 80 }, (_, i) => (i % 2 ? '' : filler(i)));
    text[40] = 'the answer lies in the password setting';
    const s = source(text);
    const p = passageOf(s, 80, weightsFor('password setting', s))!;
    assert.notEqual(p.text.split('\n')[0].trim(), '');
    assert.notEqual(p.text.split('\n').at(-1)!.trim(), '');
  });
});

describe('question terms', () => {
  it('split identifiers, drop stop words and meet across suffixes', () => {
    assert.deepEqual([...lineTerms('How do closeDatabaseConnections and on_close routes work?')].sort(), ['clos', 'connection', 'databas', 'rout', 'work'].sort());
    assert.deepEqual([...lineTerms('routing')], [...lineTerms('routes')]);
  });

  it('weigh a term on every line below a rare one', () => {
    const w = termWeights('fastify password', ['fastify one', 'fastify two', 'fastify password', 'fastify three']);
    assert.ok(w.get('password')! > w.get('fastify')!);
  });
});

describe('questionWords', () => {
  it('keeps the words as written with the terms that match them, without stop words or short pieces', () => {
    assert.deepEqual(questionWords('How do I serve gRPC, (QUIC) and HTTP/3 routes?'), [
      { word: 'serve', terms: ['serv'] },
      { word: 'gRPC', terms: ['rpc'] },
      { word: 'QUIC', terms: ['quic'] },
      { word: 'HTTP/3', terms: ['http'] },
      { word: 'routes', terms: ['rout'] },
    ]);
    assert.deepEqual(questionWords('the of and'), []);
  });
});
