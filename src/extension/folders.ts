// The workspace folders as the engine sees them (roots with unique names, one workspace id), and the reverse: a
// workspace-relative path from the index or the webview back to a file inside one of the folders, or nothing.
import { promises as fsp, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { workspaceFor, type WorkspaceSpec } from '../core/workspace';

export interface Folder {
  name: string;
  /** Absolute file-system path. */
  fsPath: string;
}

/** Roots in folder order. Multi-root paths are prefixed by the root's name, so duplicate names get a suffix. */
export function rootsOf(folders: readonly Folder[]): Array<{ name: string; path: string }> {
  const seen = new Map<string, number>();
  return folders.map((f) => {
    const base = f.name.replace(/[/\\]/g, '_') || 'folder';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { name: n === 1 ? base : `${base} (${n})`, path: f.fsPath };
  });
}

/** The workspace of these folders, by their real paths: a folder opened through a symlink shares its index with the folder itself. */
export function workspaceOf(folders: readonly Folder[], realpath: (p: string) => string = realpathOrSelf): WorkspaceSpec | undefined {
  return folders.length ? workspaceFor(rootsOf(folders).map((r) => ({ ...r, path: realpath(r.path) }))) : undefined;
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p; // gone or unreadable: the engine's root check reports it and leaves the index alone
  }
}

/**
 * The absolute path of a workspace-relative path, or undefined when it does not name a place inside a folder. The
 * lexical check refuses `..`, absolute and drive paths; the caller should also check the real path (see isReallyInside).
 */
export function resolveWorkspacePath(folders: readonly Folder[], relPath: string): { root: string; absPath: string } | undefined {
  if (!relPath || relPath.includes('\\') || relPath.includes('\0') || path.posix.isAbsolute(relPath) || /^[a-zA-Z]:/.test(relPath)) return undefined;
  const segments = relPath.split('/');
  if (segments.some((s) => s === '..' || s === '.' || s === '')) return undefined;
  const roots = rootsOf(folders);
  let root: { name: string; path: string } | undefined;
  let rest = segments;
  if (roots.length === 1) root = roots[0];
  else {
    root = roots.find((r) => r.name === segments[0]);
    rest = segments.slice(1);
  }
  if (!root || rest.length === 0) return undefined;
  const absPath = path.join(root.path, ...rest);
  return isInside(root.path, absPath) ? { root: root.path, absPath } : undefined;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** Follows links: a link inside the folder that points outside it is refused like a path outside it. */
export async function isReallyInside(root: string, absPath: string, realpath: (p: string) => Promise<string> = fsp.realpath): Promise<boolean> {
  try {
    return isInside(await realpath(root), await realpath(absPath));
  } catch {
    return false;
  }
}
