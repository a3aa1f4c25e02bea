// Ignore files: nested .gitignore and .ragignore, .git/info/exclude, and those of a repository enclosing the root.
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { FileSystem } from '../types';
import { readOptional } from './fs-errors';
import type { Named } from './named';

/** Git's default on the case-insensitive file systems of Windows and macOS. */
const IGNORE_CASE = process.platform === 'win32' || process.platform === 'darwin';

/** Rules of one ignore file, matched against paths relative to the folder holding it. */
export interface IgnoreLayer {
  ig: Ignore;
  /** Root-relative path → path relative to the file's folder: strip the folder, or prepend the way down from an ancestor. */
  strip: number;
  prefix: string;
  source: string;
  reason: 'gitignored' | 'excluded-by-glob';
  /** A .ragignore's literal negations: paths it re-includes even when a name rule would skip them. */
  named?: Named;
}

/** Deepest layer first, as in git: the last matching rule of the nearest file decides, and a negation re-includes. */
export function ignoredBy(layers: readonly IgnoreLayer[], rel: string, isDir: boolean): IgnoreLayer | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    const result = layer.ig.test(layer.prefix + rel.slice(layer.strip) + (isDir ? '/' : ''));
    if (result.ignored) return layer;
    if (result.unignored) return undefined;
  }
  return undefined;
}

export const layer = (rules: string, source: string, strip: number, prefix: string, reason: IgnoreLayer['reason']): IgnoreLayer => ({
  ig: ignore({ ignorecase: IGNORE_CASE }).add(rules),
  source,
  strip,
  prefix,
  reason,
});

/**
 * Ignore layers from the repository enclosing a root opened below its top: git applies the .gitignore files of the
 * folders above, and .git/info/exclude. Nothing when the root is not inside a repository.
 */
export async function enclosingRepositoryLayers(fs: FileSystem, rootReal: string): Promise<IgnoreLayer[]> {
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
