// Proves UI driving of a real VS Code: code-server + Debian's Chromium + playwright-core. Opens the workbench with the
// smoke extension loaded for development, runs commands by name through the command palette (Ctrl+Shift+P), checks
// the notification and the webview they produce, and saves screenshots to test-results/.
//   npx tsx test/vscode/e2e-smoke.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, REPO_ROOT, startCodeServer, workbenchUrl } from './code-server';
import { buildSuite, prepareWorkspace, SMOKE_EXTENSION } from './launcher';
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
    await page.goto(workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: SMOKE_EXTENSION }));
    await waitForWorkbench(page);

    await runCommandFromPalette(page, 'Smoke: Hello');
    const toast = await waitForNotification(page, 'Hello, world!');
    console.log(`==> notification: ${toast.split('\n')[0]}`);
    await screenshot(page, 'e2e-smoke-command');

    await runCommandFromPalette(page, 'Smoke: Show Panel');
    const frame = await findInWebviews(page, '#smoke-heading');
    const heading = (await frame.locator('#smoke-heading').innerText()).trim();
    if (heading !== 'Smoke webview is alive') throw new Error(`unexpected webview heading: ${JSON.stringify(heading)}`);
    console.log(`==> webview: ${heading}`);
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
