import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isReallyInside, resolveWorkspacePath, rootsOf, workspaceOf } from '../../../src/extension/folders';

describe('extension workspace folders', () => {
  const one = [{ name: 'app', fsPath: '/home/u/app' }];
  const two = [
    { name: 'api', fsPath: '/home/u/api' },
    { name: 'web', fsPath: '/home/u/web' },
  ];

  it('gives duplicate folder names unique prefixes and keeps the workspace id stable', () => {
    const roots = rootsOf([
      { name: 'src', fsPath: '/a/src' },
      { name: 'src', fsPath: '/b/src' },
    ]);
    assert.deepEqual(roots.map((r) => r.name), ['src', 'src (2)']);
    assert.equal(workspaceOf(two)?.id, workspaceOf([...two].reverse())?.id, 'the same folders in another order are the same index');
    assert.equal(workspaceOf([]), undefined);
  });

  it('resolves single-root paths directly and multi-root paths by their folder prefix', () => {
    assert.equal(resolveWorkspacePath(one, 'docs/install.md')?.absPath, path.join('/home/u/app', 'docs', 'install.md'));
    assert.equal(resolveWorkspacePath(two, 'web/src/main.ts')?.absPath, path.join('/home/u/web', 'src', 'main.ts'));
    assert.equal(resolveWorkspacePath(two, 'mobile/src/main.ts'), undefined, 'unknown folder');
    assert.equal(resolveWorkspacePath(two, 'web'), undefined, 'a folder itself is not a file');
  });

  it('refuses anything that could leave the folders', () => {
    for (const p of ['../secret', 'docs/../../etc/passwd', '/etc/passwd', 'C:/Windows/win.ini', 'docs\\..\\x', './a', 'a//b', '', 'a/\0b']) {
      assert.equal(resolveWorkspacePath(one, p), undefined, p);
    }
    assert.ok(resolveWorkspacePath(one, '..hidden/file.md'), 'a name starting with two dots is still inside');
  });

  it('follows links: a link inside a folder pointing outside it is outside', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rag-folders-'));
    try {
      const root = path.join(base, 'root');
      fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
      fs.writeFileSync(path.join(root, 'docs', 'a.md'), '# a');
      fs.writeFileSync(path.join(base, 'outside.md'), '# secret');
      fs.symlinkSync(path.join(base, 'outside.md'), path.join(root, 'escape.md'));
      assert.equal(await isReallyInside(root, path.join(root, 'docs', 'a.md')), true);
      assert.equal(await isReallyInside(root, path.join(root, 'escape.md')), false);
      assert.equal(await isReallyInside(root, path.join(root, 'missing.md')), false);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
