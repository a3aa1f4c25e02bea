// Which files get indexed. `discover` walks the roots through the FileSystem interface only (the extension drives it
// over workspace.fs), deciding from names, ignore files, globs and stat; `classifyContent` / `readAndClassify` judge
// the bytes later, when the indexer reads them, since files can change or vanish in between.
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { indexingSchema, type IndexingConfig } from './config';
import type { DiscoveredFile, FileSystem, SkippedFile, SkipReason } from './types';

export interface WorkspaceRoot {
  /** Prefixes the paths of this root's files when there are several roots; must then be unique. */
  name: string;
  path: string;
}

export interface DiscoverOptions extends Partial<Pick<IndexingConfig, 'include' | 'exclude' | 'maxFileBytes'>> {
  signal?: AbortSignal;
}

export interface DiscoverResult {
  /** Sorted by path. */
  files: DiscoveredFile[];
  /** Sorted by path. A skipped directory is one entry, its path ending in '/'; nothing inside it is listed. */
  skipped: SkippedFile[];
}

export type ContentCheck = { ok: true; text: string } | { ok: false; reason: SkipReason; detail?: string };

const DEFAULTS = indexingSchema.parse({});
/** Parallel stats per directory: hides latency (workspace.fs may be remote) without flooding the thread pool. */
const STAT_CONCURRENCY = 16;
/** Git's default on the case-insensitive file systems of Windows and macOS. */
const IGNORE_CASE = process.platform === 'win32' || process.platform === 'darwin';

// ---- Name rules (compared lower-cased) ----

/** Never indexed, whatever the globs say. Also applied to a link's target, so `notes.txt -> .env` stays out. */
const SECRET_DIRS = new Set(['.ssh', '.gnupg', '.aws']);
const SECRET_NAMES = new Set([
  '.env', '.envrc', '.npmrc', '.yarnrc.yml', '.pypirc', '.netrc', '_netrc', '.git-credentials', '.pgpass', '.my.cnf',
  '.htpasswd', '.dockercfg', '.boto', '.s3cfg', '.vault-token', 'credentials',
]);
const SECRET_PREFIXES = ['.env.', 'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519', 'secrets.', 'credentials.', 'client_secret'];
const SECRET_SUFFIXES = [
  '.env', '.pem', '.key', '.p8', '.p12', '.pfx', '.ppk', '.keystore', '.jks', '.kdbx', '.secret', '.secrets', '.ovpn',
  '.tfstate', '.tfstate.backup', '.tfvars',
];

const EXCLUDED_DIRS = categories({
  'version-control folder': ['.git', '.hg', '.svn', '.bzr', '_darcs', 'cvs', '.jj'],
  'dependency folder': [
    'node_modules', 'bower_components', 'jspm_packages', 'web_modules', '.yarn', '.pnpm-store', 'vendor', 'pods',
    'carthage', '.bundle', 'site-packages', '.eggs', '.pub-cache', 'elm-stuff',
  ],
  'build output': [
    'dist', 'build', 'out', 'target', '_build', '.next', '.nuxt', '.svelte-kit', '.angular', '.turbo', '.vercel',
    '.netlify', '.parcel-cache', '.cache', '.docusaurus', '.expo', '.gradle', '.dart_tool', '.stack-work',
    'dist-newstyle', '.zig-cache', 'zig-cache', 'zig-out', 'cmakefiles', '.terraform', '.serverless',
  ],
  'coverage or test output': ['coverage', '.nyc_output', '.vscode-test', '.tox', '.nox', '.pytest_cache'],
  'Python cache or environment': ['__pycache__', '.venv', 'venv', '.mypy_cache', '.ruff_cache', '.ipynb_checkpoints'],
  'IDE folder': ['.idea', '.vs'],
});
/** .NET and Visual C++ put binaries in bin/ and obj/; elsewhere bin/ often holds scripts worth indexing. */
const DOTNET_PROJECT = /\.(?:csproj|fsproj|vbproj|vcxproj|sln|slnx)$/i;

