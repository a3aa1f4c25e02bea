// Maps the engine's errors to what the user sees: a protocol error kind, one clear sentence, and the button that fixes
// it. Used for notifications and for the chat's in-line errors alike, so both say the same thing.
import { z } from 'zod';
import { ConfigError } from '../core/config';
import { EmbeddingError } from '../core/embed';
import { ChatError } from '../core/generate';
import { errorMessage } from '../core/errors';
import { DimensionMismatchError, StoreUnavailableError } from '../core/engine';
import { MAX_ERROR_MESSAGE } from '../protocol/limits';
import type { errorKind, webviewCommand } from '../protocol/messages';
import type { Redact } from './log';
import { MissingSecretError, SECTION } from './settings';

export type ErrorKind = z.infer<typeof errorKind>;
export type WebviewCommand = z.infer<typeof webviewCommand>;

export interface UserError {
  kind: ErrorKind;
  message: string;
  action?: { label: string; command: WebviewCommand };
  /** The setting at fault, for "Open Settings". */
  setting?: string;
  /** The failure may pass by itself (a server down or busy): a notification offers Retry beside the action. */
  retry?: boolean;
}

const SET_CREDENTIALS = { label: 'Set Credentials', command: 'setCredentials' } as const;
const SIGN_IN = { label: 'Sign In', command: 'setCredentials' } as const;
const OPEN_SETTINGS = { label: 'Open Settings', command: 'openSettings' } as const;
const SHOW_LOG = { label: 'Show Log', command: 'showLog' } as const;

/** Whether the error is the user's own cancel (Stop, a cancelled progress), which is not reported as a failure. */
export function isCancellation(error: unknown): boolean {
  return (
    (error instanceof Error && error.name === 'AbortError') ||
    (error instanceof EmbeddingError && error.kind === 'cancelled') ||
    (error instanceof ChatError && error.kind === 'cancelled')
  );
}

export function describeError(error: unknown, redact: Redact): UserError {
  const described = describe(error);
  const message = redact(described.message);
  return { ...described, message: message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…` : message };
}

function describe(error: unknown): UserError {
  if (error instanceof ConfigError) {
    return { kind: 'config', message: `Setting ${error.details.setting}: expected ${error.details.expected}.`, action: OPEN_SETTINGS, setting: error.details.setting };
  }
  if (error instanceof MissingSecretError) return { kind: 'missing-key', message: error.message, action: SET_CREDENTIALS };
  if (error instanceof StoreUnavailableError) {
    switch (error.kind) {
      case 'auth':
        return { kind: 'neo4j', message: error.message, action: SET_CREDENTIALS };
      case 'auth-rate-limit':
        // The password may be right; new credentials would only count as another failed sign-in.
        return { kind: 'neo4j', message: error.message, retry: true };
      case 'database': {
        const setting = `${SECTION}.neo4j.database`;
        return { kind: 'config', message: `${error.message} Set ${setting} to an existing database.`, action: OPEN_SETTINGS, setting };
      }
      default:
        // A server that is down comes back by itself; only an address that cannot be right is a setting to fix.
        return error.details.badAddress
          ? { kind: 'neo4j', message: error.message, action: OPEN_SETTINGS, setting: `${SECTION}.neo4j.uri`, retry: true }
          : { kind: 'neo4j', message: error.message, action: SHOW_LOG, retry: true };
    }
  }
  if (error instanceof DimensionMismatchError) {
    return {
      kind: 'config',
      message:
        `The Neo4j vector index holds ${error.details.indexDimensions}-dimensional embeddings but ${SECTION}.azure.dimensions is ${error.details.configuredDimensions}. ` +
        `Set it back to ${error.details.indexDimensions}, or run "Workspace RAG: Clear Index" and choose "Everything" to start over.`,
      action: OPEN_SETTINGS,
      setting: `${SECTION}.azure.dimensions`,
    };
  }
  if (error instanceof EmbeddingError || error instanceof ChatError) {
    const endpointSetting = `${SECTION}.${error instanceof EmbeddingError ? 'azure.deployment' : 'bitnet.endpoint'}`;
    switch (error.kind) {
      case 'auth':
        // Entra ID: Set Credentials signs in with Microsoft (it asks for no key the sign-in replaces).
        return error.details.auth === 'entra'
          ? { kind: 'auth', message: `${error.message} Run "Workspace RAG: Set Credentials" to sign in with Microsoft.`, action: SIGN_IN }
          : { kind: 'auth', message: error.message, action: SET_CREDENTIALS };
      case 'throttled':
        return { kind: 'throttled', message: error.message };
      case 'context-length':
        return {
          kind: 'config',
          message: `${error.message} Even with fewer sources it did not fit: set ${SECTION}.bitnet.contextTokens to the context the server was started with (llama-server -c).`,
          action: OPEN_SETTINGS,
          setting: `${SECTION}.bitnet.contextTokens`,
        };
      case 'timeout':
        return { kind: 'timeout', message: error.message };
      case 'http':
        // A 404 is a wrong deployment, model or path: a setting, not a transient failure.
        return error.details.status === 404 ? { kind: 'config', message: error.message, action: OPEN_SETTINGS, setting: endpointSetting } : { kind: 'other', message: error.message };
      default:
        return { kind: 'other', message: error.message };
    }
  }
  return { kind: 'other', message: errorMessage(error) };
}
