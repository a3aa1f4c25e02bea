// Shared by the code-server launchers: start/stop through scripts/code-server.sh, the workbench URL with its
// extension-development `payload`, and Debian's Chromium driven by playwright-core.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'code-server.sh');

const envSchema = z.object({
  /** The release scripts/code-server.sh installs and runs; each lives in a folder of its own. */
  CODE_SERVER_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/).default('4.100.3'),
  /** Unset: scripts/code-server.sh picks a free port and records it in the server's home. */
  CODE_SERVER_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  CHROMIUM_PATH: z.string().min(1).optional(),
});
const portFileSchema = z.coerce.number().int().min(1).max(65535);

export interface CodeServer {
  /** http://127.0.0.1:PORT, without a trailing slash. */
  readonly url: string;
  /** host:port, the remote authority of vscode-remote:// URIs. */
  readonly authority: string;
  readonly logFile: string;
  stop(): void;
}

export interface StartOptions {
  /** Folder code-server opens by default. */
  workspace: string;
  /** Extra variables for the server, which its extension hosts inherit. */
  env?: Record<string, string>;
  /**
   * The server's state folder (user data, extensions, pid, port, log); default .tools/code-server. A folder of its own
   * keeps a run apart from other servers on the machine.
   */
  home?: string;
  /** User settings written over the defaults before the server starts. */
  settings?: Record<string, unknown>;
  /**
   * Machine-scoped settings (the extension's endpoints and URIs: `scope: machine` in its manifest), written where this
   * VS Code keeps them for its extension hosts; as user settings they are dropped at the first settings change.
   */
  machineSettings?: Record<string, unknown>;
  /** A packaged extension installed with `code-server --install-extension` before the server starts. */
  vsix?: string;
}

function script(args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync('bash', [SCRIPT, ...args], { env, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`scripts/code-server.sh ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

/** Installs code-server when missing (idempotent, fast when done) and starts it; stop() ends it. */
export function startCodeServer(options: StartOptions): CodeServer {
  const { CODE_SERVER_PORT: port, CODE_SERVER_VERSION: version } = envSchema.parse(process.env);
  // The default home is the version's install folder, as scripts/code-server.sh has it.
  const home = path.resolve(options.home ?? path.join(REPO_ROOT, '.tools', version === '4.100.3' ? 'code-server' : `code-server-${version}`));
  fs.mkdirSync(home, { recursive: true });
  // The user data folder reaches the extension hosts too, for the suite's scan of the settings file.
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, CODE_SERVER_HOME: home, CODE_SERVER_VERSION: version, VSCODE_TEST_USER_DATA: path.join(home, 'user-data') };
  if (port !== undefined) env.CODE_SERVER_PORT = String(port);
  if (options.settings) {
    const file = path.join(home, 'settings.override.json');
    fs.writeFileSync(file, JSON.stringify(options.settings, null, 2));
    env.CODE_SERVER_SETTINGS = file;
  }
  if (options.machineSettings) {
    const file = path.join(home, 'machine-settings.override.json');
    fs.writeFileSync(file, JSON.stringify(options.machineSettings, null, 2));
    env.CODE_SERVER_MACHINE_SETTINGS = file;
  }
  script(['install'], env);
  if (options.vsix) script(['install-extension', options.vsix], env);
  script(['start', options.workspace], env);
  // The port `start` chose; stop() passes it back so it stops this server and no other.
  const actual = port ?? portFileSchema.parse(fs.readFileSync(path.join(home, 'code-server.port'), 'utf8').trim());
  env.CODE_SERVER_PORT = String(actual);
  let stopped = false;
  return {
    url: `http://127.0.0.1:${actual}`,
    authority: `127.0.0.1:${actual}`,
    logFile: path.join(home, 'code-server.log'),
    stop() {
      if (stopped) return;
      stopped = true;
      script(['stop'], env);
    },
  };
}

/** A vscode-remote:// URI for a path on the server's file system. */
export function remoteUri(server: CodeServer, fsPath: string): string {
  const encoded = path.resolve(fsPath).split(path.sep).map(encodeURIComponent).join('/');
  return `vscode-remote://${server.authority}${encoded}`;
}

export interface WorkbenchOptions {
  folder: string;
  /**
   * Loaded as the development extension, like `code --extensionDevelopmentPath`. One only: the web workbench reads the
   * payload into a Map, so a repeated key keeps just its last value.
   */
  extensionDevelopmentPath?: string;
  /** A module exporting run(); the extension host awaits it and then exits. */
  extensionTestsPath?: string;
}

/** The workbench URL; development options travel in the `payload` query parameter the web workbench reads. */
export function workbenchUrl(server: CodeServer, options: WorkbenchOptions): string {
  const payload: [string, string][] = [];
  if (options.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remoteUri(server, options.extensionDevelopmentPath)]);
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(server, options.extensionTestsPath)]);
  payload.push(['skipWelcome', 'true']);
  const query = new URLSearchParams({ folder: path.resolve(options.folder), payload: JSON.stringify(payload) });
  return `${server.url}/?${query.toString()}`;
}

function chromiumPath(): string {
  const configured = envSchema.parse(process.env).CHROMIUM_PATH;
  if (configured) return configured;
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('Chromium not found: run scripts/code-server.sh install (Debian package chromium) or set CHROMIUM_PATH');
}

/** Headless Debian Chromium; playwright's own browser download cannot work here. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
