import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { discover } from '../../../src/core/discover';
import { WorkspaceFileSystem } from '../../../src/extension/workspaceFs';

/** workspace.fs's disk provider semantics over node:fs: FileType bits, links reported with their target's type, FileSystemError codes. */
const diskProvider = {
  async readDirectory(uri: vscode.Uri): Promise<Array<[string, vscode.FileType]>> {
    const entries = fs.readdirSync(uri.fsPath, { withFileTypes: true });
    return entries.map((e) => {
      if (!e.isSymbolicLink()) return [e.name, e.isDirectory() ? vscode.FileType.Directory : vscode.FileType.File];
      const target = path.join(uri.fsPath, e.name);
      const type = fs.existsSync(target) ? (fs.statSync(target).isDirectory() ? vscode.FileType.Directory : vscode.FileType.File) : vscode.FileType.Unknown;
      return [e.name, vscode.FileType.SymbolicLink | type];
    });
  },
  async stat(uri: vscode.Uri) {
    const l = fs.lstatSync(uri.fsPath, { throwIfNoEntry: false });
    if (!l) throw vscode.FileSystemError.FileNotFound(uri);
    const link = l.isSymbolicLink() ? vscode.FileType.SymbolicLink : 0;
    const s = fs.statSync(uri.fsPath, { throwIfNoEntry: false });
    // The real provider reports a dangling link as a bare SymbolicLink.
    const type = s ? (s.isDirectory() ? vscode.FileType.Directory : vscode.FileType.File) : vscode.FileType.Unknown;
    return { type: link | type, size: (s ?? l).size, mtime: (s ?? l).mtimeMs, ctime: 0 };
  },
  async readFile(uri: vscode.Uri) {
    if (!fs.existsSync(uri.fsPath)) throw vscode.FileSystemError.FileNotFound(uri);
    return new Uint8Array(fs.readFileSync(uri.fsPath));
  },
};

describe('extension workspace file system', () => {
  let base: string;
  before(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'rag-wsfs-'));
    fs.mkdirSync(path.join(base, 'docs'));
    fs.writeFileSync(path.join(base, 'docs', 'a.md'), '# A\n\ntext\n');
    fs.writeFileSync(path.join(base, 'main.ts'), 'export const x = 1;\n');
    fs.symlinkSync(path.join(base, 'docs'), path.join(base, 'docs-link'));
    fs.symlinkSync(path.join(base, 'gone.md'), path.join(base, 'dangling.md'));
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('reports links as links in listings and stats their targets', async () => {
    const wfs = new WorkspaceFileSystem(diskProvider);
    const entries = Object.fromEntries((await wfs.readDir(base)).map((e) => [e.name, e.type]));
    assert.deepEqual(entries, { docs: 'dir', 'main.ts': 'file', 'docs-link': 'symlink', 'dangling.md': 'symlink' });
    assert.equal((await wfs.stat(path.join(base, 'docs-link'))).type, 'dir');
    const file = await wfs.stat(path.join(base, 'main.ts'));
    assert.equal(file.size, 20);
    await assert.rejects(wfs.stat(path.join(base, 'dangling.md')), (e: unknown) => (e as { code?: string }).code === 'FileNotFound');
  });

  it('drives the engine discovery like node:fs does', async () => {
    const { files, skipped } = await discover([{ name: 'ws', path: base }], {}, new WorkspaceFileSystem(diskProvider));
    assert.deepEqual(files.map((f) => f.path), ['docs/a.md', 'main.ts']);
    assert.ok(skipped.some((s) => s.path === 'dangling.md' && s.reason === 'unreadable'));
    assert.equal(new TextDecoder().decode(await new WorkspaceFileSystem(diskProvider).readFile(path.join(base, 'docs', 'a.md'))), '# A\n\ntext\n');
  });
});
