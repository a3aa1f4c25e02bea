// What both launchers (run-in-code-server.ts, run-in-electron.ts) share: building the suite, where it reports, and
// turning a report into output and an exit code.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultResultFile, logFileFor, testReportSchema, type TestReport } from './report';

/** The extension under test by default: the repository root (package.json `main` is dist/extension.js). */
export const REPO_EXTENSION = path.resolve(__dirname, '..', '..');
/** The extensionTestsPath: the built test/vscode/suite/index.ts. */
export const SUITE_ENTRY = path.join(__dirname, 'out', 'suite', 'index.js');
export const RESULT_FILE = defaultResultFile(path.dirname(SUITE_ENTRY));
export const LOG_FILE = logFileFor(RESULT_FILE);

/** Runs test/vscode/build.mjs and clears the previous run's report, so a stale one is never read. */
export function buildSuite(): void {
  const build = spawnSync(process.execPath, [path.join(__dirname, 'build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`building the extension-host suite failed (${build.status ?? build.signal})`);
  fs.rmSync(RESULT_FILE, { force: true });
  fs.rmSync(LOG_FILE, { force: true });
}

/**
 * The folder VS Code opens: the given one, or a fresh empty one so tests never edit the repository. It lives outside
 * the repository: inside, the repository's ignore rules would hide every file from the indexer.
 */
export function prepareWorkspace(given: string | undefined): string {
  if (given) return path.resolve(given);
  const workspace = path.join(os.tmpdir(), 'workspace-rag-vscode-workspace');
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.mkdirSync(workspace, { recursive: true });
  return workspace;
}

/** The extension under test: the given folder or, by default, the repository root. */
export function resolveExtension(given: string | undefined): string {
  const dir = path.resolve(given ?? REPO_EXTENSION);
  if (!fs.existsSync(path.join(dir, 'package.json'))) throw new Error(`extension folder ${dir} has no package.json`);
  return dir;
}

export function readReport(): TestReport | undefined {
  if (!fs.existsSync(RESULT_FILE)) return undefined;
  return testReportSchema.parse(JSON.parse(fs.readFileSync(RESULT_FILE, 'utf8')));
}

/** Prints the closing summary and returns the exit code: non-zero on failures, a suite error, or no test run. */
export function summarize(report: TestReport): number {
  console.log(`==> VS Code ${report.vscodeVersion}: suite finished in ${(report.durationMs / 1000).toFixed(1)}s`);
  // Full stacks are in the suite's output and in the result file; repeat only what failed.
  if (report.error) console.error(`suite error: ${firstLine(report.error)}`);
  for (const failure of report.failures) console.error(`FAILED ${failure.title}: ${firstLine(failure.error)}`);
  // The plain closing line CI reads.
  console.log(`vscode: ${report.passed} passed, ${report.failed} failed, ${report.pending} skipped`);
  if (report.error || report.failed > 0) return 1;
  if (report.passed === 0) {
    console.error('no test passed: the suite ran nothing');
    return 1;
  }
  return 0;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0];
}
