// The UI end to end, as a user meets it: the .vsix from `vsce package` installed into code-server (VS Code 1.100),
// settings in the user settings.json, keys typed into the Set Credentials password boxes, then Index Workspace, a
// streamed answer, a citation's hover preview and its jump to the cited lines, a hostile workspace file whose
// HTML, scripts and links must stay inert, the same conversation in the Activity Bar view, a third question kept in
// view below the others (Jump to latest), Escape stopping a stream while the next question waits its turn, a
// retrieval-only answer's code with Insert at Cursor, and a conversation reopened from the history after a reload. Real Neo4j (scripts/neo4j.sh, NEO4J_* honoured); the Azure embeddings
// and BitNet protocol servers of test/servers run in this process on 127.0.0.1.
//   npx tsx test/e2e/chat.e2e.ts [--update-images]        (npm run test:e2e)
// Screenshots of every step go to test-results/; --update-images also writes the README's docs/images/chat.png,
// hover.png and history.png (off by default, so a test run leaves the repository unchanged).
// Environment: CODE_SERVER_PORT (default: a free port), CHROMIUM_PATH, NEO4J_*, E2E_KEEP=1 keeps the temp folder.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Frame, Page } from 'playwright-core';
import { neo4jTestConfig, prepareTestDatabase, TEST_DIMENSIONS } from '../integration/neo4j-env';
import { startEmbeddingServer } from '../servers/azure-embeddings';
import { startChatServer } from '../servers/chat-completions';
import { launchChromium, REPO_ROOT, startCodeServer, workbenchUrl, type CodeServer } from '../vscode/code-server';
import {
  activeEditorTitle,
  editorSelection,
  editorTabCount,
  findInWebviews,
  runCommandAndPick,
  runCommandFromPalette,
  waitForNotification,
  waitForStatusBarText,
  waitForWorkbench,
  webviewFramesWith,
} from '../vscode/workbench';

const RESULTS = path.join(REPO_ROOT, 'test-results');
const IMAGES = path.join(REPO_ROOT, 'docs', 'images');
const { values: args } = parseArgs({ options: { 'update-images': { type: 'boolean', default: false } } });
const DEMO = path.join(REPO_ROOT, 'samples', 'demo-workspace');
/** Keys no real service has; the protocol servers accept only these. */
const AZURE_KEY = 'sk-FAKE-e2e-azure-51c8d2e97a04';
const BITNET_KEY = 'sk-FAKE-e2e-bitnet-a3f06b8e12d7';
const BITNET_API_VERSION = '2024-05-01-preview';
/** Slow enough that the answer is seen growing, fast enough to keep the run short. */
const CHUNK_DELAY_MS = 120;
const STEP_TIMEOUT_MS = 60_000;

const QUESTION = 'How often does Pebble write snapshots to disk, and how do I change the interval?';
const HOSTILE_QUESTION = 'How are Pebble webhook notifications delivered and retried?';
const HOSTILE_PATH = 'docs/hostile.md';
const THIRD_QUESTION = 'How do I install Pebble on Linux?';
const RING_QUESTION = 'How does the snapshot ring buffer pick the second newest snapshot?';
/** Deep enough that its folder part cannot fit beside the file name in the chat tab. */
const RING_PATH = 'src/storage/snapshots/retention/policies/ring-buffer/implementation/ring.ts';
/** Code whose `[1]` would become a citation chip if a snippet were rendered as markdown text. */
const RING_SOURCE = [
  '// The snapshot ring buffer keeps the newest snapshots first.',
  'export function secondNewestSnapshot(ring: string[]): string {',
  '  // [1] is the second newest snapshot in the ring buffer.',
  '  return ring[1];',
  '}',
  '',
].join('\n');

/**
 * A workspace file that attacks the chat: every payload would leave a marker if it ran (a window property, the
 * document title, a dialog, or a request to `beacon`). The webhook words make the fake model cite and quote it.
 */
function hostileMarkdown(beacon: string): string {
  const run = (name: string) => `window.__pwned=1;window.parent.__pwned=1;document.title='PWNED';alert('${name}');fetch('${beacon}/${name}')`;
  return [
    '# Webhook notifications',
    '',
    `Pebble webhook notifications are delivered over HTTP POST <script>${run('script')}</script> and retried three times.`,
    '',
    `Webhook notifications are retried with backoff <img src=x onerror="${run('img-onerror')}"> after a failed delivery.`,
    '',
    `A webhook notification that keeps failing is dropped <svg onload="${run('svg-onload')}"><circle r="9"/></svg> and logged.`,
    '',
    `Read [the webhook delivery guide](javascript:${run('js-link')}) before enabling webhook notifications.`,
    '',
    `<a href="javascript:${run('html-link')}">webhook notifications settings</a>`,
    '',
    `<iframe src="${beacon}/iframe" onload="${run('iframe-onload')}"></iframe>`,
    '',
    `![webhook notification diagram](${beacon}/markdown-image)`,
    '',
    `<img src="${beacon}/img-src" alt="webhook notifications">`,
    '',
    `<style>body { display: none }</style><meta http-equiv="refresh" content="0;url=${beacon}/meta-refresh">`,
    '',
    `<details open ontoggle="${run('details-ontoggle')}"><summary>webhook notifications</summary></details>`,
    '',
    `Webhook notifications carry a long signature: ${'W'.repeat(3000)}`,
    '',
    `Webhook notifications payload example: ${'{"event":"set","key":"greeting"} '.repeat(80)}`,
    '',
  ].join('\n');
}

// ---- Small local servers ----