const EXCLUDED_NAMES = categories({
  'lock file': ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'go.sum', 'packages.lock.json', 'gradle.lockfile', 'package.resolved'],
  'OS metadata': ['.ds_store', 'thumbs.db', 'desktop.ini'],
});
const EXCLUDED_SUFFIXES: Array<[string, string]> = [
  ...['.lock', '.lockb'].map((s): [string, string] => [s, 'lock file']),
  ...['.min.js', '.min.mjs', '.min.cjs', '.min.css', '.map'].map((s): [string, string] => [s, 'minified or source map']),
  ...['.tsbuildinfo', '.log', '.swp', '.swo'].map((s): [string, string] => [s, 'generated file']),
];
const EXCLUDED_EXTENSIONS = categories({
  image: ['png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'tif', 'tiff', 'webp', 'avif', 'heic', 'heif', 'psd', 'xcf', 'ai', 'eps', 'svg', 'raw', 'cr2', 'nef'],
  font: ['ttf', 'otf', 'woff', 'woff2', 'eot'],
  'audio or video': ['mp3', 'wav', 'ogg', 'oga', 'flac', 'aac', 'm4a', 'opus', 'wma', 'mid', 'midi', 'mp4', 'm4v', 'mov', 'avi', 'mkv', 'webm', 'wmv', 'flv', 'mpg', 'mpeg', '3gp'],
  archive: [
    'zip', 'tar', 'gz', 'tgz', 'bz2', 'xz', 'txz', '7z', 'rar', 'zst', 'lz', 'lz4', 'lzma', 'cab', 'jar', 'war', 'ear',
    'apk', 'aab', 'ipa', 'dmg', 'iso', 'img', 'deb', 'rpm', 'msi', 'msix', 'whl', 'egg', 'nupkg', 'gem', 'vsix', 'crx', 'xpi',
  ],
  'binary or object file': ['exe', 'dll', 'so', 'dylib', 'o', 'obj', 'a', 'lib', 'ko', 'class', 'pyc', 'pyo', 'pyd', 'wasm', 'node', 'pdb', 'ilk', 'exp', 'idb', 'bin', 'dat', 'elf', 'sys'],
  document: ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'odp', 'rtf', 'epub'],
  'database or model data': [
    'sqlite', 'sqlite3', 'db', 'mdb', 'accdb', 'parquet', 'avro', 'orc', 'arrow', 'feather', 'npy', 'npz', 'h5', 'hdf5',
    'pkl', 'pickle', 'joblib', 'pt', 'pth', 'onnx', 'safetensors', 'ckpt', 'tflite', 'pb', 'gguf', 'ggml', 'mat', 'sav',
  ],
});
/** Versioned shared libraries such as libfoo.so.1.2. */
const VERSIONED_SO = /\.so(?:\.\d+)+$/;

function categories(table: Record<string, string[]>): Map<string, string> {
  return new Map(Object.entries(table).flatMap(([category, names]) => names.map((n): [string, string] => [n, category])));
}

function secretName(lower: string, isDir: boolean): boolean {
  if (isDir) return SECRET_DIRS.has(lower);
  return SECRET_NAMES.has(lower) || SECRET_PREFIXES.some((p) => lower.startsWith(p)) || SECRET_SUFFIXES.some((s) => lower.endsWith(s));
}

/** The category of a default exclusion, or undefined. */
function defaultExcluded(lower: string, isDir: boolean, inDotnetProject: boolean): string | undefined {
  if (isDir) {
    if (inDotnetProject && (lower === 'bin' || lower === 'obj')) return '.NET build output';
    if (lower.endsWith('.egg-info') || lower.startsWith('cmake-build-')) return 'build output';
    return EXCLUDED_DIRS.get(lower);
  }
  const named = EXCLUDED_NAMES.get(lower) ?? EXCLUDED_SUFFIXES.find(([s]) => lower.endsWith(s))?.[1];
  if (named) return named;
  if (VERSIONED_SO.test(lower)) return 'binary or object file';
  const dot = lower.lastIndexOf('.');
  return dot > 0 ? EXCLUDED_EXTENSIONS.get(lower.slice(dot + 1)) : undefined;
}

