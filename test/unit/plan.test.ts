import { strict as assert } from 'node:assert';
import { plan } from '../../src/core/indexer/plan';
import type { FileState } from '../../src/core/ports';
import type { DiscoveredFile, SkippedFile } from '../../src/core/types';

const file = (path: string, size = 10, mtimeMs = 100): DiscoveredFile => ({ root: '/w', absPath: `/w/${path}`, path, size, mtimeMs });
const state = (size = 10, mtimeMs = 100, chunkerKey = 'k1', fileHash = `hash`): FileState => ({ fileHash, size, mtimeMs, chunkerKey });
const paths = (p: ReturnType<typeof plan>) => p.read.map((r) => r.file.path).sort();

describe('plan: what an indexing run reads, reuses and removes', () => {
  const stored = new Map<string, FileState>([
    ['same.md', state()],
    ['edited.md', state(11)],
    ['touched.md', state(10, 99, 'k1', 'h-touched')],
    ['deleted.md', state()],
  ]);
  const discovered = { files: [file('same.md'), file('edited.md'), file('touched.md'), file('new.md')], skipped: [] as SkippedFile[] };

  it('reads new files and files whose size or mtime changed, and removes what is gone', () => {
    const p = plan(discovered, stored, 'k1', false);
    assert.deepEqual(paths(p), ['edited.md', 'new.md', 'touched.md']);
    assert.equal(p.unchanged, 1);
    assert.deepEqual(p.remove, ['deleted.md']);
  });

  it('offers the stored hash, so content that did not change is only touched, never re-chunked', () => {
    const p = plan(discovered, stored, 'k1', false);
    const byPath = new Map(p.read.map((r) => [r.file.path, r.reusableHash]));
    assert.equal(byPath.get('touched.md'), 'h-touched');
    assert.equal(byPath.get('edited.md'), 'hash');
    assert.equal(byPath.get('new.md'), undefined);
  });

  it('re-chunks every file when the chunking settings or the model changed', () => {
    const p = plan(discovered, stored, 'k2', false);
    assert.deepEqual(paths(p), ['edited.md', 'new.md', 'same.md', 'touched.md']);
    assert.ok(p.read.every((r) => r.reusableHash === undefined));
    assert.equal(p.unchanged, 0);
  });

  it('re-reads and re-chunks every file with force, and still removes what is gone', () => {
    const p = plan(discovered, stored, 'k1', true);
    assert.equal(p.read.length, 4);
    assert.ok(p.read.every((r) => r.reusableHash === undefined));
    assert.deepEqual(p.remove, ['deleted.md']);
  });

  it('removes a stored file that is now skipped for good, and keeps one that could not be read this time', () => {
    const skipped: SkippedFile[] = [
      { path: 'same.md', reason: 'too-large' },
      { path: 'docs/', reason: 'unreadable' },
    ];
    const withDocs = new Map([...stored, ['docs/a.md', state()], ['docs/b.md', state()]]);
    const p = plan({ files: discovered.files.filter((f) => f.path !== 'same.md'), skipped }, withDocs, 'k1', false);
    assert.deepEqual(p.remove.sort(), ['deleted.md', 'same.md']);
  });

  it('keeps everything when the root itself could not be read', () => {
    const p = plan({ files: [], skipped: [{ path: './', reason: 'unreadable' }] }, stored, 'k1', false);
    assert.deepEqual(p.remove, []);
    assert.deepEqual(p.read, []);
  });
});
