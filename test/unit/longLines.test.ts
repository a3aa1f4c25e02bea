import { strict as assert } from 'node:assert';
import { chunkFile } from '../../src/core/chunk';
import { mergeRanges } from '../../src/core/retrieve';
import type { Hit } from '../../src/core/types';

describe('lines longer than the chunk budget', () => {
  it('a huge single line of prose becomes parts within the budget, each an exact slice of its line', async () => {
    const sentence = 'The quota window resets every minute, and requests past it wait for the next one. ';
    const line = sentence.repeat(2000); // ~170 KB, ~34k tokens, on one line
    const text = `# Notes\n\n${line}\n\nAfter.\n`;
    const { chunks } = await chunkFile('notes.md', text, { maxTokens: 384, overlapLines: 3 });
    const parts = chunks.filter((c) => c.column !== undefined);
    assert.ok(parts.length > 50, `${parts.length} parts`);
    assert.ok(chunks.every((c) => c.tokens <= 384), `largest ${Math.max(...chunks.map((c) => c.tokens))}`);
    assert.ok(parts.every((c) => c.startLine === 3 && c.endLine === 3));
    assert.equal(parts.map((c) => c.text).join(''), line, 'the parts cover the line exactly, in order');
    for (const c of parts) assert.equal(line.slice(c.column, c.column! + c.text.length), c.text);
    assert.ok(parts.slice(0, -1).every((c) => c.text.endsWith(' ')), 'cuts fall after a space where the line has spaces');
  });

  it('cuts a line without spaces too, never between the halves of a surrogate pair', async function () {
    this.timeout(20_000);
    const line = '😀'.repeat(4_000);
    const { chunks } = await chunkFile('emoji.txt', line, { maxTokens: 200, overlapLines: 0 });
    assert.ok(chunks.length > 10 && chunks.every((c) => c.tokens <= 200));
    assert.equal(chunks.map((c) => c.text).join(''), line);
    assert.ok(chunks.every((c) => !/^[\uDC00-\uDFFF]/.test(c.text)));
  });

  it('retrieval merges only contiguous parts of one line, keeping the source an exact slice', () => {
    const hit = (ordinal: number, column: number, text: string, score: number): Hit => ({
      id: `w:a.md#${ordinal}`, path: 'a.md', language: 'markdown', kind: 'section', startLine: 3, endLine: 3, text, column, ordinal, score,
    });
    const c = (h: Hit) => ({ hit: h, score: h.score, via: new Set(['fulltext']) });
    const merged = mergeRanges([c(hit(1, 0, 'aaaa', 0.5)), c(hit(2, 4, 'bbbb', 0.9)), c(hit(4, 12, 'dddd', 0.2))]);
    assert.deepEqual(merged.map((s) => [s.text, s.column]), [['aaaabbbb', 0], ['dddd', 12]]);
  });
});
