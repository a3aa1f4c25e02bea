import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classifyContent, discover, readAndClassify, summarizeSkipped, type DiscoverOptions, type DiscoverResult } from '../../src/core/discover';
import { nodeFileSystem } from '../../src/core/node-fs';
import type { FileSystem, SkippedFile } from '../../src/core/types';

const FAKE_KEY = 'sk-test-00000000000000000000000000000000';
// Built from parts so this test file itself never looks like it holds a private key.
const PRIVATE_KEY_BLOCK = ['-----BEGIN RSA', 'PRIVATE KEY-----'].join(' ');

let scratch: string;
before(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rag-discover-'));
});
// Thousands of scratch files: removing them outlasts mocha's 2 s default on a loaded 2-core machine (CI runs failed here).
after(async function () {
  this.timeout(60_000);
  await fs.promises.rm(scratch, { recursive: true, force: true });
});

let counter = 0;
/** A fresh directory holding `files` (path → content). */
function tree(files: Record<string, string | Uint8Array>): string {
  const root = path.join(scratch, `t${++counter}`);
  fs.mkdirSync(root);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

const run = (root: string, options: DiscoverOptions = {}, fsys: FileSystem = nodeFileSystem) =>
  discover([{ name: path.basename(root), path: root }], options, fsys);
const paths = (r: DiscoverResult) => r.files.map((f) => f.path);
const skip = (r: DiscoverResult, p: string): SkippedFile | undefined => r.skipped.find((s) => s.path === p);
const bytes = (s: string) => new TextEncoder().encode(s);
const verdict = (r: ReturnType<typeof classifyContent>) => (r.ok ? 'ok' : r.reason);

describe('discover', () => {
  it('honours nested .gitignore files relative to their own folder, with negations', async () => {
    const root = tree({
      '.gitignore': '*.tmp.md\ngenerated/\n',
      'a.md': 'a',
      'x.tmp.md': 'x',
      'generated/out.md': 'o',
      'src/generated/deep.md': 'd',
      'docs/.gitignore': '!important.tmp.md\n/local.md\ndrafts/*\n!drafts/keep.md\n',
      'docs/important.tmp.md': 'i',
      'docs/other.tmp.md': 'o',
      'docs/local.md': 'l',
      'docs/sub/local.md': 'l',
      'docs/drafts/keep.md': 'k',
      'docs/drafts/wip.md': 'w',
    });
    const r = await run(root);
    assert.deepEqual(paths(r), ['.gitignore', 'a.md', 'docs/.gitignore', 'docs/drafts/keep.md', 'docs/important.tmp.md', 'docs/sub/local.md']);
    assert.deepEqual(r.skipped, [
      { path: 'docs/drafts/wip.md', reason: 'gitignored', detail: 'by docs/.gitignore' },
      { path: 'docs/local.md', reason: 'gitignored', detail: 'by docs/.gitignore' },
      { path: 'docs/other.tmp.md', reason: 'gitignored', detail: 'by .gitignore' },
      { path: 'generated/', reason: 'gitignored', detail: 'by .gitignore' },
      { path: 'src/generated/', reason: 'gitignored', detail: 'by .gitignore' },
      { path: 'x.tmp.md', reason: 'gitignored', detail: 'by .gitignore' },
    ]);
  });

  it('honours .git/info/exclude without walking .git, and .ragignore on top of .gitignore', async () => {
    const root = tree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.git/objects/ab/cdef': 'blob',
      '.git/info/exclude': 'private-notes.md\n',
      '.gitignore': 'generated.md\n',
      '.ragignore': '!generated.md\nscratch.md\n',
      'private-notes.md': 'p',
      'sub/private-notes.md': 'p',
      'generated.md': 'g',
      'scratch.md': 's',
      'readme.md': 'r',
    });
    const r = await run(root);
    assert.deepEqual(paths(r), ['.gitignore', '.ragignore', 'generated.md', 'readme.md']);
    assert.deepEqual(r.skipped, [
      { path: '.git/', reason: 'default-excluded', detail: 'version-control folder' },
      { path: 'private-notes.md', reason: 'gitignored', detail: 'by .git/info/exclude' },
      { path: 'scratch.md', reason: 'excluded-by-glob', detail: 'by .ragignore' },
      { path: 'sub/private-notes.md', reason: 'gitignored', detail: 'by .git/info/exclude' },
    ]);
  });

  it('applies the ignore files of the repository enclosing a root opened below its top', async () => {
    const repo = tree({
      '.git/info/exclude': '*.local.ts\n',
      '.gitignore': '*.gen.ts\n',
      'packages/.gitignore': '/app/tmp/\n',
      'packages/app/index.ts': 'export {}',
      'packages/app/schema.gen.ts': 'export {}',
      'packages/app/dev.local.ts': 'export {}',
      'packages/app/tmp/scratch.ts': 'export {}',
    });
    const r = await run(path.join(repo, 'packages', 'app'));
    assert.deepEqual(paths(r), ['index.ts']);
    assert.deepEqual(
      r.skipped.map((s) => [s.path, s.reason]),
      [['dev.local.ts', 'gitignored'], ['schema.gen.ts', 'gitignored'], ['tmp/', 'gitignored']],
    );
  });

  it('filters by include and exclude globs, pruning folders no include can reach', async () => {
    const root = tree({
      'README.md': 'r',
      'docs/guide.md': 'g',
      'docs/img.txt': 'i',
      'src/a.ts': 'a',
      'src/a.test.ts': 't',
      'src/legacy/old.ts': 'o',
      'scripts/run.sh': 's',
    });
    const narrow = await run(root, { include: ['src/**'], exclude: ['**/*.test.ts', 'src/legacy/**'] });
    assert.deepEqual(paths(narrow), ['src/a.ts']);
    assert.deepEqual(
      narrow.skipped.map((s) => [s.path, s.reason]),
      [
        ['README.md', 'not-included'],
        ['docs/', 'not-included'],
        ['scripts/', 'not-included'],
        ['src/a.test.ts', 'excluded-by-glob'],
        ['src/legacy/', 'excluded-by-glob'],
      ],
    );
    // A slash-free glob matches names at any depth, so no folder can be pruned.
    const byName = await run(root, { include: ['*.md', './src/*.ts'] });
    assert.deepEqual(paths(byName), ['README.md', 'docs/guide.md', 'src/a.test.ts', 'src/a.ts']);
    assert.equal(skip(byName, 'scripts/run.sh')?.reason, 'not-included');
    assert.equal(skip(byName, 'src/legacy/old.ts')?.reason, 'not-included');
    // A glob naming a folder takes in everything below it.
    assert.deepEqual(paths(await run(root, { include: ['src/legacy', 'docs'] })), ['docs/guide.md', 'docs/img.txt', 'src/legacy/old.ts']);
  });

  it('skips default-excluded folders with one entry each, without walking them', async () => {
    const root = tree({
      'index.js': 'i',
      'node_modules/pkg/index.js': 'n',
      'node_modules/pkg/deep/x.js': 'n',
      'dist/bundle.js': 'd',
      '__pycache__/m.cpython-312.pyc': 'p',
      '.venv/lib/site.py': 'v',
      'pkg.egg-info/PKG-INFO': 'p',
      'package-lock.json': '{}',
      'yarn.lock': '#',
      'go.sum': 's',
      'logo.png': 'png',
      'font.woff2': 'w',
      'app.min.js': 'm',
      'app.js.map': '{}',
      'libfoo.so.1.2': 'elf',
      'App/App.csproj': '<Project/>',
      'App/Program.cs': 'class P {}',
      'App/bin/Debug/app.json': '{}',
      'App/obj/project.assets.json': '{}',
      'tools/bin/cli.js': '#!/usr/bin/env node',
    });
    const r = await run(root);
    assert.deepEqual(paths(r), ['App/App.csproj', 'App/Program.cs', 'index.js', 'tools/bin/cli.js']);
    assert.deepEqual(
      r.skipped.map((s) => s.path),
      ['.venv/', 'App/bin/', 'App/obj/', '__pycache__/', 'app.js.map', 'app.min.js', 'dist/', 'font.woff2', 'go.sum', 'libfoo.so.1.2', 'logo.png', 'node_modules/', 'package-lock.json', 'pkg.egg-info/', 'yarn.lock'],
    );
    assert.ok(r.skipped.every((s) => s.reason === 'default-excluded' && s.detail));
  });

  it('walks into a default-excluded folder only on the way to a path an include glob names', async () => {
    const root = tree({
      'vendor/mylib/lib.go': 'package mylib',
      'vendor/mylib/node_modules/x.js': 'x',
      'vendor/other/x.go': 'package other',
      'vendor/top.go': 'package vendor',
      'main.go': 'package main',
    });
    const r = await run(root, { include: ['vendor/mylib/**', '**/*.go'] });
    assert.deepEqual(paths(r), ['main.go', 'vendor/mylib/lib.go']);
    assert.deepEqual(r.skipped, [
      { path: 'vendor/mylib/node_modules/', reason: 'default-excluded', detail: 'dependency folder' },
      { path: 'vendor/other/', reason: 'default-excluded', detail: 'dependency folder' },
      { path: 'vendor/top.go', reason: 'default-excluded', detail: 'dependency folder' },
    ]);
    assert.deepEqual(paths(await run(root, { include: ['**/*.go'] })), ['main.go']);
  });

  it('never lists files whose names mean keys or credentials, unless a path names them literally', async () => {
    const secrets = [
      '.env', '.env.local', '.env.production', 'production.env', '.envrc', 'key.pem', 'server.key', 'cert.p12',
      'cert.pfx', 'app.keystore', 'app.jks', 'AuthKey_AB12.p8', 'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519',
      'id_ed25519_sk', 'id_rsa_github', '.npmrc', '.pypirc', '.netrc', 'credentials', 'credentials.json',
      'aws-credentials.csv', 'config/credentials.yml.enc', 'vault.kdbx', '.htpasswd', 'secrets.yaml', 'k8s/secret.yml',
      'api.secret', '.git-credentials', 'terraform.tfstate', 'prod.tfvars', 'config/ID_RSA',
      'client_secret_123-abc.apps.googleusercontent.com.json', 'service-account-key.json',
    ];
    const root = tree({
      ...Object.fromEntries(secrets.map((s) => [s, `TOKEN=${FAKE_KEY}\n`])),
      '.ssh/config': 'Host x',
      'notes.md': 'notes',
    });
    fs.symlinkSync('.env', path.join(root, 'innocent.txt'));
    // Globs with wildcards name no file: `**` and `**/*.pem` take in everything else, not these.
    for (const include of [[], ['**'], ['**', '**/*.pem', '**/.env*', 'config/*']]) {
      const r = await run(root, { include });
      assert.deepEqual(paths(r), ['notes.md']);
      for (const s of [...secrets, '.ssh/', 'innocent.txt']) assert.equal(skip(r, s)?.reason, 'secret', s);
      assert.ok(!JSON.stringify(r).includes(FAKE_KEY));
    }
  });

  it('indexes code and templates whose names only mention credentials or keys', async () => {
    const code = [
      'src/auth/credentials.ts', 'lib/secrets.js', 'src/secret.py', 'test/credentials.test.ts', 'app/Secrets.java',
      'src/client_secret.go', 'config/secrets.example.yaml', '.env.example', '.env.sample', 'config/.env.template',
      '.env.dist', 'id_rsa.pub', 'id_ed25519.pub', 'docs/keys.md', 'src/keys.ts', 'src/env.ts', 'src/credentials/store.ts',
    ];
    const root = tree(Object.fromEntries(code.map((c) => [c, 'export {};\n'])));
    const r = await run(root);
    assert.deepEqual(paths(r), [...code].sort());
    assert.deepEqual(r.skipped, []);
  });

  it('re-includes a path an include glob or a .ragignore negation names literally, despite its name rule', async () => {
    const root = tree({
      '.env': 'A=1',
      'config/.env.development': 'A=1',
      'config/.env.production': 'A=1',
      'config/.ragignore': '!.env.staging\n',
      'config/.env.staging': 'A=1',
      '.env.staging': 'A=1',
      'certs/dev.pem': 'cert',
      'certs/prod.pem': 'cert',
      'dist/app.js': 'a',
      'dist/app.js.map': '{}',
      'yarn.lock': '#',
      '.ssh/config': 'Host x',
      '.ssh/id_rsa': 'k',
      '.aws/config': '[default]',
      '.aws/credentials': '[default]',
      'vendor/lib/x.go': 'package lib',
      'vendor/other/y.go': 'package other',
      'a.md': 'a',
    });
    const kept = ['.aws/config', '.ssh/config', 'a.md', 'certs/dev.pem', 'config/.env.development', 'config/.env.staging', 'dist/app.js', 'vendor/lib/x.go', 'yarn.lock'];
    const stillSkipped = [
      // config/.ragignore names .env.staging in config/ only.
      ['.aws/credentials', 'secret'], ['.env', 'secret'], ['.env.staging', 'secret'], ['.ssh/id_rsa', 'secret'], ['certs/prod.pem', 'secret'],
      ['config/.env.production', 'secret'], ['dist/app.js.map', 'default-excluded'], ['vendor/other/', 'default-excluded'],
    ];
    const check = (r: DiscoverResult) => {
      assert.deepEqual(paths(r).filter((p) => !p.endsWith('.ragignore')), kept);
      assert.deepEqual(r.skipped.map((s) => [s.path, s.reason]), stillSkipped);
    };
    // In the settings: literal paths and names; a wildcard glob names the folder it starts from (`dist/**`, `.ssh/*`).
    check(await run(root, { include: ['**', 'config/.env.development', 'certs/dev.pem', 'yarn.lock', 'dist/**', '.ssh/*', '.aws/config', 'vendor/lib/**', '!.env'] }));
    // In .ragignore: literal negations, anchored as git anchors them; a wildcard negation names nothing.
    fs.writeFileSync(path.join(root, '.ragignore'), '!config/.env.development\n!/certs/dev.pem\n!yarn.lock\n!dist/\n!.ssh/\n!.aws/config\n!vendor/lib/\n!*.map\n!.env*\n');
    check(await run(root));
  });

  it('skips files above the size limit from stat, without reading them', async () => {
    const root = tree({ 'big.md': 'x'.repeat(1001), 'fits.md': 'x'.repeat(1000) });
    const reads: string[] = [];
    const spying: FileSystem = { ...nodeFileSystem, readFile: (p) => (reads.push(p), nodeFileSystem.readFile(p)) };
    const r = await run(root, { maxFileBytes: 1000 }, spying);
    assert.deepEqual(paths(r), ['fits.md']);
    assert.deepEqual(skip(r, 'big.md'), { path: 'big.md', reason: 'too-large', detail: '1001 bytes, limit 1000' });
    assert.deepEqual(reads.filter((p) => p.endsWith('.md')), []);
  });

  it('follows links inside the root, refuses loops, escapes and links onto skipped paths', async () => {
    const outside = tree({ 'secret-plan.md': 'outside', 'dir/x.md': 'outside' });
    const root = tree({ 'docs/a.md': 'a', 'node_modules/pkg/readme.md': 'n' });
    fs.symlinkSync('docs/a.md', path.join(root, 'link.md'));
    fs.symlinkSync('..', path.join(root, 'docs', 'back'));
    fs.symlinkSync('docs', path.join(root, 'alias'));
    fs.symlinkSync('self', path.join(root, 'self'));
    fs.symlinkSync('missing.md', path.join(root, 'dangling.md'));
    fs.symlinkSync(path.join(outside, 'secret-plan.md'), path.join(root, 'plan.md'));
    fs.symlinkSync(path.join(outside, 'dir'), path.join(root, 'ext'));
    fs.symlinkSync('node_modules/pkg', path.join(root, 'pkg'));
    const r = await run(root);
    assert.deepEqual(paths(r), ['docs/a.md']);
    assert.deepEqual(
      r.skipped.map((s) => [s.path, s.reason]),
      [
        ['alias/', 'symlink-loop'],
        ['dangling.md', 'unreadable'],
        ['docs/back/', 'symlink-loop'],
        ['ext/', 'symlink-outside-root'],
        ['link.md', 'symlink-loop'],
        ['node_modules/', 'default-excluded'],
        ['pkg/', 'default-excluded'],
        ['plan.md', 'symlink-outside-root'],
        ['self', 'symlink-loop'],
      ],
    );
    assert.match(skip(r, 'pkg/')?.detail ?? '', /node_modules\//);
  });

  it('indexes a linked file once, by its real path, however many links or linked folders lead to it', async () => {
    const root = tree({ 'docs/a.md': 'a', 'shared/y.md': 'y', 'shared/sub/z.md': 'z' });
    fs.symlinkSync('docs/a.md', path.join(root, 'a-link.md'));
    fs.symlinkSync('a.md', path.join(root, 'docs', 'same.md'));
    fs.symlinkSync('a-link.md', path.join(root, 'chain.md'));
    fs.symlinkSync('shared', path.join(root, 'lib'));
    fs.symlinkSync('../shared/sub', path.join(root, 'docs', 'sub'));
    fs.symlinkSync('lib/y.md', path.join(root, 'via-linked-folder.md'));
    const r = await run(root);
    assert.deepEqual(paths(r), ['docs/a.md', 'shared/sub/z.md', 'shared/y.md']);
    assert.deepEqual(r.files.map((f) => f.absPath), ['docs/a.md', 'shared/sub/z.md', 'shared/y.md'].map((p) => path.join(root, p)));
    assert.deepEqual(r.skipped, [
      { path: 'a-link.md', reason: 'symlink-loop', detail: 'the same file as docs/a.md, indexed by its real path' },
      { path: 'chain.md', reason: 'symlink-loop', detail: 'the same file as docs/a.md, indexed by its real path' },
      { path: 'docs/same.md', reason: 'symlink-loop', detail: 'the same file as docs/a.md, indexed by its real path' },
      { path: 'docs/sub/', reason: 'symlink-loop', detail: 'leads back to shared/sub, already walked' },
      { path: 'lib/', reason: 'symlink-loop', detail: 'leads back to shared, already walked' },
      { path: 'via-linked-folder.md', reason: 'symlink-loop', detail: 'the same file as shared/y.md, indexed by its real path' },
    ]);
    // With several roots the path named is the prefixed one.
    const multi = await discover([{ name: 'w', path: root }, { name: 'other', path: tree({ 'o.md': 'o' }) }], {}, nodeFileSystem);
    assert.equal(skip(multi, 'w/a-link.md')?.detail, 'the same file as w/docs/a.md, indexed by its real path');
  });

  it('prefers real paths over links, and never lets a link reach an ignored folder', async () => {
    const root = tree({ '.gitignore': 'hidden/\n', 'hidden/x.md': 'x', 'shared/y.md': 'y' });
    // `shared` is reached by its real path first; the link to it is a duplicate, the one to the ignored folder is refused.
    fs.symlinkSync('shared', path.join(root, 'a-shared'));
    fs.symlinkSync('hidden', path.join(root, 'b-hidden'));
    const r = await run(root);
    assert.deepEqual(paths(r), ['.gitignore', 'shared/y.md']);
    assert.equal(skip(r, 'a-shared/')?.reason, 'symlink-loop');
    assert.equal(skip(r, 'b-hidden/')?.reason, 'gitignored');
  });

  it('reports an unreadable folder and carries on (real permissions)', async function () {
    // Root reads any folder whatever its mode, so the check cannot be made with real permissions; the next test covers it.
    if (process.getuid?.() === 0 || process.platform === 'win32') this.skip();
    const root = tree({ 'locked/x.md': 'x', 'open/y.md': 'y' });
    fs.chmodSync(path.join(root, 'locked'), 0o000);
    try {
      const r = await run(root);
      assert.deepEqual(paths(r), ['open/y.md']);
      assert.equal(skip(r, 'locked/')?.reason, 'unreadable');
    } finally {
      fs.chmodSync(path.join(root, 'locked'), 0o755);
    }
  });

  it('reports an unreadable folder and carries on (denied by the file system)', async () => {
    const root = tree({ 'locked/x.md': 'x', 'open/y.md': 'y', 'z.md': 'z' });
    const denied = path.join(root, 'locked');
    const denying: FileSystem = {
      ...nodeFileSystem,
      readDir: async (p) => {
        if (p === denied) throw Object.assign(new Error(`EACCES: permission denied, scandir '${p}'`), { code: 'EACCES' });
        return nodeFileSystem.readDir(p);
      },
    };
    const r = await run(root, {}, denying);
    assert.deepEqual(paths(r), ['open/y.md', 'z.md']);
    assert.deepEqual(skip(r, 'locked/'), { path: 'locked/', reason: 'unreadable', detail: `EACCES: permission denied, scandir '${denied}'` });
  });

  it('skips a folder whose .gitignore cannot be read rather than index what it hides', async () => {
    const root = tree({ 'private/.gitignore': 'keys.txt\n', 'private/keys.txt': 'k', 'public.md': 'p' });
    const denying: FileSystem = {
      ...nodeFileSystem,
      readFile: async (p) => {
        if (p.endsWith('.gitignore')) throw Object.assign(new Error('no access'), { code: 'NoPermissions' });
        return nodeFileSystem.readFile(p);
      },
    };
    const r = await run(root, {}, denying);
    assert.deepEqual(paths(r), ['public.md']);
    assert.equal(skip(r, 'private/')?.reason, 'unreadable');
  });

  it('prefixes paths with the root name when there are several roots', async () => {
    const api = tree({ 'src/x.ts': 'x', 'node_modules/a/b.js': 'b' });
    const web = tree({ 'index.md': 'i', 'src/y.ts': 'y' });
    const roots = [{ name: 'api', path: api }, { name: 'web', path: web }];
    const r = await discover(roots, {}, nodeFileSystem);
    assert.deepEqual(paths(r), ['api/src/x.ts', 'web/index.md', 'web/src/y.ts']);
    assert.deepEqual(r.files.map((f) => f.root), ['api', 'web', 'web']);
    assert.deepEqual(r.skipped.map((s) => s.path), ['api/node_modules/']);
    // Globs match the prefixed path or the root-relative one.
    assert.deepEqual(paths(await discover(roots, { exclude: ['web/**'] }, nodeFileSystem)), ['api/src/x.ts']);
    assert.deepEqual(paths(await discover(roots, { exclude: ['src/**'] }, nodeFileSystem)), ['web/index.md']);
    await assert.rejects(discover([{ name: 'a', path: api }, { name: 'a', path: web }], {}, nodeFileSystem), /named "a"/);
  });

  it('is deterministic and sorted', async () => {
    const names = ['b.md', 'a.md', 'B.md', 'z/c.md', 'a/d.md', 'a-b/e.md', 'a.b/f.md', 'ä.md'];
    const root = tree(Object.fromEntries(names.map((n) => [n, n])));
    const first = await run(root);
    const second = await run(root);
    assert.deepEqual(first, second);
    const p = paths(first);
    assert.deepEqual(p, [...p].sort());
    assert.equal(p.length, names.length);
  });

  it('discovers 5,000 files', async function () {
    this.timeout(60_000); // writing the files is the slow part on a busy machine
    const root = path.join(scratch, 'many');
    for (let d = 0; d < 50; d++) {
      fs.mkdirSync(path.join(root, `dir${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(root, `dir${d}`, `file${f}.ts`), 'export {};\n');
    }
    const r = await run(root);
    assert.equal(r.files.length, 5000);
    assert.deepEqual(r.skipped, []);
  });

  it('stops when its signal is aborted', async () => {
    const root = tree({ 'a/b.md': 'b' });
    await assert.rejects(run(root, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});

describe('classifyContent', () => {
  it('strips the BOM, keeps CRLF and turns lone CR into LF so line numbers match editors', () => {
    const r = classifyContent('a.md', bytes('\uFEFFone\r\ntwo\rthree\n'));
    assert.deepEqual(r, { ok: true, text: 'one\r\ntwo\nthree\n' });
  });

  it('accepts an empty file and UTF-16 with a byte-order mark', () => {
    assert.deepEqual(classifyContent('empty.ts', new Uint8Array()), { ok: true, text: '' });
    const utf16 = new Uint8Array([0xff, 0xfe, ...[...'hé\n'].flatMap((c) => [c.charCodeAt(0), 0])]);
    assert.deepEqual(classifyContent('w.txt', utf16), { ok: true, text: 'hé\n' });
  });

  it('rejects binary content: NUL bytes or many control characters', () => {
    assert.equal(verdict(classifyContent('data.txt', new Uint8Array([0x68, 0x69, 0x00, 0x21]))), 'binary');
    const control = new Uint8Array(1000).map((_, i) => (i % 5 === 0 ? 0x01 : 0x61));
    const r = classifyContent('data.txt', control);
    assert.deepEqual(r, { ok: false, reason: 'binary', detail: '20% control characters in its first 1000 bytes' });
    // Tabs, form feeds and ANSI escapes are text.
    assert.equal(classifyContent('log.txt', bytes('\t\x1b[31mred\x1b[0m\f\n'.repeat(50))).ok, true);
  });

  it('rejects invalid UTF-8 instead of mangling it', () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    assert.equal(verdict(classifyContent('menu.txt', latin1)), 'invalid-utf8');
  });

  it('rejects minified code but not long lines of prose', () => {
    const minified = 'var a=1;function f(b){return b+a}'.repeat(200);
    assert.deepEqual(classifyContent('lib/app.js', bytes(`/*! lib v1 */\n${minified}\n`)), {
      ok: false,
      reason: 'minified',
      detail: '3 lines averaging 2205 characters',
    });
    assert.equal(classifyContent('notes.md', bytes(`${minified}\n`)).ok, true);
    const formatted = Array.from({ length: 200 }, (_, i) => `export const value${i} = compute(${i}, 'x');`).join('\n');
    assert.equal(classifyContent('src/values.ts', bytes(formatted)).ok, true);
    assert.equal(classifyContent('tiny.json', bytes('{"a":1,"b":[1,2,3]}')).ok, true);
  });

  it('rejects text holding a private key, whatever the file name and however it is quoted', () => {
    const pem = (type: 'pkcs8' | 'pkcs1' | 'sec1', key: crypto.KeyObject, cipher?: string) =>
      key.export({ type, format: 'pem', ...(cipher ? { cipher, passphrase: 'p' } : {}) }) as string;
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const keys = {
      // The shortest body there is: 64 base64 characters.
      ed25519: pem('pkcs8', crypto.generateKeyPairSync('ed25519').privateKey),
      ec: pem('sec1', crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      // Proc-Type and DEK-Info headers before the body.
      encrypted: pem('pkcs1', rsa, 'aes-128-cbc'),
      rsa: pem('pkcs1', rsa),
    };
    const secret = (name: string, text: string) => assert.deepEqual(classifyContent(name, bytes(text)), { ok: false, reason: 'secret', detail: 'contains a private key' }, name);
    for (const [kind, key] of Object.entries(keys)) {
      secret(`${kind}.txt`, `notes\n${key}more notes\n`);
      // A Google service-account key: one JSON string with \n escapes.
      secret(`${kind}.json`, JSON.stringify({ type: 'service_account', private_key: key }, null, 2));
      // In an .env value on one line, and in code, indented, as concatenated strings.
      if (kind !== 'encrypted') secret(`${kind}.env`, `KEY="${key.trim().split('\n').join(' ')}"\n`);
      secret(`${kind}.ts`, `const key =\n${key.trim().split('\n').map((l) => `  '${l}\\n' +`).join('\n')}\n  '';\n`);
    }
    // An OpenPGP secret key: armor headers, a blank line, the body, the CRC-24 line.
    const body = crypto.randomBytes(300).toString('base64').match(/.{1,64}/g)!.join('\n');
    const pgp = ['-----BEGIN PGP', 'PRIVATE KEY BLOCK-----'].join(' ');
    secret('key.asc', `${pgp}\nVersion: GnuPG v2\nComment: test\n\n${body}\n=AbC1\n-----END PGP PRIVATE KEY BLOCK-----\n`);
  });

  it('accepts documentation that shows the shape of a private key without one', () => {
    const end = PRIVATE_KEY_BLOCK.replace('BEGIN', 'END');
    const docs = [
      // dotenv's README, both ways.
      `PRIVATE_KEY="${PRIVATE_KEY_BLOCK}\n...\nKh9NV...\n...\n${end}"\n`,
      `PRIVATE_KEY="${PRIVATE_KEY_BLOCK}\\nKh9NV...\\n${end}\\n"\n`,
      `${PRIVATE_KEY_BLOCK}\nMIIEpAIBAAKCAQEA...\n${end}\n`,
      `${PRIVATE_KEY_BLOCK}\n<your key here>\n${end}\n`,
      `${PRIVATE_KEY_BLOCK}\npaste the contents of your private key file here and then save this file again\n${end}\n`,
      // A real-looking body without its END line is not a block.
      `${PRIVATE_KEY_BLOCK}\n${crypto.randomBytes(120).toString('base64')}\n`,
      'Keys start with a BEGIN line naming PRIVATE KEY.\n',
      ['-----BEGIN', 'PUBLIC KEY-----\n'].join(' ') + crypto.randomBytes(120).toString('base64') + '\n-----END PUBLIC KEY-----\n',
    ];
    for (const doc of docs) assert.equal(verdict(classifyContent('README.md', bytes(doc))), 'ok', doc);
  });
});

describe('readAndClassify', () => {
  it('reads and judges a discovered file; grown, vanished and unreadable files are reported', async () => {
    const root = tree({ 'a.md': 'hello\n', 'b.md': 'small', 'c.md': 'c' });
    const { files } = await run(root, { maxFileBytes: 100 });
    const [a, b, c] = files;
    assert.deepEqual(await readAndClassify(nodeFileSystem, a, 100), { ok: true, text: 'hello\n' });
    fs.appendFileSync(b.absPath, 'x'.repeat(200));
    assert.deepEqual(await readAndClassify(nodeFileSystem, b, 100), { ok: false, reason: 'too-large', detail: '205 bytes, limit 100' });
    fs.rmSync(c.absPath);
    assert.deepEqual(await readAndClassify(nodeFileSystem, c, 100), { ok: false, reason: 'vanished' });
    const denying: FileSystem = { ...nodeFileSystem, readFile: () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })) };
    assert.deepEqual(await readAndClassify(denying, a, 100), { ok: false, reason: 'unreadable', detail: 'EACCES: permission denied' });
    const vscodeGone: FileSystem = { ...nodeFileSystem, readFile: () => Promise.reject(Object.assign(new Error('gone'), { code: 'FileNotFound' })) };
    assert.deepEqual(await readAndClassify(vscodeGone, a, 100), { ok: false, reason: 'vanished' });
  });
});

describe('summarizeSkipped', () => {
  it('counts the reasons that occur, in a fixed order', () => {
    const counts = summarizeSkipped([
      { path: 'a', reason: 'too-large' },
      { path: 'b', reason: 'secret' },
      { path: 'c', reason: 'too-large' },
      { path: 'd', reason: 'gitignored' },
    ]);
    assert.deepEqual(Object.entries(counts), [['secret', 1], ['gitignored', 1], ['too-large', 2]]);
    assert.deepEqual(summarizeSkipped([]), {});
  });
});

describe('nodeFileSystem', () => {
  it('reports links as links when listing, follows them in stat and realPath, and reads bytes', async () => {
    const root = tree({ 'dir/f.txt': 'hi' });
    fs.symlinkSync('dir', path.join(root, 'dlink'));
    fs.symlinkSync('dir/f.txt', path.join(root, 'flink'));
    const listed = (await nodeFileSystem.readDir(root)).sort((x, y) => (x.name < y.name ? -1 : 1));
    assert.deepEqual(listed, [
      { name: 'dir', type: 'dir' },
      { name: 'dlink', type: 'symlink' },
      { name: 'flink', type: 'symlink' },
    ]);
    assert.equal((await nodeFileSystem.stat(path.join(root, 'dlink'))).type, 'dir');
    const f = await nodeFileSystem.stat(path.join(root, 'flink'));
    assert.equal(f.type, 'file');
    assert.equal(f.size, 2);
    assert.equal(await nodeFileSystem.realPath(path.join(root, 'flink')), path.join(fs.realpathSync(root), 'dir', 'f.txt'));
    const read = await nodeFileSystem.readFile(path.join(root, 'flink'));
    assert.ok(read instanceof Uint8Array);
    assert.deepEqual([...read], [0x68, 0x69]);
    await assert.rejects(nodeFileSystem.stat(path.join(root, 'nope')), { code: 'ENOENT' });
  });
});