interface Beacon {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

/** Records every request: the hostile payloads point here, so any hit means one of them ran or loaded. */
async function startBeacon(): Promise<Beacon> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/pwned`, hits, close: () => closeServer(server) };
}

interface Gate {
  url: string;
  /** Requests that passed through, with the key they presented. */
  keys: string[];
  open(): void;
  close(): Promise<void>;
}

/**
 * A pass-through to the embeddings server that holds requests until open() is called: the test sees indexing in
 * progress (notification and status bar) without depending on how fast the machine is.
 */
async function startGate(target: string): Promise<Gate> {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const keys: string[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    keys.push(String(req.headers['api-key'] ?? req.headers.authorization ?? ''));
    void opened.then(() => {
      const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, keys, open: release, close: () => closeServer(server) };
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

// ---- Steps ----

class StepFailure extends Error {}

class Steps {
  passed = 0;
  failed = 0;
  private page: Page | undefined;

  attach(page: Page): void {
    this.page = page;
  }

  /** Runs one step; a failure is reported with the step's name and a screenshot, and ends the run. */
  async run<T>(name: string, body: () => Promise<T>): Promise<T> {
    console.log(`==> ${name}`);
    try {
      const result = await body();
      this.passed++;
      console.log(`    ok: ${name}`);
      return result;
    } catch (error) {
      this.failed++;
      const shot = this.page ? await screenshot(this.page, `e2e-failed-${slug(name)}`).catch(() => undefined) : undefined;
      const message = error instanceof Error ? error.message : String(error);
      throw new StepFailure(`step "${name}" failed: ${message}${shot ? `\n    screenshot: ${path.relative(REPO_ROOT, shot)}` : ''}`, { cause: error });
    }
  }
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

async function screenshot(page: Page, name: string, dir = RESULTS): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`    screenshot ${path.relative(REPO_ROOT, file)}`);
  return file;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Lines start..end (1-based, inclusive) of a workspace file, as the editor shows them. */
function fileLines(workspace: string, relPath: string, start: number, end: number): string[] {
  return fs.readFileSync(path.join(workspace, relPath), 'utf8').split(/\r?\n/).slice(start - 1, end);
}

async function poll<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = STEP_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---- Chat webview ----

interface PreviewView {
  path: string;
  numbers: number[];
  lines: string[];
}

/** The chat webview's content frame, its newest turn and the preview, as the user sees them. */
class ChatFrame {
  constructor(readonly frame: Frame) {}

  private turn() {
    return this.frame.locator('article.turn').last();
  }

  /** Types a question and presses Enter; the new turn and its question must be in view at once. */
  async ask(question: string): Promise<void> {
    const input = this.frame.locator('textarea.input');
    const before = await this.frame.locator('article.turn').count();
    await input.click();
    await input.fill(question);
    await input.press('Enter');
    await poll(async () => ((await this.frame.locator('article.turn').count()) > before ? true : undefined), `a new turn for ${JSON.stringify(question)}`, 10_000);
    const view = await this.lastTurnView();
    check(view.question === question, `the newest turn asks ${JSON.stringify(view.question)}, not ${JSON.stringify(question)}`);
    check(view.questionInView, `the question just sent is off-screen: ${JSON.stringify(view)}`);
    check((await input.inputValue()) === '', 'the input still holds the question after Enter');
  }

  /** Where the newest turn is in the transcript's viewport: its question, and the end of the transcript. */
  async lastTurnView(): Promise<{ question: string; questionInView: boolean; endInView: boolean; jumpShown: boolean }> {
    return this.frame.evaluate(() => {
      const transcript = document.querySelector<HTMLElement>('.transcript')!;
      const turns = document.querySelectorAll<HTMLElement>('article.turn');
      const question = turns[turns.length - 1]?.querySelector<HTMLElement>('.question');
      const box = transcript.getBoundingClientRect();
      const q = question?.getBoundingClientRect();
      return {
        question: question?.textContent ?? '',
        questionInView: q !== undefined && q.top >= box.top - 1 && q.top < box.bottom - 10,
        endInView: transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight <= 16,
        jumpShown: !document.querySelector<HTMLElement>('.jump-latest')!.hidden,
      };
    });
  }

  /** The answer's text at each change until the turn finishes: a streamed answer is seen at several lengths. */
  async watchAnswer(): Promise<string[]> {
    const turn = this.turn();
    const seen: string[] = [];
    await poll(async () => {
      const [text, streaming] = await Promise.all([turn.locator('.answer').innerText(), turn.evaluate((el) => el.classList.contains('streaming'))]);
      if (text.trim() && text !== seen.at(-1)) seen.push(text);
      return streaming ? undefined : true;
    }, 'the answer to finish');
    const error = await turn.locator('.turn-error').innerText();
    check(!error.trim(), `the answer ended in an error: ${error.trim()}`);
    return seen;
  }

  /** Each turn's question and answer text, as shown. */
  async transcript(): Promise<Array<{ question: string; answer: string }>> {
    return this.frame.locator('article.turn').evaluateAll((turns) =>
      turns.map((t) => ({ question: t.querySelector('.question')?.textContent ?? '', answer: t.querySelector('.answer')?.textContent?.trim() ?? '' })),
    );
  }

  async sourcePaths(): Promise<string[]> {
    // The text, not the rendering: the folder and the file name are two boxes of a line.
    return this.turn().locator('.source-list .source-path').allTextContents();
  }

  chips() {
    return this.turn().locator('.answer button.chip');
  }

  /** Hovers a chip and reads the preview it opens. */
  async hover(chip: ReturnType<ChatFrame['chips']>): Promise<PreviewView> {
    await chip.hover();
    const preview = this.frame.locator('#source-preview');
    await preview.waitFor({ state: 'visible', timeout: 10_000 });
    const lines = preview.locator('.preview-line');
    return {
      path: (await preview.locator('.preview-path').innerText()).trim(),
      numbers: (await lines.locator('.ln').allTextContents()).map(Number),
      lines: await lines.locator('.lt').allTextContents(),
    };
  }

  /** Moves the pointer off the transcript so the preview closes. */
  async leave(page: Page): Promise<void> {
    await page.mouse.move(2, 2);
    await this.frame.locator('#source-preview').waitFor({ state: 'hidden', timeout: 10_000 });
  }
}

/** Elements and attributes that must never come out of rendering answers or previews. */
async function activeContent(frame: Frame): Promise<string[]> {
  return frame.evaluate(() => {
    const found: string[] = [];
    const forbidden = 'script, img, svg, iframe, frame, object, embed, style, link, meta, base, form, video, audio, details, a, math';
    for (const root of Array.from(document.querySelectorAll('.transcript, #source-preview'))) {
      for (const el of Array.from(root.querySelectorAll(forbidden))) found.push(`<${el.tagName.toLowerCase()}>`);
      for (const el of Array.from(root.querySelectorAll('*'))) {
        for (const attr of Array.from(el.attributes)) {
          if (/^on/i.test(attr.name) || ['href', 'src', 'srcdoc', 'style', 'action', 'formaction'].includes(attr.name)) found.push(`${el.tagName.toLowerCase()}[${attr.name}]`);
        }
      }
    }
    return found;
  });
}

/** Markers a payload would have left in any frame: the __pwned property or the PWNED title. */
async function markers(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const frame of page.frames()) {
    const state = await frame
      .evaluate(() => ({ pwned: (window as unknown as { __pwned?: unknown }).__pwned, title: document.title }))
      .catch(() => undefined); // a frame detaching mid-query
    if (!state) continue;
    if (state.pwned !== undefined) found.push(`window.__pwned in ${frame.url()}`);
    if (state.title === 'PWNED') found.push(`title PWNED in ${frame.url()}`);
  }
  return found;
}

// ---- The run ----

/**
 * The extension's settings split as VS Code keeps them: the machine-scoped ones (`scope: machine` in the manifest:
 * the endpoints and the Neo4j URI) as machine settings, the rest as user settings, as scripts/demo.sh writes them.
 */
function byScope(settings: Record<string, unknown>): { user: Record<string, unknown>; machine: Record<string, unknown> } {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { scope?: string }> } } };
  const user: Record<string, unknown> = {};
  const machine: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) (manifest.contributes.configuration.properties[key]?.scope === 'machine' ? machine : user)[key] = value;
  return { user, machine };
}

function packageExtension(dir: string): string {
  const vsix = path.join(dir, 'workspace-rag.vsix');
  const result = spawnSync('npx', ['--no-install', '@vscode/vsce', 'package', '--out', vsix], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0 || !fs.existsSync(vsix)) throw new Error(`vsce package failed (${result.status ?? result.signal})`);
  console.log(`==> packaged ${vsix} (${(fs.statSync(vsix).size / 1e6).toFixed(2)} MB)`);
  return vsix;
}

async function main(): Promise<void> {
  const neo4jConfig = neo4jTestConfig();
  await prepareTestDatabase(neo4jConfig);
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'workspace-rag-e2e-'));
  // Outside the repository, whose .gitignore would hide the files from the indexer.
  const workspace = path.join(temp, 'pebble');
  fs.cpSync(DEMO, workspace, { recursive: true });
  const beacon = await startBeacon();
  fs.writeFileSync(path.join(workspace, HOSTILE_PATH), hostileMarkdown(beacon.url));
  fs.mkdirSync(path.dirname(path.join(workspace, RING_PATH)), { recursive: true });
  fs.writeFileSync(path.join(workspace, RING_PATH), RING_SOURCE);

  const embeddings = await startEmbeddingServer({ apiKey: AZURE_KEY, dimensions: TEST_DIMENSIONS });
  const gate = await startGate(embeddings.url);
  const chat = await startChatServer({ apiKey: BITNET_KEY, apiVersion: BITNET_API_VERSION, behaviour: { chunkDelayMs: CHUNK_DELAY_MS } });
  const steps = new Steps();
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let ok = false;
  const dialogs: string[] = [];
  const popups: string[] = [];
  const diagnostics: string[] = [];
  try {
    const vsix = packageExtension(temp);
    const { user, machine } = byScope({
      'workspaceRag.neo4j.uri': neo4jConfig.uri,
      'workspaceRag.neo4j.username': neo4jConfig.username,
      'workspaceRag.neo4j.database': neo4jConfig.database,
      'workspaceRag.azure.endpoint': gate.url,
      'workspaceRag.azure.deployment': 'text-embedding-3-small',
      'workspaceRag.azure.dimensions': TEST_DIMENSIONS,
      'workspaceRag.bitnet.endpoint': chat.azureEndpoint,
      'workspaceRag.bitnet.authStyle': 'api-key',
      'workspaceRag.bitnet.apiVersion': BITNET_API_VERSION,
    });
    server = startCodeServer({ workspace, home: path.join(temp, 'code-server'), vsix, settings: user, machineSettings: machine });
    // code-server runs in its own process group: stop it when the run is interrupted, too.
    const started = server;
    process.once('SIGINT', () => {
      started.stop();
      process.exit(130);
    });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    steps.attach(page);
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('popup', (popup) => popups.push(popup.url()));
    page.on('console', (m) => diagnostics.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => diagnostics.push(`[pageerror] ${e.message}`));

    await steps.run('open the workbench with the installed extension: its walkthrough opens on this first run', async () => {
      await page.goto(workbenchUrl(server!, { folder: workspace }));
      await waitForWorkbench(page);
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'docs' }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
      const walkthrough = page.locator('.gettingStartedContainer', { hasText: 'Get started with Workspace RAG' });
      await walkthrough.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
      // Its pages fit the editor: nothing scrolls sideways in the step's media (the credentials table did).
      const overflow = await page.locator('.gettingStartedContainer .getting-started-media').evaluate((el) => el.scrollWidth - el.clientWidth).catch(() => 0);
      check(overflow <= 1, `the walkthrough's page is ${overflow}px wider than its column`);
      await screenshot(page, 'e2e-walkthrough');
      await runCommandFromPalette(page, 'View: Close Editor');
      await walkthrough.waitFor({ state: 'detached', timeout: 10_000 });
    });

    await steps.run('set credentials in one flow of password boxes, one for each key the settings need', async () => {
      await runCommandFromPalette(page, 'Workspace RAG: Set Credentials');
      const keys: Array<[string, string]> = [
        ['Neo4j password (1/3)', neo4jConfig.password],
        ['Azure OpenAI API key (2/3)', AZURE_KEY],
        ['BitNet API key (3/3)', BITNET_KEY],
      ];
      const widget = page.locator('.quick-input-widget');
      for (const [label, value] of keys) {
        const title = widget.locator('.quick-input-title', { hasText: `Workspace RAG: ${label}` });
        await title.waitFor({ state: 'visible', timeout: 15_000 });
        const input = widget.locator('input.input').first();
        check((await input.getAttribute('type')) === 'password', `the ${label} box is not a password box`);
        await input.fill(value);
        await input.press('Enter');
        await title.waitFor({ state: 'hidden', timeout: 15_000 });
      }
      const said = await waitForNotification(page, 'Neo4j password saved in the secret storage');
      check(/Azure OpenAI API key saved/.test(said) && /BitNet API key saved/.test(said), `the flow did not save every key: ${said}`);
    });

    await steps.run('index the workspace from the palette', async () => {
      await runCommandFromPalette(page, 'Workspace RAG: Index Workspace');
      // The gate holds the embedding requests: indexing is in progress until it opens.
      const progress = page.locator('.notification-toast', { hasText: 'Workspace RAG' }).filter({ has: page.locator('.monaco-progress-container.active') });
      await progress.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
      await waitForStatusBarText(page, /RAG: indexing \d+%/);
      await poll(async () => (gate.keys.length > 0 ? true : undefined), 'the first embeddings request');
      await screenshot(page, 'e2e-indexing');
      gate.open();
      const done = await waitForNotification(page, 'written', STEP_TIMEOUT_MS);
      check(/\d+ files? updated/.test(done) && /tokens embedded/.test(done), `unexpected completion message: ${done}`);
      await progress.first().waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
      const status = await waitForStatusBarText(page, 'RAG: up to date');
      check(gate.keys.every((k) => k === AZURE_KEY), 'an embeddings request did not carry the key typed into the password box');
      console.log(`    ${done.split('\n')[0]} | status bar: ${status}`);
      await screenshot(page, 'e2e-indexed');
    });

    const chatFrame = await steps.run('open the chat', async () => {
      await runCommandFromPalette(page, 'Notifications: Clear All Notifications');
      await runCommandFromPalette(page, 'Workspace RAG: Open Chat');
      const frame = new ChatFrame(await findInWebviews(page, 'textarea.input', STEP_TIMEOUT_MS));
      // The host's state message removes the "not indexed" banner once it knows the index.
      await frame.frame.locator('.banner', { hasText: 'not indexed' }).waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
      return frame;
    });

    const firstChip = await steps.run('ask and watch the answer stream in', async () => {
      await chatFrame.ask(QUESTION);
      const seen = await chatFrame.watchAnswer();
      check(seen.length >= 3, `the answer was seen at ${seen.length} length(s); a streamed answer grows over several`);
      for (let i = 1; i < seen.length; i++) check(seen[i].length > seen[i - 1].length, `the answer shrank while streaming: ${JSON.stringify(seen.slice(i - 1, i + 1))}`);
      const chips = chatFrame.chips();
      check((await chips.count()) > 0, `the answer cites nothing: ${seen.at(-1)}`);
      const sources = await chatFrame.sourcePaths();
      check(sources.length > 0, 'no Sources list under the answer');
      const request = chat.requests.at(-1);
      check(request?.headers['api-key'] === BITNET_KEY, 'the chat request did not carry the BitNet key typed into the password box');
      check(request.query['api-version'] === BITNET_API_VERSION, 'the chat request lacks the configured api-version');
      console.log(`    seen at ${seen.length} lengths; answer: ${seen.at(-1)}\n    sources: ${sources.join(', ')}`);
      await screenshot(page, 'e2e-answer');
      return chips.first();
    });

    await steps.run('the Activity Bar view and Open Chat show the same conversation, in one editor tab', async () => {
      const expected = await chatFrame.transcript();
      await page.locator('.activitybar .action-item a[aria-label^="Workspace RAG"]').first().click();
      const view = await poll(async () => {
        const frames = (await webviewFramesWith(page, 'textarea.input')).filter((f) => f !== chatFrame.frame);
        return frames.length === 1 ? new ChatFrame(frames[0]) : undefined;
      }, 'the chat in the Activity Bar view');
      const shown = await poll(async () => {
        const t = await view.transcript();
        return t.length === expected.length ? t : undefined;
      }, 'the view to show the conversation of the editor tab');
      check(JSON.stringify(shown) === JSON.stringify(expected), `the view shows another conversation:\n      view ${JSON.stringify(shown)}\n      tab  ${JSON.stringify(expected)}`);
      await screenshot(page, 'e2e-same-conversation');
      // Open Chat again brings the tab forward rather than opening a second, empty chat.
      await runCommandFromPalette(page, 'Workspace RAG: Open Chat');
      await poll(async () => ((await activeEditorTitle(page).catch(() => '')) === 'Workspace RAG Chat' ? true : undefined), 'the chat tab in front');
      const tabs = await editorTabCount(page, 'Workspace RAG Chat');
      check(tabs === 1, `Open Chat opened ${tabs} chat tabs`);
      await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
    });

    const cited = await steps.run('hover a citation: the preview shows the cited lines', async () => {
      const preview = await chatFrame.hover(firstChip);
      check(preview.lines.length > 0, 'the preview shows no lines');
      const start = preview.numbers[0];
      const end = preview.numbers.at(-1)!;
      check(
        preview.numbers.every((n, i) => n === start + i),
        `preview line numbers are not consecutive: ${preview.numbers.join(',')}`,
      );
      const actual = fileLines(workspace, preview.path, start, end);
      check(
        JSON.stringify(actual) === JSON.stringify(preview.lines),
        `the preview of ${preview.path}:${start}-${end} differs from the file:\n      preview ${JSON.stringify(preview.lines)}\n      file    ${JSON.stringify(actual)}`,
      );
      console.log(`    preview: ${preview.path}:${start}-${end}`);
      await screenshot(page, 'e2e-hover');
      if (args['update-images']) await screenshot(page, 'hover', IMAGES);
      return { path: preview.path, start, end };
    });

    await steps.run('click the citation: the editor shows the cited lines selected', async () => {
      const opened = () =>
        poll(async () => {
          const t = await activeEditorTitle(page).catch(() => undefined);
          return t === path.basename(cited.path) ? t : undefined;
        }, `an editor titled ${path.basename(cited.path)}`, 15_000);
      await firstChip.click();
      // Once more if the first click went to the preview it had just shown (seen once in ten runs); opening is idempotent.
      const title = await opened().catch(async () => {
        await firstChip.click();
        return opened();
      });
      const lines = fileLines(workspace, cited.path, cited.start, cited.end);
      // openSource selects from the start of the first line to the end of the last; the cursor sits at the end.
      const expected = { line: cited.end, column: lines.at(-1)!.length + 1, selected: lines.join('\n').length };
      const selection = await poll(async () => {
        const s = await editorSelection(page).catch(() => undefined);
        return s && s.line === expected.line && s.selected > 0 ? s : undefined;
      }, `the cursor on line ${expected.line} with a selection`);
      check(
        selection.column === expected.column && selection.selected === expected.selected,
        `selection ${JSON.stringify(selection)} is not lines ${cited.start}-${cited.end} (${JSON.stringify(expected)})`,
      );
      // Monaco renders spaces as no-break spaces, and wraps a long line at a space.
      const words = (text: string) => text.replace(/[\s\u00a0]+/g, ' ').trim();
      const visible = words(await page.locator('.editor-group-container.active .view-lines').innerText());
      check(visible.includes(words(lines[0])), `the editor does not show the first cited line ${JSON.stringify(lines[0])}`);
      console.log(`    editor: ${title}, Ln ${selection.line}, Col ${selection.column} (${selection.selected} selected)`);
      await chatFrame.leave(page).catch(() => undefined);
      await screenshot(page, 'e2e-jump');
      if (args['update-images']) await screenshot(page, 'chat', IMAGES);
    });

    await steps.run('a hostile workspace file stays inert in answers and previews', async () => {
      await chatFrame.frame.locator('textarea.input').click();
      await chatFrame.ask(HOSTILE_QUESTION);
      const seen = await chatFrame.watchAnswer();
      const view = await chatFrame.lastTurnView();
      check(view.endInView && !view.jumpShown, `the finished second answer is not in view: ${JSON.stringify(view)}`);
      const sources = await chatFrame.sourcePaths();
      check(
        sources.some((s) => s.startsWith(`${HOSTILE_PATH}:`)),
        `the answer does not cite ${HOSTILE_PATH}; sources: ${sources.join(', ')}; answer: ${seen.at(-1)}`,
      );
      const chips = chatFrame.chips();
      let hostile: PreviewView | undefined;
      for (let i = 0; i < (await chips.count()) && !hostile; i++) {
        const preview = await chatFrame.hover(chips.nth(i));
        if (preview.path === HOSTILE_PATH) hostile = preview;
        else await chatFrame.leave(page);
      }
      check(hostile, `no chip of the answer previews ${HOSTILE_PATH}`);
      const actual = fileLines(workspace, HOSTILE_PATH, hostile.numbers[0], hostile.numbers.at(-1)!);
      check(JSON.stringify(actual) === JSON.stringify(hostile.lines), `the hostile preview differs from the file's lines ${hostile.numbers[0]}-${hostile.numbers.at(-1)}`);
      check(hostile.lines.some((l) => l.includes('<script>') || l.includes('onerror=')), 'the preview does not show the payloads as text');
      await screenshot(page, 'e2e-hostile');
      // Payloads that ran would need a moment to reach the beacon; the DOM check below does not depend on it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const problems = [
        ...(await activeContent(chatFrame.frame)).map((e) => `rendered ${e}`),
        ...(await markers(page)),
        ...beacon.hits.map((h) => `beacon hit: ${h}`),
        ...dialogs.map((d) => `dialog ${d}`),
        ...popups.map((p) => `popup ${p}`),
      ];
      check(problems.length === 0, `hostile content was not inert:\n      ${problems.join('\n      ')}`);
      // Control: payloads run on purpose are seen, so the checks above can fail. Webview frames are sandboxed without
      // allow-modals (alert there is a no-op), so the dialog control runs in the workbench page.
      await chatFrame.frame.evaluate(() => void ((window as unknown as { __pwned?: number }).__pwned = 1));
      await page.evaluate(() => alert('control'));
      const control = await markers(page);
      check(control.length > 0, 'the marker check missed window.__pwned set on purpose in the chat frame');
      check(dialogs.some((d) => d.endsWith('control')), 'the dialog check missed an alert() run on purpose');
      await chatFrame.frame.evaluate(() => delete (window as unknown as { __pwned?: number }).__pwned);
      const overflow = await chatFrame.frame.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      check(overflow <= 1, `very long lines make the chat scroll sideways by ${overflow}px`);
      console.log(`    ${HOSTILE_PATH} cited and previewed; nothing ran (no marker, beacon hit, dialog, popup or active element)`);
    });

    await steps.run("the keyboard: an answer's chips are one tab stop moved along with the arrows, a focused chip's preview leaves it in view, focusing the chat view focuses its input", async () => {
      await chatFrame.leave(page).catch(() => undefined);
      const frame = chatFrame.frame;
      const turn = frame.locator('article.turn').first();
      const chips = turn.locator('.answer button.chip');
      const count = await chips.count();
      check(count >= 2, `the first answer has ${count} chip(s); the check needs two`);
      const stops = await chips.evaluateAll((els) => els.map((e) => (e as HTMLElement).tabIndex));
      check(stops.filter((t) => t === 0).length === 1, `the chips of one answer are ${stops.filter((t) => t === 0).length} tab stops: ${JSON.stringify(stops)}`);
      await chips.first().focus();
      await page.keyboard.press('ArrowRight');
      check(await chips.nth(1).evaluate((e) => e === document.activeElement), 'ArrowRight did not move to the next chip');
      const preview = frame.locator('#source-preview');
      await preview.waitFor({ state: 'visible', timeout: 10_000 });
      const [chipBox, previewBox] = await Promise.all([chips.nth(1).boundingBox(), preview.boundingBox()]);
      check(chipBox && previewBox, 'no box for the chip or its preview');
      const overlaps = chipBox.x < previewBox.x + previewBox.width && previewBox.x < chipBox.x + chipBox.width && chipBox.y < previewBox.y + previewBox.height && previewBox.y < chipBox.y + chipBox.height;
      check(!overlaps, `the preview covers its chip: chip ${JSON.stringify(chipBox)}, preview ${JSON.stringify(previewBox)}`);
      await screenshot(page, 'e2e-keyboard-preview');
      // Tab leaves the answer's chips at once.
      await page.keyboard.press('Tab');
      check(!(await frame.evaluate(() => document.activeElement?.matches('.answer button.chip') ?? false)), 'Tab moved to another chip of the answer');
      await page.keyboard.press('Escape');
      // Focusing the chat view (here the Activity Bar one, by its command) puts the cursor in its input.
      await runCommandFromPalette(page, 'Workspace RAG: Focus on Chat View');
      const view = await poll(async () => {
        for (const f of await webviewFramesWith(page, 'textarea.input')) {
          if (f === frame) continue;
          if (await f.evaluate(() => document.hasFocus() && document.activeElement?.matches('textarea.input')).catch(() => false)) return f;
        }
        return undefined;
      }, 'the input of the chat view to have the focus', 15_000);
      await page.keyboard.type('typed after focusing the view');
      check((await view.locator('textarea.input').inputValue()) === 'typed after focusing the view', 'keys typed after focusing the view did not reach its input');
      await view.locator('textarea.input').fill('');
      await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
      await frame.locator('textarea.input').click();
    });

    await steps.run('a third question and its answer are scrolled into view and followed, below the long answers', async () => {
      await chatFrame.leave(page).catch(() => undefined);
      // A shorter window, so the two answers above fill the transcript and a question sent without scrolling would
      // land below its viewport.
      await page.setViewportSize({ width: 1400, height: 560 });
      await chatFrame.ask(THIRD_QUESTION);
      const scrolled = await chatFrame.frame.evaluate(() => {
        const t = document.querySelector<HTMLElement>('.transcript')!;
        return { scrollTop: t.scrollTop, overflow: t.scrollHeight - t.clientHeight };
      });
      check(scrolled.overflow > 0 && scrolled.scrollTop > 0, `the transcript did not overflow its viewport, so the check proves nothing: ${JSON.stringify(scrolled)}`);
      await chatFrame.watchAnswer();
      const view = await chatFrame.lastTurnView();
      check(view.endInView && !view.jumpShown, `the finished third answer is not in view: ${JSON.stringify(view)}`);
      // Reading further up stops the following and offers Jump to latest, which brings the end back.
      // The pointer on the transcript's padding, not on a chip (whose preview would cover the control).
      await chatFrame.frame.locator('.transcript').hover({ position: { x: 3, y: 60 } });
      await page.mouse.wheel(0, -5000);
      const jump = chatFrame.frame.locator('.jump-latest');
      await jump.waitFor({ state: 'visible', timeout: 10_000 });
      await jump.click();
      await poll(async () => ((await chatFrame.lastTurnView()).endInView ? true : undefined), 'the end of the transcript after Jump to latest', 10_000);
      await jump.waitFor({ state: 'hidden', timeout: 10_000 });
      await screenshot(page, 'e2e-third-question');
      await page.setViewportSize({ width: 1400, height: 860 });
      // The workbench lays itself out again after a resize; a quick pick opened during that shows no rows.
      await page.waitForTimeout(1000);
    });

    await steps.run('a retrieval-only answer shows its sources as code, where a [1] stays text; Insert puts the code at the cursor', async () => {
      // BitNet fails before its first word: the answer falls back to the sources alone.
      chat.setFault({ kind: 'server-error', status: 500, times: 20 });
      try {
        await chatFrame.ask(RING_QUESTION);
        await chatFrame.watchAnswer();
      } finally {
        chat.setFault(null);
      }
      const turn = chatFrame.frame.locator('article.turn').last();
      const snippet = turn.locator('.snippet', { has: chatFrame.frame.locator('.source-path', { hasText: `${RING_PATH}:` }) });
      await snippet.waitFor({ state: 'visible', timeout: 10_000 });
      check((await snippet.locator('.code-lang').innerText()).trim() === 'typescript', 'the snippet is not a TypeScript code block');
      const code = await snippet.locator('pre code').innerText();
      check(code.includes('return ring[1];') && code.includes('// [1] is the second newest'), `the snippet does not show the code as text: ${JSON.stringify(code)}`);
      check((await turn.locator('.answer button.chip').count()) === 0, 'a [n] of a retrieval-only answer became a citation chip');
      check((await turn.locator('.turn-sources .source').count()) === 0, 'the sources are listed twice: as snippets and again as a Sources list');
      // A long path keeps its file name and lines whole; its folder part gives way.
      const header = snippet.locator('.source-path');
      // No helper function inside: the browser gets this function's text, without the names tsx adds to helpers.
      const fit = await header.evaluate((el) => {
        const file = el.querySelector<HTMLElement>('.source-file')!;
        const dir = el.querySelector<HTMLElement>('.source-dir')!;
        return { file: file.textContent, fileCut: file.scrollWidth > file.clientWidth + 1, dirCut: dir.scrollWidth > dir.clientWidth + 1 };
      });
      check(fit.file === 'ring.ts:1–5' && !fit.fileCut, `the file name of a long path is not whole: ${JSON.stringify(fit)}`);
      check(fit.dirCut, `the long folder part was not shortened, so the check proves nothing: ${JSON.stringify(fit)}`);
      const notices = await turn.locator('.turn-notice').allInnerTexts();
      check(notices.length === 1 && /Retrieval-only/.test(notices[0]), `the fallback is not explained once above the answer: ${JSON.stringify(notices)}`);
      await screenshot(page, 'e2e-retrieval-only');
      // Insert at Cursor: into the editor used last (configuration.md, beside the chat), over the lines the citation
      // selected there.
      await snippet.locator('button.insert').click();
      await poll(async () => {
        const text = (await page.locator('.editor-group-container.active .view-lines').innerText().catch(() => '')).replace(/\u00a0/g, ' ');
        return text.includes('secondNewestSnapshot') ? true : undefined;
      }, 'the inserted code in the editor', 10_000);
      check((await activeEditorTitle(page)) === 'configuration.md', 'the code went somewhere other than the editor used last');
      await page.keyboard.press('Control+Z');
      await chatFrame.frame.locator('textarea.input').click();
    });

    await steps.run('Escape stops a streaming answer, which keeps its sources; Enter while it streams queues the next question', async () => {
      const frame = chatFrame.frame;
      const input = frame.locator('textarea.input');
      await chatFrame.ask(QUESTION);
      // Pinned by its id: once the queued question is asked, the last turn is another one.
      const id = await frame.locator('article.turn').last().getAttribute('data-turn');
      const streaming = frame.locator(`article.turn[data-turn="${id}"]`);
      await poll(async () => ((await streaming.locator('.answer').innerText()).trim() ? true : undefined), 'the first words of the answer', 30_000);
      const stop = frame.locator('button.stop');
      check((await stop.innerText()).trim() === 'Stop', `the Stop button reads ${JSON.stringify(await stop.innerText())}`);
      check((await frame.locator('.composer-status').innerText()).startsWith('Generating'), 'no generating state while the answer streams');
      const turns = await frame.locator('article.turn').count();
      await input.fill(THIRD_QUESTION);
      await input.press('Enter');
      await frame.locator('.queued', { hasText: THIRD_QUESTION }).waitFor({ state: 'visible', timeout: 5_000 });
      check((await frame.locator('article.turn').count()) === turns, 'Enter while streaming started another answer at once');
      await screenshot(page, 'e2e-streaming');
      await input.press('Escape');
      await poll(async () => ((await streaming.locator('.turn-footer').innerText()).trim() === 'Stopped' ? true : undefined), 'the answer to stop', 10_000);
      check((await streaming.locator('.source-list .source-path').count()) > 0, 'the stopped answer lost its sources');
      // The queued question goes as soon as the stopped answer has ended.
      await poll(async () => ((await frame.locator('article.turn').count()) === turns + 1 ? true : undefined), 'the queued question to be asked', 10_000);
      check((await frame.locator('article.turn').last().locator('.question').innerText()) === THIRD_QUESTION, 'the newest turn is not the queued question');
      await chatFrame.watchAnswer();
      check(await frame.locator('.queued').isHidden(), 'the queued question is still shown after it was asked');
    });

    await steps.run('Ask About Selection attaches exactly the selected lines and shows the question as text and code; the editor tab shows it too', async () => {
      // Lines 6-8 of configuration.md (a heading, a blank line, a table's head; none wraps, since Shift+Down moves by
      // screen lines), selected the usual way: from the start of line 6, Shift+Down three times, so the selection
      // ends at the start of line 9.
      await page.locator('.editor-group-container .tab .label-name', { hasText: /^configuration\.md$/ }).first().click();
      await page.keyboard.press('Control+G');
      await page.keyboard.type('6');
      await page.keyboard.press('Enter');
      for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowDown');
      await poll(async () => ((await editorSelection(page).catch(() => undefined))?.line === 9 ? true : undefined), 'the selection to end on line 9', 10_000);
      await runCommandFromPalette(page, 'Workspace RAG: Ask About Selection');
      const view = await poll(async () => {
        for (const f of await webviewFramesWith(page, '.attachment:not([hidden])')) if (f !== chatFrame.frame) return new ChatFrame(f);
        return undefined;
      }, 'the chat view with the selection attached');
      const where = await view.frame.locator('.attachment-where').innerText();
      check(where === 'docs/configuration.md:6–8', `the attached selection is ${JSON.stringify(where)}, not lines 6–8`);
      const input = view.frame.locator('textarea.input');
      check((await input.inputValue()) === 'What does this code do?', `the input holds ${JSON.stringify(await input.inputValue())}`);
      const turns = await chatFrame.frame.locator('article.turn').count();
      await input.press('Enter');
      await view.watchAnswer();
      const bubble = view.frame.locator('article.turn').last().locator('.question');
      const text = await bubble.innerText();
      check(!text.includes('```'), `the question shows markdown fences: ${JSON.stringify(text)}`);
      check((await bubble.locator('.question-where').innerText()) === 'docs/configuration.md:6–8', 'the question does not say where its code is from');
      const code = (await bubble.locator('.code-block code').innerText()).split('\n');
      check(JSON.stringify(code) === JSON.stringify(fileLines(workspace, 'docs/configuration.md', 6, 8)), `the attached code is not lines 6-8: ${JSON.stringify(code)}`);
      await screenshot(page, 'e2e-ask-about-selection');
      // The editor tab's chat shows the same turn once it has ended.
      await poll(async () => ((await chatFrame.frame.locator('article.turn').count()) === turns + 1 ? true : undefined), 'the editor tab to show the question asked in the view', 15_000);
      await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
      await chatFrame.frame.locator('textarea.input').click();
    });

    await steps.run('New Chat keeps each conversation in the history, which reopens one after a reload', async () => {
      const frame = chatFrame.frame;
      const first = (await chatFrame.transcript()).map((t) => t.question);
      await frame.locator('button.new-chat').click();
      await poll(async () => ((await frame.locator('article.turn').count()) === 0 ? true : undefined), 'an empty conversation after New Chat', 10_000);
      // The empty conversation offers questions made from the indexed workspace: its README's title, a heading, a
      // top-level folder. One click asks one.
      const examples = frame.locator('.examples button.example');
      await examples.first().waitFor({ state: 'visible', timeout: 15_000 });
      const offered = await examples.allInnerTexts();
      check(offered.includes('What is Pebble?') && offered.some((q) => /^What is in the (docs|src) folder\?$/.test(q)), `the examples are ${JSON.stringify(offered)}`);
      await screenshot(page, 'e2e-examples');
      await examples.first().click();
      await chatFrame.watchAnswer();
      const asked = (await chatFrame.transcript()).map((t) => t.question);
      check(JSON.stringify(asked) === JSON.stringify([offered[0]]), `clicking an example asked ${JSON.stringify(asked)}`);
      await frame.locator('button.new-chat').click();
      // Time for New Chat's message to reach the extension before the window goes away.
      await page.waitForTimeout(1000);
      // A reload of the whole window: the kept conversations come back from the extension's workspace state.
      await page.reload();
      await waitForWorkbench(page);
      await runCommandFromPalette(page, 'Workspace RAG: Open Chat');
      const restored = new ChatFrame(await findInWebviews(page, 'button.history-toggle', STEP_TIMEOUT_MS));
      await restored.frame.locator('button.history-toggle').click();
      const entries = restored.frame.locator('.history-open');
      await poll(async () => ((await entries.count()) === 2 ? true : undefined), 'two conversations in the history', 10_000);
      const titles = await entries.locator('.history-title').allInnerTexts();
      check(JSON.stringify(titles) === JSON.stringify([offered[0], QUESTION]), `the history lists ${JSON.stringify(titles)}`);
      await screenshot(page, 'e2e-history');
      if (args['update-images']) await screenshot(page, 'history', IMAGES);
      await entries.nth(1).click();
      const shown = await poll(async () => {
        const questions = (await restored.transcript()).map((t) => t.question);
        return questions.length === first.length ? questions : undefined;
      }, 'the first conversation to come back', 10_000);
      check(JSON.stringify(shown) === JSON.stringify(first), `the reopened conversation differs:\n      ${JSON.stringify(shown)}\n      ${JSON.stringify(first)}`);
      check((await restored.frame.locator('.answer button.chip').count()) > 0, 'the reopened answers lost their citations');
    });

    await steps.run('a setting edited in the Settings editor keeps the endpoints and the Neo4j URI the machine settings give', async () => {
      await runCommandFromPalette(page, 'Preferences: Open Settings (UI)');
      const editor = page.locator('.settings-editor');
      await editor.waitFor({ state: 'visible', timeout: 15_000 });
      // The search box has the focus; the list shows the one setting once the search has run.
      await page.keyboard.type('workspaceRag.bitnet.firstTokenSeconds');
      await editor.locator('.settings-count-widget', { hasText: '1 Setting Found' }).waitFor({ state: 'visible', timeout: 15_000 });
      const box = editor.locator('.setting-item-contents', { hasText: 'First Token Seconds' }).locator('input').first();
      await box.waitFor({ state: 'visible', timeout: 15_000 });
      await box.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.type('9');
      await page.keyboard.press('Tab');
      // The focus leaves the Settings editor, whose focused controls keep the palette's shortcut.
      await page.locator('.tabs-container .tab', { hasText: 'configuration.md' }).first().click();
      const userSettings = path.join(temp, 'code-server', 'user-data', 'User', 'settings.json');
      await poll(async () => (/"workspaceRag\.bitnet\.firstTokenSeconds": 9/.test(fs.readFileSync(userSettings, 'utf8')) ? true : undefined), 'the edit in the user settings.json', 15_000);
      // The extension takes the change (once the typing settled), and still reaches the Neo4j, Azure and BitNet of
      // the machine settings rather than falling back to the defaults.
      await page.waitForTimeout(2500);
      await runCommandFromPalette(page, 'Workspace RAG: Show Index Status');
      const view = page.locator('.editor-group-container.active .view-lines');
      const text = await poll(async () => {
        const t = (await view.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
        return t.includes('Neo4j') ? t : undefined;
      }, 'the index status');
      for (const expected of [neo4jConfig.uri, gate.url, chat.azureEndpoint]) check(text.includes(expected), `after the settings edit the status does not name ${expected}:\n${text}`);
      await waitForStatusBarText(page, 'RAG: up to date');
      await screenshot(page, 'e2e-settings-edit');
    });

    await steps.run('without a BitNet endpoint, one banner explains retrieval-only mode: it collapses, stays collapsed after a reload, and opens the BitNet endpoint setting', async () => {
      // The machine settings hold the endpoints: the BitNet one emptied there, as a user would in the Settings editor.
      const machineSettings = path.join(temp, 'code-server', 'user-data', 'Machine', 'settings.json');
      const original = fs.readFileSync(machineSettings, 'utf8');
      fs.writeFileSync(machineSettings, JSON.stringify({ ...JSON.parse(original), 'workspaceRag.bitnet.endpoint': '' }, null, 2));
      const openChat = async () => {
        // From the editor beside the chat: a focused webview or Settings editor keeps the palette's shortcut.
        await page.locator('.tabs-container .tab', { hasText: 'configuration.md' }).first().click();
        await runCommandFromPalette(page, 'Workspace RAG: Open Chat');
        return new ChatFrame(await findInWebviews(page, 'textarea.input', STEP_TIMEOUT_MS));
      };
      const bannerOf = (f: ChatFrame) => f.frame.locator('.banners .banner[data-mode="retrieval-only"]');
      // The Settings editor of the step before, closed by a middle click on its tab: restored by the reload below,
      // it would take the focus as it loads.
      const settingsTab = page.locator('.tabs-container .tab', { hasText: 'Settings' }).first();
      await settingsTab.click({ button: 'middle' });
      await settingsTab.waitFor({ state: 'detached', timeout: 10_000 });
      try {
        let frame = await openChat();
        await bannerOf(frame).waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
        check((await frame.frame.locator('.banners .banner[data-mode]').count()) === 1, 'more than the retrieval-only banner is shown');
        await frame.ask(RING_QUESTION);
        await frame.watchAnswer();
        const turn = frame.frame.locator('article.turn').last();
        check((await turn.locator('.snippet').count()) > 0, 'the retrieval-only answer shows no snippets');
        check((await turn.locator('.turn-notice').count()) === 0, 'the answer explains the configured mode again, under the banner that does');
        check((await turn.locator('.turn-sources .source').count()) === 0, 'the sources are listed twice: as snippets and again as a Sources list');
        await bannerOf(frame).locator('button.banner-toggle').click();
        await poll(async () => ((await bannerOf(frame).locator('.banner-body').isHidden()) ? true : undefined), 'the banner to collapse to its title', 10_000);
        await screenshot(page, 'e2e-banner-collapsed');
        // Time for the webview to save its state before the window goes away.
        await page.waitForTimeout(1000);
        await page.reload();
        await waitForWorkbench(page);
        frame = await openChat();
        await bannerOf(frame).waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
        check(await bannerOf(frame).locator('.banner-body').isHidden(), 'the banner came back expanded after a reload');
        check((await bannerOf(frame).locator('button.banner-toggle').getAttribute('aria-expanded')) === 'false', 'the collapsed banner says it is expanded');
        await bannerOf(frame).locator('button.banner-toggle').click();
        await bannerOf(frame).locator('.banner-body button', { hasText: 'Set BitNet Endpoint' }).click();
        // The one shown: a closed Settings editor can stay in the page, hidden.
        const editor = page.locator('.settings-editor:visible');
        await editor.waitFor({ state: 'visible', timeout: 15_000 });
        await editor.locator('.settings-count-widget', { hasText: '1 Setting Found' }).waitFor({ state: 'visible', timeout: 15_000 });
        // The count widget updates before the list does: a row of the search before can still be drawn for a moment.
        const rows = editor.locator('.setting-item-contents:visible');
        let shown = '';
        const one = await poll(async () => {
          const texts = await rows.allInnerTexts();
          shown = texts.join('\n---\n');
          return texts.length === 1 && /Bitnet: Endpoint/i.test(shown) ? true : undefined;
        }, 'the Settings editor to show the one setting found', 15_000).catch(() => false);
        check(one && shown.includes('chat-completions endpoint'), `the action opened another setting:\n${shown}`);
        await screenshot(page, 'e2e-banner-setting');
        await settingsTab.click({ button: 'middle' });
        await settingsTab.waitFor({ state: 'detached', timeout: 10_000 });
      } finally {
        fs.writeFileSync(machineSettings, original);
      }
      // With the endpoint back, the banner goes and answers are generated again.
      const frame = await openChat();
      await bannerOf(frame).waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    });

    await steps.run("the walkthrough's steps are checked once each was done", async () => {
      await runCommandAndPick(page, 'Welcome: Open Walkthrough...', 'Get started with Workspace RAG');
      const items = page.locator('.gettingStartedContainer .getting-started-step');
      await items.first().waitFor({ state: 'visible', timeout: 15_000 });
      const checked = await items.evaluateAll((els) => els.map((e) => [e.textContent?.trim().split('\n')[0] ?? '', e.querySelector('.codicon-getting-started-step-checked') !== null] as const));
      check(checked.length === 3 && checked.every(([, done]) => done), `walkthrough steps: ${JSON.stringify(checked)}`);
      await screenshot(page, 'e2e-walkthrough-done');
      await runCommandFromPalette(page, 'View: Close Editor');
    });

    await steps.run('clear the index of the workspace, which says what it removed', async () => {
      await chatFrame.leave(page).catch(() => undefined);
      await runCommandFromPalette(page, 'Notifications: Clear All Notifications');
      await runCommandAndPick(page, 'Workspace RAG: Clear Index', 'This workspace');
      await waitForStatusBarText(page, 'RAG: not indexed');
      const said = await waitForNotification(page, 'Cleared the index of');
      check(/\d+ files, \d+ chunks and \d+ symbols removed from Neo4j/.test(said), `Clear Index said: ${said}`);
    });
    ok = true;
  } catch (error) {
    if (!(error instanceof StepFailure)) steps.failed++;
    console.error(error instanceof StepFailure ? error.message : error);
    if (server) {
      console.error('--- last browser console messages ---');
      for (const line of diagnostics.slice(-30)) console.error(line);
      console.error(`--- last lines of ${server.logFile} ---`);
      if (fs.existsSync(server.logFile)) console.error(fs.readFileSync(server.logFile, 'utf8').split('\n').slice(-30).join('\n'));
    }
  } finally {
    await browser?.close().catch(() => undefined);
    server?.stop();
    await Promise.all([beacon.close(), gate.close(), embeddings.close(), chat.close()]);
    if (ok && process.env.E2E_KEEP !== '1') fs.rmSync(temp, { recursive: true, force: true });
    else console.log(`    kept ${temp}`);
  }
  console.log(`e2e: ${steps.passed} passed, ${steps.failed} failed`);
  if (!ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
