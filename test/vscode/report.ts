// The result file the extension-host suite writes and the launchers read: one schema for both sides.
import * as path from 'node:path';
import { z } from 'zod';

export const testFailureSchema = z.object({
  title: z.string(),
  error: z.string(),
});

export const testReportSchema = z.object({
  vscodeVersion: z.string(),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  failures: z.array(testFailureSchema),
  /** Set when the suite could not run at all (e.g. a test file threw while loading). */
  error: z.string().optional(),
});

export type TestFailure = z.infer<typeof testFailureSchema>;
export type TestReport = z.infer<typeof testReportSchema>;

/** Overrides the result file; only reliable where the launcher controls the extension host's environment. */
export const RESULT_FILE_ENV = 'VSCODE_TEST_RESULT_FILE';

/** Where the built suite (test/vscode/out/suite/index.js) writes by default: test/vscode/out/result.json. */
export function defaultResultFile(suiteDir: string): string {
  return path.resolve(suiteDir, '..', 'result.json');
}

/** The suite's live output, streamed next to the result file so a launcher can print it while the tests run. */
export function logFileFor(resultFile: string): string {
  return path.join(path.dirname(resultFile), `${path.basename(resultFile, '.json')}.log`);
}
