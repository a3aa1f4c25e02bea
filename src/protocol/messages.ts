// Every message between the extension and the chat webview, as zod schemas. Both sides import this module and parse
// everything they receive; a message that does not parse is rejected and logged, never acted on.
import * as z from 'zod';
import {
  MAX_ACTION_LABEL,
  MAX_ERROR_MESSAGE,
  MAX_HISTORY_CONTENT,
  MAX_HISTORY_MESSAGES,
  MAX_LANGUAGE,
  MAX_NOTICE,
  MAX_NOTICES,
  MAX_PATH,
  MAX_QUESTION,
  MAX_SAVED_ANSWER,
  MAX_SAVED_TURNS,
  MAX_TURN_ID,
} from './limits';

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

/** Why an answer is incomplete: cut off at its token limit, empty, or its stream ended before the end. */
const incompleteReason = z.enum(['length', 'empty', 'cut-off']);
export type IncompleteReason = z.infer<typeof incompleteReason>;

/** What one answer fell back to and why (e.g. keyword-only for this question), shown above that answer only. */
const notice = z.string().min(1).max(MAX_NOTICE);
const notices = z.array(notice).max(MAX_NOTICES);
const count = z.number().int().min(0);

/** How an answer is coming along before its first word. */
const answerProgress = z.discriminatedUnion('kind', [
  /** BitNet reads the prompt: `newTokens` of its `promptTokens` are not in the server's cache and take about `estimatedMs`. */
  z.object({ kind: z.literal('reading'), promptTokens: count, newTokens: count, estimatedMs: z.number().min(0) }),
  /** The endpoint is busy (HTTP 429): the answer is retried once after `ms`. */
  z.object({ kind: z.literal('waiting'), ms: z.number().min(0) }),
  /** This answer fell back (keyword-only retrieval, or the sources alone); the message says why. */
  z.object({ kind: z.literal('fallback'), message: notice }),
]);
export type AnswerProgressView = z.infer<typeof answerProgress>;
export type ReadingProgress = Extract<AnswerProgressView, { kind: 'reading' }>;

const savedTurn = z.object({
  id: turnId,
  question: z.string().max(MAX_QUESTION),
  answer: z.string().max(MAX_SAVED_ANSWER),
  sources: z.array(sourceView),
  cited: z.array(z.number().int()),
  footer: z.string().optional(),
  error: z.string().optional(),
  incomplete: incompleteReason.optional(),
  notices: notices.optional(),
});
export type SavedTurn = z.infer<typeof savedTurn>;

/** A conversation as the webview saves it and the host keeps it; `updatedAt` is the webview's clock at its last change. */
export const savedConversation = z.object({
  id: turnId,
  updatedAt: z.number().int().min(0),
  turns: z.array(savedTurn).max(MAX_SAVED_TURNS),
});
export type SavedConversation = z.infer<typeof savedConversation>;

export const fromWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** The conversation after a turn ended: the host keeps it, and every other chat view shows it too. */
  z.object({ type: z.literal('saveConversation'), conversation: savedConversation }),
  /** Show this conversation in every chat view (a new one: an id the host does not know yet). */
  z.object({ type: z.literal('openConversation'), id: turnId }),
  z.object({ type: z.literal('ask'), id: turnId, question: z.string().min(1).max(MAX_QUESTION), history: z.array(historyMessage).max(MAX_HISTORY_MESSAGES) }),
  z.object({ type: z.literal('stop'), id: turnId }),
  z.object({ type: z.literal('openSource'), path: relativePath, startLine: line, endLine: line }),
  z.object({ type: z.literal('command'), command: webviewCommand }),
]);
export type FromWebview = z.infer<typeof fromWebview>;

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
  z.object({ type: z.literal('progress'), id: turnId, progress: answerProgress }),
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
    /** False when the answer was cut off, empty or its stream ended early; `incomplete` says which. Its text and sources are kept. */
    complete: z.boolean(),
    incomplete: incompleteReason.optional(),
    /** What this answer fell back to and why, for this turn only (the `state` banners are the configured modes). */
    notices,
  }),
  z.object({ type: z.literal('stopped'), id: turnId }),
  /** The conversation every chat view shows: sent when a view is ready and whenever another view changes it. */
  z.object({ type: z.literal('conversation'), conversation: savedConversation }),
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
  /** The conversation shown and the time of its last change (absent in states saved before conversations had ids). */
  conversationId: turnId.optional(),
  updatedAt: z.number().int().min(0).optional(),
  turns: z.array(savedTurn).max(MAX_SAVED_TURNS),
  draft: z.string().optional(),
});
export type ChatState = z.infer<typeof chatState>;
