// Runs the same extension-host suite in desktop VS Code through @vscode/test-electron, for machines that can download
// VS Code (this one cannot: use run-in-code-server.ts here). On a Linux machine without a display run it under xvfb-run.
//   npx tsx test/vscode/run-in-electron.ts [--extension DIR] [--workspace DIR]
// Environment: VSCODE_TEST_VERSION (default 1.100.3, the version code-server ships; or 'stable'), VSCODE_EXECUTABLE
// (an installed VS Code instead of a download), VSCODE_TEST_GREP, VSCODE_TEST_FORCE_FAILURE.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runTests, TestRunFailedError } from '@vscode/test-electron';
import { z } from 'zod';
import { buildSuite, prepareWorkspace, readReport, resolveExtension, RESULT_FILE, SUITE_ENTRY, summarize } from './launcher';
import { RESULT_FILE_ENV } from './report';

// Downloads and profiles live under the gitignored .tools/, not in a .vscode-test/ beside the caller.
const CACHE = path.resolve(__dirname, '..', '..', '.tools', 'vscode-test-electron');
const USER_DATA = path.join(CACHE, 'user-data');

const env = z
  .object({
    VSCODE_TEST_VERSION: z.string().min(1).default('1.100.3'),
    VSCODE_EXECUTABLE: z.string().min(1).optional(),
  })
  .parse(process.env);

const { values } = parseArgs({
  options: {
    extension: { type: 'string' },
    workspace: { type: 'string' },
  },
});

async function main(): Promise<number> {
  buildSuite();
  const extension = resolveExtension(values.extension);
  const workspace = prepareWorkspace(values.workspace);
  // A fresh profile per run, as in the code-server runner: no secrets or state carried over.
  fs.rmSync(USER_DATA, { recursive: true, force: true });
  try {
    await runTests({
      version: env.VSCODE_TEST_VERSION,
      vscodeExecutablePath: env.VSCODE_EXECUTABLE,
      cachePath: CACHE,
      extensionDevelopmentPath: extension,
      extensionTestsPath: SUITE_ENTRY,
      // The folder first (runTests passes launchArgs before its own); other installed extensions stay out of the run.
      launchArgs: [
        workspace,
        '--disable-extensions',
        `--user-data-dir=${USER_DATA}`,
        `--extensions-dir=${path.join(CACHE, 'extensions')}`,
      ],
      // Desktop VS Code hands this environment to the extension host, so the suite can be told where to report.
      extensionTestsEnv: { [RESULT_FILE_ENV]: RESULT_FILE, VSCODE_TEST_WORKSPACE: workspace },
    });
  } catch (error) {
    // A failing suite makes VS Code exit non-zero; its report says why. Anything else (download, launch) is fatal.
    if (!(error instanceof TestRunFailedError)) throw error;
  }
  const report = readReport();
  if (!report) {
    console.error(`VS Code exited without writing ${RESULT_FILE}`);
    return 1;
  }
  return summarize(report);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
