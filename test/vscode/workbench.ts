// Driving the VS Code workbench in a browser page with playwright-core: selectors of VS Code 1.100's DOM.
import type { Frame, Page } from 'playwright-core';

/** Waits until the workbench has rendered and its status bar is up (the extension host connection is made then). */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Opens the command palette with Ctrl+Shift+P, filters by `label` and picks the entry whose label is exactly that.
 * Commands contributed by extensions show only once the extension host has registered them, and an open palette does
 * not refresh: so it closes and reopens the palette until the entry appears.
 */
export async function runCommandFromPalette(page: Page, label: string, timeoutMs = 30_000): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  const entry = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
    .first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('Control+Shift+P');
    try {
      // A focused webview or Settings editor can keep the shortcut: then the title bar's command center opens the
      // same quick input. Just after a reload, an editor restored late takes the focus and closes it: try again.
      await input.waitFor({ state: 'visible', timeout: 2_000 }).catch(async () => {
        if (!(await input.isVisible())) await page.locator('.command-center .command-center-center').first().click();
        await input.waitFor({ state: 'visible', timeout: 5_000 });
      });
      await input.fill(`>${label}`, { timeout: 5_000 });
      await entry.waitFor({ state: 'visible', timeout: 2_000 });
      break;
    } catch (error) {
      if (Date.now() >= deadline) throw new Error(`no command labelled ${JSON.stringify(label)} in the palette`, { cause: error });
      if (await input.isVisible()) {
        await page.keyboard.press('Escape');
        await input.waitFor({ state: 'hidden', timeout: 5_000 });
      }
    }
  }
  await entry.click();
  // The palette closes, or its widget goes straight on to the command's own quick pick (Clear Index asks at once):
  // either way the command has started once the input no longer holds the palette's '>' query.
  const started = Date.now();
  while (await input.isVisible()) {
    if (!(await input.inputValue().catch(() => '')).startsWith('>')) return;
    if (Date.now() - started > timeoutMs) throw new Error(`the command ${JSON.stringify(label)} did not start within ${timeoutMs} ms`);
    await page.waitForTimeout(100);
  }
}

/**
 * Runs `command` from the palette and picks `label` in the quick pick it shows. A quick pick closes when it loses the
 * focus, and an editor closed just before can hand the focus on late (the chat's webview took it after "View: Close
 * Editor" in one of three runs): a pick that closes before the click is shown again by running the command again.
 */
export async function runCommandAndPick(page: Page, command: string, label: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await runCommandFromPalette(page, command, timeoutMs);
    try {
      await pickQuickItem(page, label, 5_000);
      return;
    } catch (error) {
      if (Date.now() >= deadline || (await page.locator('.quick-input-widget').isVisible())) throw error;
    }
  }
}

/** Picks the entry labelled exactly `label` in an open quick pick (e.g. one a command showed). */
async function pickQuickItem(page: Page, label: string, timeoutMs = 15_000): Promise<void> {
  const entry = page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
    .first();
  await entry.waitFor({ state: 'visible', timeout: timeoutMs });
  await entry.click({ timeout: timeoutMs });
}

/**
 * Types `value` into the open input box titled `title` and accepts it with Enter. Returns the input's type attribute,
 * so callers can check that a key was asked for in a password box.
 */
export async function fillInputBox(page: Page, title: string, value: string, timeoutMs = 15_000): Promise<string | null> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: timeoutMs });
  const input = widget.locator('input.input').first();
  const type = await input.getAttribute('type');
  await input.fill(value);
  await input.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout: timeoutMs });
  return type;
}

/** The text of the status bar entry containing `text` (codicons render as empty spans), once it shows. */
export async function waitForStatusBarText(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const item = page.locator('.statusbar .statusbar-item', { hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  return (await item.innerText()).trim();
}

/** The cursor and selection as the status bar shows them: "Ln 12, Col 5 (40 selected)". */
export async function editorSelection(page: Page, timeoutMs = 15_000): Promise<{ line: number; column: number; selected: number }> {
  const item = page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  const text = (await item.innerText()).trim();
  const match = /^Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/.exec(text);
  if (!match) throw new Error(`unexpected cursor status ${JSON.stringify(text)}`);
  return { line: Number(match[1]), column: Number(match[2]), selected: Number(match[3] ?? 0) };
}

/** The title of the active tab of the active editor group. */
export async function activeEditorTitle(page: Page, timeoutMs = 15_000): Promise<string> {
  const tab = page.locator('.editor-group-container.active .tab.active .label-name').first();
  await tab.waitFor({ state: 'visible', timeout: timeoutMs });
  return (await tab.innerText()).trim();
}

/** The text of a notification toast containing `text`, once it has finished sliding in. */
export async function waitForNotification(page: Page, text: string, timeoutMs = 30_000): Promise<string> {
  const toast = page.locator('.notification-toast.notification-fade-in-done', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return (await toast.innerText()).trim();
}

/**
 * Webview contents live in nested iframes (the webview host frame, then its active content frame), reachable only
 * through page.frames(). Returns the first frame where `selector` matches, polling until it appears.
 */
export async function findInWebviews(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      const count = await frame
        .locator(selector)
        .count()
        .catch(() => 0); // a frame navigating or detaching mid-query
      if (count > 0) return frame;
    }
    if (Date.now() >= deadline) throw new Error(`no webview frame has ${selector} after ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every webview content frame where `selector` matches now (e.g. the chat in the Activity Bar and in an editor tab). */
export async function webviewFramesWith(page: Page, selector: string): Promise<Frame[]> {
  const found: Frame[] = [];
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    const count = await frame
      .locator(selector)
      .count()
      .catch(() => 0); // a frame navigating or detaching mid-query
    if (count > 0) found.push(frame);
  }
  return found;
}

/** The tabs of every editor group whose label is `label`. */
export async function editorTabCount(page: Page, label: string): Promise<number> {
  return page.locator('.tabs-container .tab .label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }).count();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
