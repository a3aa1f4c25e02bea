// Throwaway extension for the harness's own tests (test/vscode/suite/smoke.test.ts, test/vscode/e2e-smoke.ts).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

const SECRET_KEY = 'smoke.secret';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('smoke.hello', (name?: string) => {
      const greeting = `Hello, ${name ?? 'world'}!`;
      // Not awaited: the toast stays until dismissed and the command's caller only wants the value.
      void vscode.window.showInformationMessage(greeting);
      return greeting;
    }),
    // Stores a value in SecretStorage, reads it back, deletes it and reports what each step saw.
    vscode.commands.registerCommand('smoke.secretRoundTrip', async (value: string) => {
      await context.secrets.store(SECRET_KEY, value);
      const stored = await context.secrets.get(SECRET_KEY);
      await context.secrets.delete(SECRET_KEY);
      const afterDelete = await context.secrets.get(SECRET_KEY);
      return { stored, afterDelete };
    }),
    vscode.commands.registerCommand('smoke.showPanel', () => {
      const panel = vscode.window.createWebviewPanel('smoke.panel', 'Smoke Panel', vscode.ViewColumn.One, {
        enableScripts: false,
        localResourceRoots: [],
      });
      const nonce = randomBytes(16).toString('base64');
      panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<style nonce="${nonce}">body { font-family: sans-serif; }</style>
<title>Smoke Panel</title></head>
<body><h1 id="smoke-heading">Smoke webview is alive</h1></body></html>`;
      return panel.title;
    }),
  );
}

export function deactivate(): void {}
