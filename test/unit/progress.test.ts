// While the embeddings endpoint throttles, both hosts' progress says so and for how long.
import '../shim/register';
import { strict as assert } from 'node:assert';
import type { EngineConfig } from '../../src/core/config';
import { throttleNote, type IndexProgress } from '../../src/core/indexer';
import { ProgressBar } from '../../src/cli/format';
import { progressMessage } from '../../src/extension/indexing';

const progress = (p: Partial<IndexProgress>): IndexProgress => ({ phase: 'indexing', filesTotal: 10, filesDone: 3, chunksDone: 12, tokens: 500, ...p });

/** A stream that keeps what is written to it. */
function stream(isTTY: boolean): { out: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const out = { isTTY, write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WriteStream;
  return { out, written };
}

describe('progress while throttled', () => {
  it('says how long, in whole seconds rounded up, and nothing when not throttled', () => {
    assert.equal(throttleNote(progress({ throttledMs: 11_200 })), 'throttled by Azure OpenAI: waiting 12 s');
    assert.equal(throttleNote(progress({ throttledMs: 40 })), 'throttled by Azure OpenAI: waiting 1 s');
    assert.equal(throttleNote(progress({})), undefined);
  });

  it('the CLI progress bar shows the wait on a terminal', () => {
    const { out, written } = stream(true);
    const bar = new ProgressBar(out);
    bar.update(progress({ throttledMs: 12_000 }));
    assert.match(written.at(-1)!, /30% indexing files 3\/10 chunks 12 tokens 500 — throttled by Azure OpenAI: waiting 12 s\x1b\[K$/);
    bar.update(progress({ filesDone: 4 }));
    assert.doesNotMatch(written.at(-1)!, /throttled/);
  });

  it('the CLI prints the wait at once in a log, between its periodic lines', () => {
    const { out, written } = stream(false);
    const bar = new ProgressBar(out);
    bar.update(progress({}));
    bar.update(progress({ filesDone: 4 })); // within 2 s of the last line: not printed
    bar.update(progress({ filesDone: 4, throttledMs: 30_000 }));
    assert.equal(written.length, 2);
    assert.match(written[0], /^indexing files 3\/10 chunks 12 tokens 500( ETA \d+s)?\n$/);
    assert.equal(written[1], 'indexing files 4/10 chunks 12 tokens 500 — throttled by Azure OpenAI: waiting 30 s\n');
  });

  it("the extension's notification leads with the wait", () => {
    const config = { embedding: { pricePerMillionTokens: 0.02 } } as EngineConfig;
    assert.equal(
      progressMessage(progress({ tokens: 500_000, throttledMs: 12_000 }), config),
      'throttled by Azure OpenAI: waiting 12 s · 3/10 files · 12 chunks · 500000 tokens · ~$0.01',
    );
    assert.equal(progressMessage(progress({ tokens: 500_000 }), config), '3/10 files · 12 chunks · 500000 tokens · ~$0.01');
  });
});
