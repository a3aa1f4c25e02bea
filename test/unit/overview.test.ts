import { strict as assert } from 'node:assert';
import type { FileState } from '../../src/core/ports';
import { workspaceOverview } from '../../src/core/overview';
import { MemorySearchIndex } from '../fakes/memorySearchIndex';

const WS = 'ws';
const state: FileState = { fileHash: 'h', size: 1, mtimeMs: 1, chunkerKey: 'k' };

/** The ports an overview reads: the files the index holds, and its search legs. */
function ports(index: MemorySearchIndex, paths: string[]) {
  return {
    fileStates: async () => new Map(paths.map((p) => [p, state])),
    fulltextSearch: index.fulltextSearch.bind(index),
    symbolDefinitions: index.symbolDefinitions.bind(index),
  };
}

describe('the workspace overview (what first questions are made of)', () => {
  it('reads the root README: its title, its headings in order, and the names it mentions that the code defines', async () => {
    const index = new MemorySearchIndex();
    index.addFile(WS, [
      { path: 'README.md', startLine: 1, headingPath: 'Pebble', text: '# Pebble\n\nA store; see `Store.open()` and `pebblectl`.' },
      { path: 'README.md', startLine: 5, headingPath: 'Pebble > Quick start', text: '## Quick start\n\nRun `snapshotNow` now.' },
      { path: 'README.md', startLine: 9, headingPath: 'Pebble > License', text: '## License' },
    ]);
    index.addFile(WS, [{ path: 'src/store.ts', startLine: 1, symbol: 'Store.open', defines: ['Store.open', 'open'], text: 'open() {}' }]);
    index.addFile(WS, [{ path: 'src/snapshot.ts', startLine: 1, symbol: 'snapshotNow', defines: ['snapshotNow'], text: 'export function snapshotNow() {}' }]);
    index.addFile(WS, [{ path: 'docs/README.md', startLine: 1, headingPath: 'Docs', text: '# Docs' }]);
    const paths = ['README.md', 'docs/README.md', 'docs/a.md', 'docs/b.md', 'src/store.ts', 'src/snapshot.ts', 'src/server.ts', 'tools/x.py', '.github/ci.yml', 'LICENSE'];
    const overview = await workspaceOverview(ports(index, paths), WS);
    assert.deepEqual(overview.readme, { path: 'README.md', title: 'Pebble', headings: ['Quick start', 'License'] });
    assert.deepEqual(overview.folders, [
      { name: 'docs', files: 3 },
      { name: 'src', files: 3 },
      { name: 'tools', files: 1 },
    ]);
    assert.deepEqual(overview.symbols, [
      { name: 'Store.open', path: 'src/store.ts' },
      { name: 'snapshotNow', path: 'src/snapshot.ts' },
    ]);
  });

  it('falls back to the code that mentions the project when the README names nothing defined, and copes without a README', async () => {
    const index = new MemorySearchIndex();
    index.addFile(WS, [{ path: 'README.md', startLine: 1, headingPath: 'Quartz', text: '# Quartz\n\nA lantern.' }]);
    index.addFile(WS, [{ path: 'src/quartz.ts', startLine: 1, symbol: 'QuartzLantern', defines: ['QuartzLantern'], text: 'class QuartzLantern {} // quartz' }]);
    const overview = await workspaceOverview(ports(index, ['README.md', 'src/quartz.ts']), WS);
    assert.deepEqual(overview.symbols, [{ name: 'QuartzLantern', path: 'src/quartz.ts' }]);

    const bare = await workspaceOverview(ports(new MemorySearchIndex(), ['a.txt', 'lib/b.js']), WS);
    assert.deepEqual(bare, { folders: [{ name: 'lib', files: 1 }], symbols: [] });
  });
});
