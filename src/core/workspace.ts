// Which index a set of folders maps to. Every host derives the workspace the same way, so the CLI and the extension
// opened on the same folders share one index.
import { createHash } from 'node:crypto';

export interface WorkspaceSpec {
  id: string;
  name: string;
  roots: Array<{ name: string; path: string }>;
}

/** A stable id for a set of root folders: the same folders always map to the same index. */
export function workspaceFor(roots: Array<{ name: string; path: string }>, name = roots[0]?.name ?? 'workspace'): WorkspaceSpec {
  const key = roots.map((r) => r.path).sort().join('\n');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 20), name, roots };
}