// ---- Globs ----

interface Globs {
  isIncluded(paths: string[]): boolean;
  isExcluded(paths: string[]): string | undefined;
  /** False when no include glob can match anything inside the directory, so it need not be walked. */
  mayContainIncluded(dirPaths: string[]): boolean;
  /** True when an include glob names a path inside the directory, e.g. `vendor/mylib/**` reopens `vendor`. */
  namesInside(dirPaths: string[]): boolean;
  /** True when the path leads to, or lies under, a path an include glob names. */
  nearNamed(paths: string[]): boolean;
}

function compileGlobs(include: readonly string[], exclude: readonly string[]): Globs {
  const options = { dot: true };
  const inc = include.map(normalizeGlob);
  const includeMatch = inc.length ? picomatch(inc, options) : undefined;
  const excludeMatchers = exclude.map((g) => ({ glob: g, match: picomatch(normalizeGlob(g), options) }));
  // The literal folder each include glob starts from; undefined when it can match at any depth.
  const bases = inc.map((g) => {
    const scan = picomatch.scan(g);
    return scan.negated || scan.base === '' ? undefined : scan.base;
  });
  const explicitBases = bases.filter((b): b is string => b !== undefined);
  const under = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');
  return {
    // As with excludes, a glob naming a folder (`packages/api`, `docs`) takes in everything below it.
    isIncluded: (paths) => !includeMatch || paths.some((p) => selfAndAncestors(p).some((q) => includeMatch(q))),
    isExcluded: (paths) => excludeMatchers.find((m) => paths.some((p) => m.match(p)))?.glob,
    mayContainIncluded: (dirs) =>
      !includeMatch || bases.some((b) => b === undefined || dirs.some((d) => under(b, d) || under(d, b))),
    namesInside: (dirs) => explicitBases.some((b) => dirs.some((d) => under(b, d))),
    nearNamed: (paths) => explicitBases.some((b) => paths.some((p) => under(b, p) || under(p, b))),
  };
}

/**
 * Globs are workspace-relative, and a leading './' or '/' means the same. Like .gitignore patterns, a slash-free glob
 * (`*.md`) matches names at any depth. (picomatch's `basename` option would do that but breaks globs with slashes.)
 */
function normalizeGlob(glob: string): string {
  const negated = glob.startsWith('!');
  const body = (negated ? glob.slice(1) : glob).replace(/^\.?\/+/, '');
  return (negated ? '!' : '') + (body.includes('/') ? body : `**/${body}`);
}

function selfAndAncestors(p: string): string[] {
  const out = [p];
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) out.push(p.slice(0, i));
  return out;
}

// ---- Ignore files ----

/** Rules of one ignore file, matched against paths relative to the folder holding it. */
interface IgnoreLayer {
  ig: Ignore;
  /** Root-relative path → path relative to the file's folder: strip the folder, or prepend the way down from an ancestor. */
  strip: number;
  prefix: string;
  source: string;
  reason: 'gitignored' | 'excluded-by-glob';
}

/** Deepest layer first, as in git: the last matching rule of the nearest file decides, and a negation re-includes. */
function ignoredBy(layers: readonly IgnoreLayer[], rel: string, isDir: boolean): IgnoreLayer | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    const result = layer.ig.test(layer.prefix + rel.slice(layer.strip) + (isDir ? '/' : ''));
    if (result.ignored) return layer;
    if (result.unignored) return undefined;
  }
  return undefined;
}

