// Passwords and keys written inside URLs never leave the program: the CLI refuses them (text and --json) without
// echoing them, and whatever text still carries one (an error quoting a URL) is scrubbed on its way to the
// extension's log, notifications and webview.
import '../shim/register';
import { strict as assert } from 'node:assert';
import type * as vscode from 'vscode';
import { main } from '../../src/cli/main';
import { redactUrlSecrets } from '../../src/core/config';
import { describeError } from '../../src/extension/errors';
import { Log } from '../../src/extension/log';
import { REDACTED, Secrets } from '../../src/extension/secrets';

const SECRET = 'FAKE-secret-in-url-5e6f7a8b';

/** Runs the CLI in this process, collecting what it writes to stdout and stderr. */
async function runCli(argv: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  let output = '';
  const original = { out: process.stdout.write, err: process.stderr.write };
  const capture = (chunk: string | Uint8Array) => ((output += String(chunk)), true);
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    return { code: await main(argv, env), output };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  }
}

const emptyStorage = {
  get: async () => undefined,
  store: async () => undefined,
  delete: async () => undefined,
  keys: async () => [],
  onDidChange: () => ({ dispose() {} }),
} as unknown as vscode.SecretStorage;

describe('credentials inside URLs', () => {
  it('scrubs user info and key parameters from text, and leaves other URLs alone', () => {
    assert.equal(redactUrlSecrets(`failed: neo4j://neo4j:${SECRET}@db:7687 down`), 'failed: neo4j://***@db:7687 down');
    assert.equal(redactUrlSecrets(`https://${SECRET}@host/v1`), 'https://***@host/v1');
    assert.equal(redactUrlSecrets(`https://u:pa/ss?${SECRET}@host`), 'https://***@host');
    assert.equal(redactUrlSecrets(`GET https://h/x?api-version=1&API-KEY=${SECRET}&n=2`), 'GET https://h/x?api-version=1&API-KEY=***&n=2');
    for (const p of ['key', 'sig', 'code', 'token']) assert.equal(redactUrlSecrets(`https://h/?${p}=${SECRET}`, REDACTED), `https://h/?${p}=${REDACTED}`);
    for (const text of ['git@github.com:owner/repo.git', 'see https://example.com/a?b=1#key=x', 'mail me at a@b.c']) assert.equal(redactUrlSecrets(text), text);
  });

  for (const [variable, value] of [
    ['NEO4J_URI', `neo4j://neo4j:${SECRET}@127.0.0.1:1`],
    ['AZURE_OPENAI_ENDPOINT', `https://user:${SECRET}@r.openai.azure.com`],
    ['AZURE_OPENAI_ENDPOINT', `https://r.openai.azure.com/?api-key=${SECRET}`],
    ['BITNET_ENDPOINT', `https://user:${SECRET}@bitnet.example.com/v1`],
    ['BITNET_ENDPOINT', `https://bitnet.example.com/v1?sig=${SECRET}`],
  ] as const) {
    it(`the CLI refuses ${variable} with a secret in it (exit 2), naming it and never printing the secret, with and without --json`, async () => {
      // Nothing listens at port 1: should the check ever let one through, no real server sees a wrong password.
      const env = { NEO4J_URI: 'neo4j://127.0.0.1:1', NEO4J_PASSWORD: 'pw-for-tests', AZURE_OPENAI_API_KEY: 'fake-azure-key', [variable]: value };
      for (const json of [false, true]) {
        const { code, output } = await runCli(['status', ...(json ? ['--json'] : [])], env);
        assert.equal(code, 2, output);
        assert.match(output, new RegExp(variable));
        assert.ok(!output.includes(SECRET), output);
        if (json) assert.equal(JSON.parse(output).exitCode, 2);
      }
    });
  }

  it('the extension scrubs them from every text it shows or logs, known key or not', () => {
    const secrets = new Secrets(emptyStorage);
    const quoted = `request to https://user:${SECRET}@r.openai.azure.com/openai?api-key=${SECRET} failed`;
    assert.ok(!secrets.redact(quoted).includes(SECRET), secrets.redact(quoted));
    assert.ok(!describeError(new Error(quoted), secrets.redact).message.includes(SECRET));

    const lines: string[] = [];
    const record = (line: string) => void lines.push(line);
    const channel = { trace: record, debug: record, info: record, warn: record, error: record } as unknown as vscode.LogOutputChannel;
    // Even a log built with a redactor that knows no keys.
    const log = new Log(channel, (t) => t);
    log.info(quoted);
    log.error('Indexing stopped', new Error(quoted));
    assert.ok(lines.length >= 3);
    for (const line of lines) assert.ok(!line.includes(SECRET), line);
    const twice: string[] = [];
    new Log({ ...channel, info: (line: string) => void twice.push(line) } as unknown as vscode.LogOutputChannel, secrets.redact).info(quoted);
    assert.equal(twice[0], `request to https://${REDACTED}@r.openai.azure.com/openai?api-key=${REDACTED} failed`, 'one mark, however many redactors');
  });
});
