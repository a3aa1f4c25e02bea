// The extension's log: a LogOutputChannel with levels. Every line passes through the redactor first, so a key that
// reaches an error message (a URL with credentials, an echoed header) never reaches the log file. Credentials written
// inside a URL are scrubbed whatever redactor the log is given.
import type * as vscode from 'vscode';
import { redactUrlSecrets } from '../core/config';
import { errorMessage } from '../core/errors';
import { REDACTED } from './secrets';

export type Redact = (text: string) => string;

export class Log {
  private readonly redact: Redact;

  constructor(
    private readonly channel: vscode.LogOutputChannel,
    redact: Redact,
  ) {
    this.redact = (text) => redactUrlSecrets(redact(text), REDACTED);
  }

  trace(message: string): void {
    this.channel.trace(this.redact(message));
  }
  debug(message: string): void {
    this.channel.debug(this.redact(message));
  }
  info(message: string): void {
    this.channel.info(this.redact(message));
  }
  warn(message: string): void {
    this.channel.warn(this.redact(message));
  }
  /** The stack goes to the debug level: useful when asked for, noise otherwise. */
  error(message: string, error?: unknown): void {
    this.channel.error(this.redact(error === undefined ? message : `${message}: ${errorMessage(error)}`));
    if (error instanceof Error && error.stack) this.channel.debug(this.redact(error.stack));
  }
  show(): void {
    this.channel.show(true);
  }
}
