// The files and folders a client names for reindex, as the index names them (Source.path: relative to the root, and
// with several roots prefixed by the root's name). Agents pass absolute paths as often as relative ones; either must
// land inside the workspace, and a path that does not is refused with the folders it may name.
import * as path from 'node:path';
import type { WorkspaceSpec } from '../core/workspace';

export class PathScopeError extends Error {}

/**
 * Each given path as an index path ('' is the whole workspace). `realPath` resolves links of an absolute path that
 * exists (the roots are real paths); it returns undefined for one that does not, which may still name a deleted file.
 */
export function indexPaths(ws: WorkspaceSpec, given: string[], realPath: (p: string) => string | undefined): string[] {
  return [...new Set(given.map((p) => indexPath(ws, p.trim(), realPath)))];
}

function indexPath(ws: WorkspaceSpec, given: string, realPath: (p: string) => string | undefined): string {
  const several = ws.roots.length > 1;
  const folders = () => ws.roots.map((r) => (several ? `${r.name} (${r.path})` : r.path)).join(', ');
  if (path.isAbsolute(given)) {
    for (const candidate of unique([path.resolve(given), realPath(given)])) {
      // The innermost root holding it, should one root lie inside another.
      const inside = ws.roots
        .map((root) => ({ root, rel: path.relative(root.path, candidate) }))
        .filter(({ rel }) => rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)))
        .sort((a, b) => a.rel.length - b.rel.length)[0];
      if (inside) {
        const rel = inside.rel.split(path.sep).join('/');
        return several ? (rel ? `${inside.root.name}/${rel}` : inside.root.name) : rel;
      }
    }
    throw new PathScopeError(`${given} is outside the workspace (${folders()}): reindex updates files of the workspace only.`);
  }
  const rel = path.posix.normalize(given.replace(/\\/g, '/')).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (rel === '..' || rel.startsWith('../')) throw new PathScopeError(`${given} is outside the workspace (${folders()}): reindex updates files of the workspace only.`);
  if (rel === '.' || rel === '') return '';
  if (several && !ws.roots.some((r) => rel === r.name || rel.startsWith(`${r.name}/`))) {
    throw new PathScopeError(`${given}: with several workspace folders, a relative path starts with the folder's name (${ws.roots.map((r) => r.name).join(', ')}), as search results show it.`);
  }
  return rel;
}

const unique = (paths: Array<string | undefined>): string[] => [...new Set(paths.filter((p): p is string => p !== undefined))];
