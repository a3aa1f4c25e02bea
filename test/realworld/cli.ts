// The CLI as a user runs it, in a child process: from source through tsx by default (always the working tree), or the
// bundle when WRAG_REALWORLD_CLI names it (e.g. `WRAG_REALWORLD_CLI=dist/cli.js` after `npm run build`).
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cliCommand(): string[] {
  const bundle = process.env.WRAG_REALWORLD_CLI?.trim();
  return bundle ? [path.resolve(REPO, bundle)] : ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts')];
}

export function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...cliCommand(), ...args],
      {
        cwd: REPO,
        // Only what the suite gives: no variable of the developer's shell (RAG_*, AZURE_*) leaks in.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        maxBuffer: 256 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
  });
}

/** The `--json` output, or an error that quotes what the CLI printed instead. */
export function parseJson<T = Record<string, unknown>>(r: CliResult, what: string): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${what}: exit ${r.code}, stdout is not JSON:\n${r.stdout.slice(0, 2000)}\nstderr:\n${r.stderr.slice(-4000)}`);
  }
}
