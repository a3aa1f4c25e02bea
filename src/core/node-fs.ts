// The engine's FileSystem over node:fs, used by the CLI and the tests. Errors pass through untouched: callers read
// their `code` (ENOENT, EACCES, ELOOP...) to tell a vanished file from an unreadable one.
import { promises as fsp, type Dirent } from 'node:fs';
import type { EntryType, FileSystem } from './types';

function typeOf(entry: Pick<Dirent, 'isSymbolicLink' | 'isDirectory' | 'isFile'>): EntryType {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  return 'other';
}

export const nodeFileSystem: FileSystem = {
  async readDir(absPath) {
    const entries = await fsp.readdir(absPath, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, type: typeOf(e) }));
  },
  async stat(absPath) {
    // fs.stat follows links, so a link reports its target's type; a dangling link throws ENOENT.
    const s = await fsp.stat(absPath);
    return { type: typeOf(s), size: s.size, mtimeMs: s.mtimeMs };
  },
  realPath: (absPath) => fsp.realpath(absPath),
  async readFile(absPath) {
    const buf = await fsp.readFile(absPath);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  },
};