const layer = (rules: string, source: string, strip: number, prefix: string, reason: IgnoreLayer['reason']): IgnoreLayer => ({
  ig: ignore({ ignorecase: IGNORE_CASE }).add(rules),
  source,
  strip,
  prefix,
  reason,
});

// ---- File-system errors ----

type Failure = { kind: 'missing' | 'denied' | 'loop' | 'other'; message: string };

/** Node codes and the FileSystemError codes of VS Code's workspace.fs. */
function failureOf(error: unknown): Failure {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOENT': case 'ENOTDIR': case 'EISDIR': case 'FileNotFound': case 'FileNotADirectory': case 'FileIsADirectory':
      return { kind: 'missing', message };
    case 'EACCES': case 'EPERM': case 'NoPermissions':
      return { kind: 'denied', message };
    case 'ELOOP':
      return { kind: 'loop', message };
    default:
      return { kind: 'other', message };
  }
}

/** The text of an optional file: undefined when it does not exist; other failures throw. */
async function readOptional(fs: FileSystem, absPath: string): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await fs.readFile(absPath));
  } catch (error) {
    if (failureOf(error).kind === 'missing') return undefined;
    throw error;
  }
}

/**
 * Ignore layers from the repository enclosing a root opened below its top: git applies the .gitignore files of the
 * folders above, and .git/info/exclude. Nothing when the root is not inside a repository.
 */
async function enclosingRepositoryLayers(fs: FileSystem, rootReal: string): Promise<IgnoreLayer[]> {
  const isRepoTop = (dir: string) => fs.stat(path.join(dir, '.git')).then((s) => s.type, () => undefined);
  if (await isRepoTop(rootReal)) return [];
  const layers: IgnoreLayer[] = [];
  let down = path.basename(rootReal) + '/';
  for (let dir = path.dirname(rootReal), child = rootReal; dir !== child; child = dir, dir = path.dirname(dir)) {
    // An unreadable ignore file above the workspace is passed over: it is outside what the user opened.
    const rules = await readOptional(fs, path.join(dir, '.gitignore')).catch(() => undefined);
    if (rules !== undefined) layers.unshift(layer(rules, path.join(dir, '.gitignore'), 0, down, 'gitignored'));
    const top = await isRepoTop(dir);
    if (top) {
      const exclude = top === 'dir' ? await readOptional(fs, path.join(dir, '.git', 'info', 'exclude')).catch(() => undefined) : undefined;
      if (exclude !== undefined) layers.unshift(layer(exclude, path.join(dir, '.git', 'info', 'exclude'), 0, down, 'gitignored'));
      return layers;
    }
    down = path.basename(dir) + '/' + down;
  }
  return [];
}

// ---- The walk ----

interface Dir {
  abs: string;
  /** Canonical path: the parent's real path plus the name, unless reached through a link. */
  real: string;
  /** Root-relative POSIX path, '' for the root. */
  rel: string;
  /** Ignore rules of the folders above. */
  layers: readonly IgnoreLayer[];
  /** Set inside a default-excluded folder that an include glob reopened: only the way to the named paths is walked. */
  reopened?: string;
}

/** What the entries of one folder are judged by. */
interface Scope {
  layers: readonly IgnoreLayer[];
  inDotnetProject: boolean;
  reopened?: string;
}

interface PendingLink {
  name: string;
  abs: string;
  rel: string;
  scope: Scope;
}

type Refusal = { reason: SkipReason; detail?: string };

const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const joinRel = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/**
 * Lists the files of the roots that may be indexed, and why the others are not. With one root, paths are
 * root-relative; with several, each is prefixed by its root's name. Globs match the prefixed path or the root-relative one.
 */
