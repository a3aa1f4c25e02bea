import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { createHarness, done, source, type Harness } from './harness';

describe('chat webview: mode banners', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const banner = (mode: string) => h.$(`.banner[data-mode="${mode}"]`);
  const state = { type: 'state', keywordOnly: true, retrievalOnly: true, indexed: true } as const;

  it('explains retrieval-only mode once, in its banner, not again in each answer', async () => {
    h = await createHarness();
    h.host(state);
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'Retrieval-only mode: no BitNet endpoint is configured, so these are the most relevant sources rather than a generated answer.\n\n- [1] `src/file1.ts:10-12`' });
    h.host(done('turn-1', { mode: 'retrieval-only', cited: [1], usage: undefined }));
    const text = h.root.textContent ?? '';
    assert.equal(text.match(/no BitNet endpoint is configured/gi)?.length, 1);
    assert.match(banner('retrieval-only').textContent ?? '', /no BitNet endpoint is configured/i);
  });

  it('collapses a mode banner to its title, keeps it collapsed after a reload, and opens it again', async () => {
    h = await createHarness();
    h.host(state);
    const toggle = banner('retrieval-only').querySelector<HTMLElement>('.banner-toggle')!;
    assert.equal(toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(toggle.getAttribute('aria-label'), 'Hide the details of Retrieval-only mode');
    toggle.click();
    assert.equal(banner('retrieval-only').querySelector<HTMLElement>('.banner-body')!.hidden, true);
    assert.equal(banner('retrieval-only').querySelector('strong')?.textContent, 'Retrieval-only mode', 'the title stays');
    assert.equal(banner('retrieval-only').querySelector('.banner-toggle')?.getAttribute('aria-expanded'), 'false');
    assert.equal(h.doc.activeElement, banner('retrieval-only').querySelector('.banner-toggle'), 'the focus stays on the toggle');
    assert.equal(banner('keyword-only').querySelector<HTMLElement>('.banner-body')!.hidden, false, 'each banner on its own');

    const saved = h.saved();
    assert.deepEqual(saved?.collapsedBanners, ['retrieval-only']);
    h.dispose();
    h = await createHarness(saved);
    h.host(state);
    assert.equal(banner('retrieval-only').querySelector<HTMLElement>('.banner-body')!.hidden, true);
    banner('retrieval-only').querySelector<HTMLElement>('.banner-toggle')!.click();
    assert.equal(banner('retrieval-only').querySelector<HTMLElement>('.banner-body')!.hidden, false);
  });

  it('tells the host which banners are collapsed, and shows them as the host keeps them in a view without saved state', async () => {
    h = await createHarness();
    h.host(state);
    banner('keyword-only').querySelector<HTMLElement>('.banner-toggle')!.click();
    assert.deepEqual(h.posted.at(-1), { type: 'collapseBanners', modes: ['keyword-only'] });
    banner('keyword-only').querySelector<HTMLElement>('.banner-toggle')!.click();
    assert.deepEqual(h.posted.at(-1), { type: 'collapseBanners', modes: [] });
    // A chat tab opened anew (after a window reload) restores nothing of its own: the host's state says.
    h.dispose();
    h = await createHarness();
    h.host({ ...state, collapsedBanners: ['retrieval-only'] });
    assert.equal(banner('retrieval-only').querySelector<HTMLElement>('.banner-body')!.hidden, true);
    assert.equal(banner('keyword-only').querySelector<HTMLElement>('.banner-body')!.hidden, false);
    // Opened again here, it stays open: the host's last word is not applied over the user's click.
    banner('retrieval-only').querySelector<HTMLElement>('.banner-toggle')!.click();
    assert.equal(banner('retrieval-only').querySelector<HTMLElement>('.banner-body')!.hidden, false);
    assert.deepEqual(h.posted.at(-1), { type: 'collapseBanners', modes: [] });
  });

  it("offers the setting that turns each mode off: Open Settings on that setting", async () => {
    h = await createHarness();
    h.host(state);
    banner('retrieval-only').querySelector<HTMLElement>('.banner-body button')!.click();
    assert.deepEqual(h.posted.at(-1), { type: 'command', command: 'openSettings', setting: 'workspaceRag.bitnet.endpoint' });
    banner('keyword-only').querySelector<HTMLElement>('.banner-body button')!.click();
    assert.deepEqual(h.posted.at(-1), { type: 'command', command: 'openSettings', setting: 'workspaceRag.azure.endpoint' });
    assert.equal(banner('keyword-only').querySelector('.banner-body button')?.textContent, 'Set Embeddings Endpoint');
  });
});
