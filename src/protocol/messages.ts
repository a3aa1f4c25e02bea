// Every message between the extension and the chat webview, as zod schemas. Both sides import this module and parse
// everything they receive; a message that does not parse is rejected and logged, never acted on.
import * as z from 'zod';
import { MAX_ACTION_LABEL, MAX_ERROR_MESSAGE, MAX_HISTORY_CONTENT, MAX_HISTORY_MESSAGES, MAX_LANGUAGE, MAX_PATH, MAX_QUESTION, MAX_TURN_ID } from './limits';

const turnId = z.string().min(1).max(MAX_TURN_ID);
/** Workspace-relative POSIX path; the extension still resolves it against the workspace folders before opening. */
const relativePath = z
  .string()
  .min(1)
  .max(MAX_PATH)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\') && !/^[a-zA-Z]:/.test(p), 'a workspace-relative path');
const line = z.number().int().min(1);

const historyMessage = z.object({ role: z.enum(['user', 'assistant']), content: z.string().max(MAX_HISTORY_CONTENT) });

/** Commands a webview button may ask for: a closed list, never a free command id. */
export const webviewCommand = z.enum(['setCredentials', 'openSettings', 'indexWorkspace', 'showLog', 'showStatus']);

export const fromWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('ask'), id: turnId, question: z.string().min(1).max(MAX_QUESTION), history: z.array(historyMessage).max(MAX_HISTORY_MESSAGES) }),
  z.object({ type: z.literal('stop'), id: turnId }),
  z.object({ type: z.literal('openSource'), path: relativePath, startLine: line, endLine: line }),
  z.object({ type: z.literal('command'), command: webviewCommand }),
]);
export type FromWebview = z.infer<typeof fromWebview>;

export const sourceView = z.object({
  n: z.number().int().min(1),
  path: relativePath,
  startLine: line,
  endLine: line,
  language: z.string().max(MAX_LANGUAGE),
  /** The cited lines as indexed; shown escaped in the hover preview. */
  text: z.string(),
  /** The file's lines changed since indexing (the citation still opens). */
  stale: z.boolean(),
});
export type SourceView = z.infer<typeof sourceView>;

export const errorKind = z.enum(['neo4j', 'missing-key', 'auth', 'throttled', 'timeout', 'not-indexed', 'config', 'other']);

export const toWebview = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('state'),
    /** Labelled modes: no embeddings endpoint means keyword-only retrieval, no BitNet endpoint means retrieval-only answers. */
    keywordOnly: z.boolean(),
    retrievalOnly: z.boolean(),
    indexed: z.boolean(),
  }),
  z.object({ type: z.literal('prefill'), question: z.string().max(MAX_QUESTION) }),
  z.object({ type: z.literal('sources'), id: turnId, sources: z.array(sourceView) }),
  z.object({ type: z.literal('delta'), id: turnId, text: z.string() }),
  z.object({
    type: z.literal('done'),
    id: turnId,
    cited: z.array(z.number().int().min(1)),
    droppedCitations: z.number().int().min(0),
    mode: z.enum(['generated', 'retrieval-only', 'no-sources']),
    timings: z.object({ retrievalMs: z.number(), firstTokenMs: z.number().optional(), totalMs: z.number() }),
    usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }).optional(),
    /** Citations whose lines changed since the answer's sources were sent. */
    stale: z.array(z.number().int().min(1)),
  }),
  z.object({ type: z.literal('stopped'), id: turnId }),
  z.object({
    type: z.literal('error'),
    id: turnId.optional(),
    kind: errorKind,
    message: z.string().max(MAX_ERROR_MESSAGE),
    /** A button next to Retry, e.g. "Set Credentials". */
    action: z.object({ label: z.string().max(MAX_ACTION_LABEL), command: webviewCommand }).optional(),
  }),
]);
export type ToWebview = z.infer<typeof toWebview>;

/** The webview's persisted state (getState/setState), parsed on restore like any other input. */
export const chatState = z.object({
  turns: z.array(
    z.object({
      id: turnId,
      question: z.string(),
      answer: z.string(),
      sources: z.array(sourceView),
      cited: z.array(z.number().int()),
      footer: z.string().optional(),
      error: z.string().optional(),
    }),
  ),
  draft: z.string().optional(),
});
export type ChatState = z.infer<typeof chatState>;
