// BitNet generation: the prompt with numbered sources and its token accounting (prompt.ts), the streaming chat client
// (client.ts), and the streamed citation parser (citations.ts). Import from here: `import ... from './generate'`.
export { buildMessages, promptOverheadTokens, promptTokens, renderSource, sourceTokens, SYSTEM_PROMPT, type ChatMessage, type PromptSource } from './prompt';
export { ChatClient, ChatError, DEFAULT_MODEL, type ChatEvent } from './client';
export { CitationParser } from './citations';
