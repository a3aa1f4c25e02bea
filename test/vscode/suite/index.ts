// The mocha runner VS Code's extension host loads as extensionTestsPath (the @vscode/test-electron layout).
// It runs every *.test.js next to it and writes a TestReport (see ../report.ts) to $VSCODE_TEST_RESULT_FILE or, by
// default, test/vscode/out/result.json: a path derived from this file's location, because in code-server the extension
// host inherits the server's environment, not the launcher's. Output is streamed to result.log beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { defaultResultFile, logFileFor, RESULT_FILE_ENV, type TestFailure, type TestReport } from '../report';

export async function run(): Promise<void> {
  const resultFile = process.env[RESULT_FILE_ENV] || defaultResultFile(__dirname);
  const logFile = logFileFor(resultFile);
  fs.mkdirSync(path.dirname(resultFile), { recursive: true });
  fs.writeFileSync(logFile, '');

  const started = Date.now();
  const failures: TestFailure[] = [];
  let report: TestReport;
  // Reporters print through Base.consoleLog; tee it to the log file, since the extension host's console is not the launcher's.
  const consoleLog = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
    fs.appendFileSync(logFile, `${format(...args)}\n`);
    consoleLog(...args);
  };
  try {
    const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 20_000 });
    // VSCODE_TEST_GREP picks tests by title; VSCODE_TEST_GREP_INVERT=1 runs all the others instead.
    const grep = process.env.VSCODE_TEST_GREP;
    if (grep) mocha.grep(grep);
    if (grep && process.env.VSCODE_TEST_GREP_INVERT === '1') mocha.invert();
    for (const file of findTests(__dirname)) mocha.addFile(file);
    const stats = await new Promise<Mocha.Stats>((resolve) => {
      const runner = mocha.run(() => resolve(runner.stats ?? emptyStats()));
      runner.on('fail', (test, error: Error) => {
        failures.push({ title: test.fullTitle(), error: error.stack ?? String(error) });
      });
    });
    report = {
      vscodeVersion: vscode.version,
      passed: stats.passes,
      failed: stats.failures,
      pending: stats.pending,
      durationMs: Date.now() - started,
      failures,
    };
  } catch (error) {
    // A test file that throws while loading never reaches the runner's events; report it rather than hang the launcher.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    fs.appendFileSync(logFile, `suite error: ${message}\n`);
    report = { vscodeVersion: vscode.version, passed: 0, failed: 0, pending: 0, durationMs: Date.now() - started, failures, error: message };
  } finally {
    Mocha.reporters.Base.consoleLog = consoleLog;
  }

  // Written whole and renamed, so a polling launcher never reads half a report.
  const temporary = `${resultFile}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(report, null, 2)}\n`);
  fs.renameSync(temporary, resultFile);

  if (report.error) throw new Error(`extension-host suite did not run: ${report.error}`);
  if (report.failed > 0) throw new Error(`${report.failed} extension-host test(s) failed`);
}

function findTests(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.js'))
    .sort()
    .map((file) => path.join(dir, file));
}

function emptyStats(): Mocha.Stats {
  return { suites: 0, tests: 0, passes: 0, pending: 0, failures: 0 };
}
