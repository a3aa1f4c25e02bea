// The engine's errors share one shape: `new XError(kind, message, details)`. `kind` is what hosts switch on to phrase
// their own remedy (the CLI names a flag or a variable, the extension a command or a setting), so messages stay
// host-neutral; `details` carries what the remedy needs (an HTTP status, the setting at fault) and the `cause`.

export class EngineError<Kind extends string, Details extends object = object> extends Error {
  readonly details: Details;

  constructor(
    readonly kind: Kind,
    message: string,
    details: Details & { cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    const { cause: _cause, ...rest } = details;
    this.details = rest as Details;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
