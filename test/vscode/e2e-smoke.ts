// Proves UI driving of a real VS Code: code-server + Debian's Chromium + playwright-core. Opens the workbench with the
// extension loaded for development, runs its commands by name through the command palette (Ctrl+Shift+P), checks
// the notification and the chat webview they produce, and saves screenshots to test-results/.
//   npx tsx test/vscode/e2e-smoke.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, REPO_ROOT, startCodeServer, workbenchUrl } from './code-server';
import { buildSuite, prepareWorkspace, REPO_EXTENSION } from './launcher';
import { findInWebviews, runCommandFromPalette, waitForNotification, waitForWorkbench } from './workbench';

const RESULTS = path.join(REPO_ROOT, 'test-results');

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`==> screenshot ${path.relative(REPO_ROOT, file)}`);
}

async function main(): Promise<void> {
  buildSuite();
  fs.mkdirSync(RESULTS, { recursive: true });
  const workspace = prepareWorkspace(undefined);
  const server = startCodeServer({ workspace });
  let browser: Browser | undefined;
  let page: Page | undefined;
  try {
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: REPO_EXTENSION }));
    await waitForWorkbench(page);

    // A fresh profile has no Neo4j password: the status command says so and offers to set it.
    await runCommandFromPalette(page, 'Workspace RAG: Show Index Status');
    const toast = await waitForNotification(page, 'Neo4j password is not set');
    console.log(`==> notification: ${toast.split('\n')[0]}`);
    await screenshot(page, 'e2e-smoke-command');

    await runCommandFromPalette(page, 'Workspace RAG: Open Chat');
    const frame = await findInWebviews(page, '#app');
    const children = await frame.locator('#app > *').count();
    if (children === 0) throw new Error('the chat webview rendered nothing into #app');
    console.log(`==> webview: #app has ${children} element(s)`);
    await screenshot(page, 'e2e-smoke-webview');
    console.log('e2e: 2 passed, 0 failed');
  } catch (error) {
    if (page) await screenshot(page, 'e2e-smoke-failure').catch(() => undefined);
    throw error;
  } finally {
    await browser?.close().catch(() => undefined);
    server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
