// The walk: `discover` lists the roots through the FileSystem interface only (the extension drives it over
// workspace.fs), deciding from names, ignore files, globs and stat, and says why each file or folder it leaves out is
// skipped.
import * as path from 'node:path';
import { mapLimit } from '../concurrency';
import { indexingSchema, type IndexingConfig } from '../config';
import type { DiscoveredFile, FileSystem, SkippedFile, SkipReason } from '../types';
import { failureOf, type Failure, readOptional } from './fs-errors';
import { compileGlobs, type Globs } from './globs';
import { enclosingRepositoryLayers, ignoredBy, type IgnoreLayer, layer } from './ignore-files';
import { namedByRagignore, naming, type Naming } from './named';
import { defaultExcluded, DOTNET_PROJECT, secretName } from './rules';

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

const DEFAULTS = indexingSchema.parse({});
/** Parallel stats per directory: hides latency (workspace.fs may be remote) without flooding the thread pool. */
const STAT_CONCURRENCY = 16;

interface Dir {
  abs: string;
  /** Canonical path: the parent's real path plus the name, unless reached through a link. */
  real: string;
  /** Root-relative POSIX path, '' for the root. */
  rel: string;
  /** Ignore rules of the folders above. */
  layers: readonly IgnoreLayer[];
  /**
   * Set inside a folder skipped by its name (secret or default-excluded) that is walked because a path inside it is
   * named: only the way to the named paths is walked, anything else is refused as the folder would have been.
   */
  reopened?: Refusal;
}

/** What the entries of one folder are judged by. */
interface Scope {
  layers: readonly IgnoreLayer[];
  inDotnetProject: boolean;
  reopened?: Refusal;
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
  /** Real paths of the files listed, with their paths: a link to one of them is the same file under another name. */
  private readonly listed = new Map<string, string>();
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
    await mapLimit(files, STAT_CONCURRENCY, async (f) => {
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
      if (rules === undefined) continue;
      const parsed = layer(rules, this.prefix + joinRel(dir.rel, parts.join('/')), strip, '', reason);
      added.push(parts[0] === '.ragignore' ? { ...parsed, named: namedByRagignore(rules, dir.rel) } : parsed);
    }
    return [...dir.layers, ...added];
  }

  /**
   * Rules that need only the path: the name rules first (secret names, then default exclusions), which a path named
   * literally in an include glob or a .ragignore negation overrides; then ignore files and globs.
   */
  private checkPath(rel: string, name: string, isDir: boolean, scope: Scope): Refusal | undefined {
    const paths = this.pathsOf(rel);
    const named = this.naming(rel, isDir, scope);
    const byName = named ? undefined : this.nameRefusal(name, isDir, scope);
    if (byName) return byName;
    if (scope.reopened && !named) return scope.reopened;
    const ignoredByLayer = ignoredBy(scope.layers, rel, isDir);
    if (ignoredByLayer) return { reason: ignoredByLayer.reason, detail: `by ${ignoredByLayer.source}` };
    const glob = this.globs.isExcluded(paths);
    if (glob) return { reason: 'excluded-by-glob', detail: `by ${glob}` };
    if (isDir ? !this.globs.mayContainIncluded(paths) : !this.globs.isIncluded(paths)) return { reason: 'not-included' };
    return undefined;
  }

  /** The refusal of a name rule: a secret name, or a default exclusion. */
  private nameRefusal(name: string, isDir: boolean, scope: Scope): Refusal | undefined {
    const lower = name.toLowerCase();
    if (secretName(lower, isDir)) return { reason: 'secret', detail: 'may hold credentials' };
    const category = defaultExcluded(lower, isDir, scope.inDotnetProject);
    return category ? { reason: 'default-excluded', detail: category } : undefined;
  }

  /** Globs match the prefixed path or the root-relative one. */
  private pathsOf(rel: string): string[] {
    return this.prefix ? [this.prefix + rel, rel] : [rel];
  }

  /** How the include globs and the .ragignore files in scope name the entry. */
  private naming(rel: string, isDir: boolean, scope: Scope): Naming {
    let found = naming(this.globs.named, this.pathsOf(rel), isDir);
    for (const l of scope.layers) if (found !== 'self' && l.named) found = naming(l.named, [rel], isDir) ?? found;
    return found;
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
    const refusal = this.checkPath(link.rel, link.name, isDir, link.scope) ?? this.refusedTarget(real);
    if (refusal) {
      this.skip(link.rel, isDir, undefined, refusal);
      return;
    }
    // A target inside the root was listed or refused by its real path in the plain walk, which comes first; so a link
    // to a folder is a loop or a duplicate, and a link to a file is that file again: it is indexed once, by its real path.
    const seen = isDir
      ? this.visited.has(real) && (targetRel === '' ? 'the root' : this.prefix + targetRel.split(path.sep).join('/'))
      : this.listed.get(real);
    if (seen) {
      const detail = isDir ? `leads back to ${seen}, already walked` : `the same file as ${seen}, indexed by its real path`;
      this.skip(link.rel, isDir, undefined, { reason: 'symlink-loop', detail });
    } else if (secretName(path.basename(real).toLowerCase(), isDir)) {
      // Only when a file system's real paths differ from the walk's: the target's name still keeps secrets out.
      this.skip(link.rel, isDir, undefined, { reason: 'secret', detail: 'its target may hold credentials' });
    } else if (isDir) {
      this.visited.add(real);
      await this.walk(this.subdir(link.abs, real, link.rel, link.name, link.scope));
    } else {
      this.addFile({ abs: link.abs, rel: link.rel, real }, target);
    }
  }

  /**
   * A folder that passed checkPath. Named itself, it is walked like any folder; reached because a path inside it is
   * named, despite its name rule or inside a folder reopened so, only the way to the named paths is walked.
   */
  private subdir(abs: string, real: string, rel: string, name: string, scope: Scope): Dir {
    const named = this.naming(rel, true, scope);
    const reopened = named === 'self' ? undefined : (scope.reopened ?? this.nameRefusal(name, true, scope));
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
    this.listed.set(f.real, this.prefix + f.rel);
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
