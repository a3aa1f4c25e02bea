import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { createHarness, done, source, type Harness } from './harness';

describe('chat webview: long paths', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  it('shows the file name and lines whole, apart from the folder part that gives way; the preview shows the whole path', async () => {
    h = await createHarness();
    const long = 'packages/server/src/storage/snapshots/retention/policies/ring-buffer.ts';
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1, { path: long, startLine: 120, endLine: 164 }), source(2, { path: 'README.md', startLine: 1, endLine: 1 })] });
    h.host({ type: 'delta', id: 'turn-1', text: 'See [1] and [2].' });
    h.host(done('turn-1', { cited: [1, 2] }));
    const [first, second] = h.$$('.turn-sources .source-path');
    assert.equal(first.querySelector('.source-dir')?.textContent, 'packages/server/src/storage/snapshots/retention/policies/');
    assert.equal(first.querySelector('.source-file')?.textContent, 'ring-buffer.ts:120–164');
    assert.equal(first.textContent, `${long}:120–164`, 'read as one path');
    assert.equal(second.querySelector('.source-dir'), null, 'a file at the root has no folder part');
    assert.equal(second.querySelector('.source-file')?.textContent, 'README.md:1');
    first.closest('button')!.dispatchEvent(new h.window.MouseEvent('mouseover', { bubbles: true }) as unknown as Event);
    assert.equal(h.$('.preview .preview-path').textContent, long);
  });
});
