// Which index a set of folders maps to. Every host derives the workspace the same way, so the CLI and the extension
// opened on the same folders share one index.
import { createHash } from 'node:crypto';
import { failureOf } from './discover/fs-errors';
import { EngineError, errorMessage } from './errors';
import type { FileSystem } from './types';

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

/** A root folder of the workspace cannot be indexed now; nothing of its index is touched (an unmounted drive must not look like "every file was deleted"). */
export class WorkspaceRootError extends EngineError<'missing' | 'not-a-folder' | 'unreadable', { root: string }> {}

/** Proves every root is a folder that can be listed, before a run compares anything with the index. */
export async function checkRoots(roots: WorkspaceSpec['roots'], fs: FileSystem): Promise<void> {
  for (const { path: root } of roots) {
    let type;
    try {
      type = (await fs.stat(root)).type;
    } catch (error) {
      const missing = failureOf(error).kind === 'missing';
      throw new WorkspaceRootError(missing ? 'missing' : 'unreadable', `${root} ${missing ? 'does not exist' : `cannot be read: ${errorMessage(error)}`}; its index was left as it is.`, { root, cause: error });
    }
    if (type !== 'dir') throw new WorkspaceRootError('not-a-folder', `${root} is not a folder; its index was left as it is.`, { root });
    try {
      await fs.readDir(root);
    } catch (error) {
      throw new WorkspaceRootError('unreadable', `${root} cannot be read: ${errorMessage(error)}; its index was left as it is.`, { root, cause: error });
    }
  }
}
