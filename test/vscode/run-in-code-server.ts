// Runs the extension-host mocha suite (test/vscode/suite) inside code-server's real extension host.
//   npx tsx test/vscode/run-in-code-server.ts [--extension DIR] [--workspace DIR] [--timeout SECONDS]
// Builds the suite, installs/starts code-server, opens the workbench in headless Chromium with the development
// payload, streams the suite's output and exits non-zero on failures, on a missing report or on timeout.
// --extension (the extensionDevelopmentPath) defaults to the repository root, the real extension. Only one:
// code-server's web workbench keeps the last of repeated payload keys.
// Environment: CODE_SERVER_PORT, CHROMIUM_PATH; VSCODE_TEST_GREP and VSCODE_TEST_FORCE_FAILURE reach the extension
// host because this script starts the server that spawns it.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchChromium, startCodeServer, workbenchUrl, type CodeServer } from './code-server';
import { buildSuite, LOG_FILE, prepareWorkspace, readReport, resolveExtension, RESULT_FILE, SUITE_ENTRY, summarize } from './launcher';
import type { TestReport } from './report';

const { values } = parseArgs({
  options: {
    extension: { type: 'string' },
    workspace: { type: 'string' },
    timeout: { type: 'string', default: '300' },
  },
});
const timeoutMs = Number(values.timeout) * 1000;
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout must be a positive number of seconds, got ${values.timeout}`);
const extension = resolveExtension(values.extension);

class LogTail {
  private offset = 0;
  constructor(private readonly file: string) {}
  /** Prints what was appended since the last call. */
  flush(): void {
    if (!fs.existsSync(this.file)) return;
    const size = fs.statSync(this.file).size;
    if (size <= this.offset) return;
    const fd = fs.openSync(this.file, 'r');
    try {
      const buffer = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buffer, 0, buffer.length, this.offset);
      process.stdout.write(buffer);
      this.offset = size;
    } finally {
      fs.closeSync(fd);
    }
  }
}

type Outcome = { kind: 'report'; report: TestReport } | { kind: 'host-exited' } | { kind: 'timeout' };

/** The server logs this line when an extension host ends; in test mode the host ends right after run() settles. */
function extensionHostExited(server: CodeServer): boolean {
  return fs.existsSync(server.logFile) && fs.readFileSync(server.logFile, 'utf8').includes('Extension Host Process exited');
}

async function waitForReport(server: CodeServer, tail: LogTail, deadline: number): Promise<Outcome> {
  for (;;) {
    // Checked before the report: the suite writes its report before run() returns, so a host that exited without one
    // (e.g. the suite module failed to load, which the host logs and then exits 0) never will write it.
    const exited = extensionHostExited(server);
    tail.flush();
    const report = readReport();
    if (report) return { kind: 'report', report };
    if (exited) return { kind: 'host-exited' };
    if (Date.now() >= deadline) return { kind: 'timeout' };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function printDiagnostics(server: CodeServer, consoleLines: string[]): void {
  console.error('--- last browser console messages ---');
  for (const line of consoleLines.slice(-40)) console.error(line);
  console.error(`--- last lines of ${server.logFile} ---`);
  if (fs.existsSync(server.logFile)) console.error(fs.readFileSync(server.logFile, 'utf8').split('\n').slice(-40).join('\n'));
}

async function main(): Promise<number> {
  buildSuite();
  const workspace = prepareWorkspace(values.workspace);
  const server = startCodeServer({ workspace, env: { VSCODE_TEST_WORKSPACE: workspace } });
  let browser: Browser | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    server.stop();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.message}`));
    const url = workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: extension, extensionTestsPath: SUITE_ENTRY });
    console.log(`==> workbench: ${url}`);
    await page.goto(url);

    const outcome = await waitForReport(server, new LogTail(LOG_FILE), Date.now() + timeoutMs);
    if (outcome.kind === 'report') return summarize(outcome.report);
    console.error(
      outcome.kind === 'timeout'
        ? `no report at ${RESULT_FILE} after ${values.timeout}s`
        : `the extension host exited without writing ${RESULT_FILE}`,
    );
    printDiagnostics(server, consoleLines);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await browser?.close().catch(() => undefined);
    server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
