// The size limits of the chat protocol, declared once: the schemas in messages.ts enforce them, and both sides import
// them to cut what they send to fit, so a long question or error is shortened instead of rejected.

/** Characters of a turn id. */
export const MAX_TURN_ID = 64;
/** Characters of a workspace-relative path. */
export const MAX_PATH = 4096;
/** Characters of a question (an ask, or a prefill of the input box). */
export const MAX_QUESTION = 20_000;
/** Messages of the history sent with a question. */
export const MAX_HISTORY_MESSAGES = 100;
/** Characters of one history message. */
export const MAX_HISTORY_CONTENT = 100_000;
/** Characters of a source's language name. */
export const MAX_LANGUAGE = 64;
/** Characters of an error message. */
export const MAX_ERROR_MESSAGE = 2000;
/** Characters of an error's action button label. */
export const MAX_ACTION_LABEL = 60;
/** Characters of a notice on one answer (what it fell back to and why), sent as progress and with `done`. */
export const MAX_NOTICE = 2000;
/** Notices on one answer. */
export const MAX_NOTICES = 8;
/** Turns of one conversation kept and sent (the webview's saved state, a conversation between it and the host). */
export const MAX_SAVED_TURNS = 50;
/** Characters of an answer as saved. */
export const MAX_SAVED_ANSWER = 100_000;
/** Characters of code a code block's Insert at Cursor may send. */
export const MAX_INSERT = 200_000;
/** Words of a weak match (the question's words no source mentions), and characters of each. */
export const MAX_WEAK_WORDS = 20;
export const MAX_WEAK_WORD = 200;
/** Conversations the history keeps (the oldest go first). */
export const MAX_CONVERSATIONS = 30;
/** Characters of a conversation's title (its first question). */
export const MAX_TITLE = 120;
/** Example questions in the chat's empty state, and characters of each. */
export const MAX_EXAMPLES = 6;
export const MAX_EXAMPLE = 200;
