// File-system errors, from Node or from VS Code's workspace.fs, sorted into what discovery and reading tell apart.
import type { FileSystem } from '../types';

export type Failure = { kind: 'missing' | 'denied' | 'loop' | 'other'; message: string };

/** Node codes and the FileSystemError codes of VS Code's workspace.fs. */
export function failureOf(error: unknown): Failure {
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
export async function readOptional(fs: FileSystem, absPath: string): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await fs.readFile(absPath));
  } catch (error) {
    if (failureOf(error).kind === 'missing') return undefined;
    throw error;
  }
}