export async function discover(roots: readonly WorkspaceRoot[], options: DiscoverOptions, fs: FileSystem): Promise<DiscoverResult> {
  if (roots.length > 1) {
    const names = new Set<string>();
    for (const { name } of roots) {
      if (!/^[^/\\]+$/.test(name) || name === '.' || name === '..') throw new Error(`Workspace folder name "${name}" cannot prefix paths.`);
      if (names.has(name)) throw new Error(`Two workspace folders are named "${name}"; their paths would collide.`);
      names.add(name);
    }
  }
  const run: WalkRun = {
    fs,
    globs: compileGlobs(options.include ?? [], options.exclude ?? []),
    maxFileBytes: options.maxFileBytes ?? DEFAULTS.maxFileBytes,
    signal: options.signal,
    files: [],
    skipped: [],
  };
  for (const root of roots) await new RootWalk(run, root, roots.length > 1 ? `${root.name}/` : '').run();
  return { files: run.files.sort(byPath), skipped: run.skipped.sort(byPath) };
}

/** What the walks of all roots share. */
interface WalkRun {
  fs: FileSystem;
  globs: Globs;
  maxFileBytes: number;
  signal: AbortSignal | undefined;
  files: DiscoveredFile[];
  skipped: SkippedFile[];
}

class RootWalk {
  private rootReal = '';
  /** Real paths of directories walked: a link to one of them is a loop (an ancestor) or a duplicate. */
  private readonly visited = new Set<string>();
  /** Real paths the walk refused, so a link cannot reach them under another name. */
  private readonly refused = new Map<string, SkippedFile>();
  /** Links wait until the plain tree is walked: real paths win over aliases, and `refused` is complete. */
  private readonly links: PendingLink[] = [];

  private readonly fs: FileSystem;
  private readonly globs: Globs;

  constructor(
    private readonly shared: WalkRun,
    private readonly root: WorkspaceRoot,
    private readonly prefix: string,
  ) {
    this.fs = shared.fs;
    this.globs = shared.globs;
  }

  async run(): Promise<void> {
    try {
      this.rootReal = await this.fs.realPath(this.root.path);
    } catch (error) {
      this.skip('', true, undefined, this.fsRefusal(failureOf(error)));
      return;
    }
    this.visited.add(this.rootReal);
    const layers = await enclosingRepositoryLayers(this.fs, this.rootReal);
    await this.walk({ abs: this.root.path, real: this.rootReal, rel: '', layers });
    for (let link = this.links.shift(); link; link = this.links.shift()) await this.follow(link);
  }

