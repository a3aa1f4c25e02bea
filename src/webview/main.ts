// Entry point of the chat webview bundle (esbuild, iife). The VS Code API handle stays inside this module's closure:
// it is never put on window, so nothing else on the page can post to the extension.
import type { ChatState, FromWebview } from '../protocol/messages';
import { ChatApp } from './app';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: ChatState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app');
if (!root) throw new Error('Workspace RAG: the chat view has no #app element');

const app = new ChatApp(root, {
  post: (message) => vscode.postMessage(message),
  state: { get: () => vscode.getState(), set: (state) => vscode.setState(state) },
  copy: (text) => navigator.clipboard.writeText(text),
});
window.addEventListener('message', (event: MessageEvent<unknown>) => app.receive(event.data));
root.querySelector<HTMLTextAreaElement>('textarea')?.focus();
