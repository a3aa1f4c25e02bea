// The engine's FileSystem over vscode.workspace.fs, so indexing reads files where they live (Remote-SSH, WSL,
// containers). Errors pass through: the engine reads FileSystemError codes (FileNotFound, NoPermissions...) as it
// reads Node's.
import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import type { EntryType, FileSystem } from '../core/types';

type VsFileSystem = Pick<vscode.FileSystem, 'readDirectory' | 'stat' | 'readFile'>;

/** FileType is a bit mask: a link to a file is SymbolicLink | File. */
function entryType(type: vscode.FileType, reportLinks: boolean): EntryType {
  if (reportLinks && type & vscode.FileType.SymbolicLink) return 'symlink';
  if (type & vscode.FileType.Directory) return 'dir';
  if (type & vscode.FileType.File) return 'file';
  return 'other';
}

export class WorkspaceFileSystem implements FileSystem {
  constructor(
    private readonly fs: VsFileSystem,
    /** Canonical paths need the real file system: workspace.fs has no realpath. The extension host runs where the files are. */
    private readonly realpath: (p: string) => Promise<string> = fsp.realpath,
  ) {}

  async readDir(absPath: string) {
    const entries = await this.fs.readDirectory(vscode.Uri.file(absPath));
    return entries.map(([name, type]) => ({ name, type: entryType(type, true) }));
  }

  async stat(absPath: string) {
    const s = await this.fs.stat(vscode.Uri.file(absPath));
    // workspace.fs reports a dangling link as a bare SymbolicLink; node's stat (which this mirrors) fails instead.
    if (s.type === vscode.FileType.SymbolicLink) throw vscode.FileSystemError.FileNotFound(vscode.Uri.file(absPath));
    return { type: entryType(s.type, false), size: s.size, mtimeMs: s.mtime };
  }

  realPath(absPath: string): Promise<string> {
    return this.realpath(absPath);
  }

  readFile(absPath: string): Promise<Uint8Array> {
    return Promise.resolve(this.fs.readFile(vscode.Uri.file(absPath)));
  }
}