  private async walk(dir: Dir): Promise<void> {
    this.shared.signal?.throwIfAborted();
    let entries: Awaited<ReturnType<FileSystem['readDir']>>;
    let layers: readonly IgnoreLayer[];
    try {
      entries = (await this.fs.readDir(dir.abs)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      layers = await this.loadIgnoreFiles(dir, entries);
    } catch (error) {
      // The folder or one of its ignore files cannot be read; unhonoured ignore rules could expose what they hide, so
      // the whole folder is skipped either way.
      this.skip(dir.rel, true, dir.real, this.fsRefusal(failureOf(error)));
      return;
    }
    const scope: Scope = { layers, inDotnetProject: entries.some((e) => e.type !== 'dir' && DOTNET_PROJECT.test(e.name)), reopened: dir.reopened };
    const files: Array<{ abs: string; rel: string; real: string }> = [];
    const subdirs: Dir[] = [];
    for (const { name, type } of entries) {
      const abs = path.join(dir.abs, name);
      const rel = joinRel(dir.rel, name);
      const real = path.join(dir.real, name);
      if (type === 'symlink') {
        this.links.push({ name, abs, rel, scope });
        continue;
      }
      if (type === 'other') {
        this.skip(rel, false, real, { reason: 'unreadable', detail: 'not a regular file or folder' });
        continue;
      }
      const isDir = type === 'dir';
      const refusal = this.checkPath(rel, name, isDir, scope);
      if (refusal) this.skip(rel, isDir, real, refusal);
      else if (isDir) subdirs.push(this.subdir(abs, real, rel, name, scope));
      else files.push({ abs, rel, real });
    }
    await forEachLimit(files, STAT_CONCURRENCY, async (f) => {
      try {
        const stat = await this.fs.stat(f.abs);
        if (stat.type === 'file') this.addFile(f, stat);
        else this.skip(f.rel, false, f.real, { reason: 'vanished', detail: 'replaced while being listed' });
      } catch (error) {
        this.skip(f.rel, false, f.real, this.fsRefusal(failureOf(error)));
      }
    });
    for (const sub of subdirs) {
      this.visited.add(sub.real);
      await this.walk(sub);
    }
  }

  /** The parent's layers plus this folder's .git/info/exclude, .gitignore and .ragignore, in rising precedence. */
  private async loadIgnoreFiles(dir: Dir, entries: Array<{ name: string; type: string }>): Promise<readonly IgnoreLayer[]> {
    const has = (name: string, types: string[]) => entries.some((e) => e.name === name && types.includes(e.type));
    const strip = dir.rel ? dir.rel.length + 1 : 0;
    const sources: Array<[string[], IgnoreLayer['reason']]> = [];
    // A nested repository (submodule, vendored checkout) brings its own exclude file.
    if (has('.git', ['dir'])) sources.push([['.git', 'info', 'exclude'], 'gitignored']);
    if (has('.gitignore', ['file', 'symlink'])) sources.push([['.gitignore'], 'gitignored']);
    // Same syntax, for what should stay in git but out of the index; a negation here re-includes a gitignored file.
    if (has('.ragignore', ['file', 'symlink'])) sources.push([['.ragignore'], 'excluded-by-glob']);
    if (sources.length === 0) return dir.layers;
    const added: IgnoreLayer[] = [];
    for (const [parts, reason] of sources) {
      const rules = await readOptional(this.fs, path.join(dir.abs, ...parts));
      if (rules !== undefined) added.push(layer(rules, this.prefix + joinRel(dir.rel, parts.join('/')), strip, '', reason));
    }
    return [...dir.layers, ...added];
  }

  /** Rules that need only the path: secrets first (they win over everything), then defaults, ignore files, globs. */
  private checkPath(rel: string, name: string, isDir: boolean, scope: Scope): Refusal | undefined {
    const lower = name.toLowerCase();
    if (secretName(lower, isDir)) return { reason: 'secret', detail: 'may hold credentials' };
    const paths = this.prefix ? [this.prefix + rel, rel] : [rel];
    const category = defaultExcluded(lower, isDir, scope.inDotnetProject);
    if (category && !(isDir && this.globs.namesInside(paths))) return { reason: 'default-excluded', detail: category };
    if (scope.reopened && !this.globs.nearNamed(paths)) return { reason: 'default-excluded', detail: scope.reopened };
    const ignoredByLayer = ignoredBy(scope.layers, rel, isDir);
    if (ignoredByLayer) return { reason: ignoredByLayer.reason, detail: `by ${ignoredByLayer.source}` };
    const glob = this.globs.isExcluded(paths);
    if (glob) return { reason: 'excluded-by-glob', detail: `by ${glob}` };
    if (isDir ? !this.globs.mayContainIncluded(paths) : !this.globs.isIncluded(paths)) return { reason: 'not-included' };
    return undefined;
  }

  /** A link is followed only inside its root, never onto something the walk refused, and never twice into a folder. */
  private async follow(link: PendingLink): Promise<void> {
    this.shared.signal?.throwIfAborted();
    let real: string;
    let target: Awaited<ReturnType<FileSystem['stat']>>;
    try {
      real = await this.fs.realPath(link.abs);
      target = await this.fs.stat(link.abs);
    } catch (error) {
      const failure = failureOf(error);
      const refusal: Refusal =
        failure.kind === 'missing' ? { reason: 'unreadable', detail: 'dangling symbolic link' } : this.fsRefusal(failure);
      this.skip(link.rel, false, undefined, refusal);
      return;
    }
    const isDir = target.type === 'dir';
    const targetRel = path.relative(this.rootReal, real);
    if (targetRel === '..' || targetRel.startsWith('..' + path.sep) || path.isAbsolute(targetRel)) {
      this.skip(link.rel, isDir, undefined, { reason: 'symlink-outside-root', detail: 'its target is outside the workspace folder' });
      return;
    }
    if (target.type === 'other') {
      this.skip(link.rel, false, undefined, { reason: 'unreadable', detail: 'not a regular file or folder' });
      return;
    }
    const refusal: Refusal | undefined =
      (secretName(path.basename(real).toLowerCase(), isDir) ? { reason: 'secret', detail: 'its target may hold credentials' } : undefined) ??
      this.checkPath(link.rel, link.name, isDir, link.scope) ??
      this.refusedTarget(real);
    if (refusal) {
      this.skip(link.rel, isDir, undefined, refusal);
    } else if (isDir) {
      if (this.visited.has(real)) {
        const where = targetRel === '' ? 'the root' : this.prefix + targetRel.split(path.sep).join('/');
        this.skip(link.rel, true, undefined, { reason: 'symlink-loop', detail: `leads back to ${where}, already walked` });
        return;
      }
      this.visited.add(real);
      await this.walk(this.subdir(link.abs, real, link.rel, link.name, link.scope));
    } else {
      this.addFile({ abs: link.abs, rel: link.rel, real }, target);
    }
  }

  /** A folder that passed checkPath; if its name is default-excluded, an include glob reopened it. */
  private subdir(abs: string, real: string, rel: string, name: string, scope: Scope): Dir {
    const reopened = scope.reopened ?? defaultExcluded(name.toLowerCase(), true, scope.inDotnetProject);
    return { abs, real, rel, layers: scope.layers, ...(reopened ? { reopened } : {}) };
  }

  /** The refusal of the target or of a folder holding it. */
  private refusedTarget(real: string): Refusal | undefined {
    for (let p = real; p !== this.rootReal && p !== path.dirname(p); p = path.dirname(p)) {
      const s = this.refused.get(p);
      if (s) return { reason: s.reason, detail: `its target ${s.path} is skipped${s.detail ? ` (${s.detail})` : ''}` };
    }
    return undefined;
  }

  private addFile(f: { abs: string; rel: string; real: string }, stat: { size: number; mtimeMs: number }): void {
    const limit = this.shared.maxFileBytes;
    if (stat.size > limit) {
      this.skip(f.rel, false, f.real, { reason: 'too-large', detail: `${stat.size} bytes, limit ${limit}` });
      return;
    }
    this.shared.files.push({ root: this.root.name, absPath: f.abs, path: this.prefix + f.rel, size: stat.size, mtimeMs: stat.mtimeMs });
  }

  private skip(rel: string, isDir: boolean, real: string | undefined, refusal: Refusal): void {
    const where = rel === '' ? this.prefix || './' : this.prefix + rel + (isDir ? '/' : '');
    const entry: SkippedFile = { path: where, reason: refusal.reason, ...(refusal.detail ? { detail: refusal.detail } : {}) };
    this.shared.skipped.push(entry);
    if (real) this.refused.set(real, entry);
  }

  private fsRefusal(failure: Failure): Refusal {
    if (failure.kind === 'missing') return { reason: 'vanished', detail: failure.message };
    if (failure.kind === 'loop') return { reason: 'symlink-loop', detail: failure.message };
    return { reason: 'unreadable', detail: failure.message };
  }
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---- Content ----

/** Binary sniffing looks at the start only, as git and editors do. */
const SNIFF_BYTES = 8 * 1024;
/** Share of control characters (other than tab, line breaks, form feed and ESC) above which bytes are not text. */
const MAX_CONTROL_RATIO = 0.1;
/** Formats that minifiers and generators emit on a few enormous lines; prose (Markdown, text) legitimately has long lines. */
const MINIFIABLE = /\.(?:[cm]?js|jsx|tsx?|css|scss|sass|less|json|jsonc|html?|xml|svg)$/i;
const MINIFIED_MIN_CHARS = 1024;
/** Hand-written code averages well under 100 characters a line, blank lines included. */
const MINIFIED_AVG_LINE = 200;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Judges the bytes of a file: its text when it is worth indexing, or why not. The BOM is dropped and lone CR line
 * breaks become LF (editors count them as lines, so citations stay exact); CRLF is kept, since chunkers count '\n'.
 */
export function classifyContent(filePath: string, bytes: Uint8Array): ContentCheck {
  let text: string;
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  if (utf16) {
    try {
      text = new TextDecoder(utf16, { fatal: true }).decode(bytes);
    } catch {
      return { ok: false, reason: 'invalid-utf8', detail: `not valid ${utf16.toUpperCase()} despite its byte-order mark` };
    }
  } else {
    const binary = binaryEvidence(bytes.subarray(0, SNIFF_BYTES));
    if (binary) return { ok: false, reason: 'binary', detail: binary };
    try {
      text = UTF8.decode(bytes);
    } catch {
      return { ok: false, reason: 'invalid-utf8', detail: 'not valid UTF-8 (a legacy encoding such as Latin-1?)' };
    }
  }
  text = text.replace(/\r(?!\n)/g, '\n');
  if (PRIVATE_KEY.test(text)) return { ok: false, reason: 'secret', detail: 'contains a private key' };
  const minified = minifiedEvidence(filePath, text);
  if (minified) return { ok: false, reason: 'minified', detail: minified };
  return { ok: true, text };
}

function binaryEvidence(sample: Uint8Array): string | undefined {
  let control = 0;
  for (const b of sample) {
    if (b === 0) return 'contains NUL bytes';
    if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f) control++;
  }
  return sample.length > 0 && control / sample.length > MAX_CONTROL_RATIO
    ? `${Math.round((100 * control) / sample.length)}% control characters in its first ${sample.length} bytes`
    : undefined;
}

function minifiedEvidence(filePath: string, text: string): string | undefined {
  if (text.length < MINIFIED_MIN_CHARS || !MINIFIABLE.test(filePath)) return undefined;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  const average = text.length / lines;
  return average > MINIFIED_AVG_LINE ? `${lines} line${lines === 1 ? '' : 's'} averaging ${Math.round(average)} characters` : undefined;
}

/** Reads a discovered file and judges it. A file gone since discovery is 'vanished'; one grown past the limit is 'too-large'. */
export async function readAndClassify(fs: FileSystem, file: DiscoveredFile, maxBytes: number = DEFAULTS.maxFileBytes): Promise<ContentCheck> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file.absPath);
  } catch (error) {
    const failure = failureOf(error);
    return failure.kind === 'missing' ? { ok: false, reason: 'vanished' } : { ok: false, reason: 'unreadable', detail: failure.message };
  }
  if (bytes.byteLength > maxBytes) return { ok: false, reason: 'too-large', detail: `${bytes.byteLength} bytes, limit ${maxBytes}` };
  return classifyContent(file.path, bytes);
}

/** Reasons in a fixed order, so reports list them the same way every time. */
const REASON_ORDER: Record<SkipReason, number> = {
  secret: 0, gitignored: 1, 'default-excluded': 2, 'excluded-by-glob': 3, 'not-included': 4, 'too-large': 5, binary: 6,
  minified: 7, 'invalid-utf8': 8, 'symlink-outside-root': 9, 'symlink-loop': 10, unreadable: 11, vanished: 12,
};

/** Counts by reason, only the reasons that occur, in a fixed order. */
export function summarizeSkipped(skipped: readonly SkippedFile[]): Partial<Record<SkipReason, number>> {
  const counts = new Map<SkipReason, number>();
  for (const { reason } of skipped) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => REASON_ORDER[a] - REASON_ORDER[b]));
}
