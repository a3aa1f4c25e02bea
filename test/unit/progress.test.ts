// While the embeddings endpoint throttles, both hosts' progress says so and for how long.
import '../shim/register';
import { strict as assert } from 'node:assert';
import type { EngineConfig } from '../../src/core/config';
import { etaNote, paceNote, throttleNote, type IndexProgress } from '../../src/core/indexer';
import { ProgressBar } from '../../src/cli/format';
import { indexingState, progressMessage } from '../../src/extension/indexing';
import { presentState } from '../../src/extension/statusBar';

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

describe('progress while embedding at the quota', () => {
  const pacing = (over: Partial<NonNullable<IndexProgress['embedding']>> = {}) =>
    progress({ embedding: { tokensPerMinute: 812_345, quotaTokensPerMinute: 1_000_000, tokensLeft: 2_400_000, etaMs: 170_000, share: 0.42, ...over } });

  it('says tokens per minute against the quota, and what is left at that pace', () => {
    assert.equal(paceNote(pacing()), 'embedding 812k tokens/min of the 1M quota, about 3 min left');
    assert.equal(etaNote(pacing()), 'about 3 min left');
    assert.equal(paceNote(pacing({ quotaTokensPerMinute: undefined, etaMs: 40_200 })), 'embedding 812k tokens/min, about 41 s left');
    assert.equal(paceNote(pacing({ tokensLeft: 0 })), 'embedding 812k tokens/min of the 1M quota', 'nothing left: no ETA');
    assert.equal(etaNote(pacing({ etaMs: undefined })), undefined, 'no pace yet: no ETA');
    assert.equal(paceNote(pacing({ etaMs: 2 * 3600_000 + 5 * 60_000 })), 'embedding 812k tokens/min of the 1M quota, about 2 h 5 min left');
    assert.equal(paceNote(progress({})), undefined);
  });

  it('the CLI progress bar gives the pace instead of the files-read ETA', () => {
    const { out, written } = stream(true);
    new ProgressBar(out).update(pacing());
    assert.match(written.at(-1)!, /30% indexing files 3\/10 chunks 12 tokens 500 — embedding 812k tokens\/min of the 1M quota, about 3 min left\x1b\[K$/);
  });

  it("the extension's notification adds the pace, and a 429's wait still comes first", () => {
    const config = { embedding: { pricePerMillionTokens: 0.02 } } as EngineConfig;
    assert.equal(progressMessage(pacing(), config), '3/10 files · 12 chunks · 500 tokens · ~$0.0000 · embedding 812k tokens/min of the 1M quota, about 3 min left');
    assert.match(progressMessage({ ...pacing(), throttledMs: 2000 }, config), /^throttled by Azure OpenAI: waiting 2 s · 3\/10 files/);
  });

  it('once every file is written, says the share embedded with the pace, in the CLI, the notification and the status bar', () => {
    const embedding = { ...pacing(), phase: 'embedding' as const, filesDone: 10 };
    assert.equal(paceNote(embedding), 'embedding 42% at 812k tokens/min of the 1M quota, about 3 min left');
    assert.equal(paceNote({ ...embedding, embedding: { ...embedding.embedding!, share: 0.999 } })?.slice(0, 13), 'embedding 99%', 'never 100% before the end');
    const { out, written } = stream(true);
    new ProgressBar(out).update(embedding);
    assert.match(written.at(-1)!, /^\r\[#{10}-{14}\] 42% embedding files 10\/10 chunks 12 tokens 500 — embedding 42% at 812k tokens\/min/, 'the bar is the share embedded');
    const config = { embedding: { pricePerMillionTokens: 0.02 } } as EngineConfig;
    assert.match(progressMessage(embedding, config), /^10\/10 files · 12 chunks · 500 tokens · ~\$0\.0000 · embedding 42% at 812k/);
    const shown = presentState(indexingState(embedding));
    assert.equal(shown.text, '$(sync~spin) RAG: embedding 42% (about 3 min left)');
    assert.match(shown.tooltip, /^Workspace RAG: every file is indexed and searchable by keywords; embeddings fill in behind, newest-edited files first \(embedding 42% at 812k/);
    assert.equal(presentState({ kind: 'partly-embedded', percent: 42 }).text, '$(database) RAG: embedded 42%');
  });

  it('the status bar shows what is left, and the pace in its tooltip', () => {
    const shown = presentState(indexingState(pacing()));
    assert.equal(shown.text, '$(sync~spin) RAG: indexing 30% (about 3 min left)');
    assert.equal(shown.tooltip, 'Workspace RAG: indexing the workspace, embedding 812k tokens/min of the 1M quota, about 3 min left');
    assert.equal(presentState(indexingState(progress({}))).text, '$(sync~spin) RAG: indexing 30%');
  });
});
