// The part of the VS Code API the host modules touch outside of an editor, implemented just enough to behave like
// the real thing (Uri paths, FileType bits, FileSystemError codes, events). Window and workspace calls that need a
// UI answer as a dismissed prompt would, and record what they were asked.
import * as path from 'node:path';

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
  ) {}
  static file(fsPath: string): Uri {
    return new Uri('file', '', path.posix.normalize(fsPath.replace(/\\/g, '/')));
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, base.authority, path.posix.join(base.path, ...parts));
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { scheme?: string; path?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, this.authority, change.path ?? this.path);
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${this.path}`;
  }
}

export enum FileType {
  Unknown = 0,
  File = 1,
  Directory = 2,
  SymbolicLink = 64,
}

export class FileSystemError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
  static FileNotFound(uri?: Uri): FileSystemError {
    return new FileSystemError('FileNotFound', `${uri?.toString() ?? 'file'} not found`);
  }
  static NoPermissions(uri?: Uri): FileSystemError {
    return new FileSystemError('NoPermissions', `${uri?.toString() ?? 'file'}: no permissions`);
  }
}

export class Disposable {
  constructor(private readonly callOnDispose: () => void) {}
  dispose(): void {
    this.callOnDispose();
  }
}

export type Event<T> = (listener: (e: T) => unknown) => Disposable;

export class EventEmitter<T> {
  private listeners = new Set<(e: T) => unknown>();
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export enum ExtensionMode {
  Production = 1,
  Development = 2,
  Test = 3,
}
export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
  Two = 2,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export class ThemeColor {
  constructor(readonly id: string) {}
}

/** What the host asked of the UI, for assertions. */
export const recorded = { messages: [] as Array<{ level: string; text: string }>, quickPicks: 0, inputBoxes: 0 };

export const window = {
  showInformationMessage: async (text: string) => void recorded.messages.push({ level: 'info', text }),
  showWarningMessage: async (text: string) => void recorded.messages.push({ level: 'warning', text }),
  showErrorMessage: async (text: string) => void recorded.messages.push({ level: 'error', text }),
  showQuickPick: async () => {
    recorded.quickPicks++;
    return undefined;
  },
  showInputBox: async () => {
    recorded.inputBoxes++;
    return undefined;
  },
  /** Runs the task at once with a progress that goes nowhere and a token that is never cancelled. */
  withProgress: <T>(_options: unknown, task: (progress: { report(v: unknown): void }, token: { onCancellationRequested: Event<void> }) => Promise<T>) =>
    task({ report: () => undefined }, { onCancellationRequested: new EventEmitter<void>().event }),
};

export const workspace = {
  workspaceFolders: undefined as unknown,
  getConfiguration: () => ({ get: (_key: string, fallback?: unknown) => fallback }),
  onDidChangeConfiguration: new EventEmitter<unknown>().event,
};

// The parts of the Language Model API the agents module builds its results from.
export class LanguageModelTextPart {
  constructor(public value: string) {}
}
export class LanguageModelToolResult {
  constructor(public content: unknown[]) {}
}
export class CancellationError extends Error {
  constructor() {
    super('Canceled');
    this.name = 'Canceled';
  }
}
