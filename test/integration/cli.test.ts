// The CLI as a user runs it: a child process with environment variables, exit codes, streamed answers and sources.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { startChatServer, type ChatServer } from '../servers/chat-completions';
import { fakeAzureCli, FakeEntra } from '../servers/entra';
import { neo4jTestConfig, TEST_DIMENSIONS } from './neo4j-env';
import { copySample, LEAK_CANARY } from './workspace-fixture';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'src/cli/main.ts');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string>): Promise<Result> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO,
      // Only what the test gives: no variable of the developer's shell leaks in.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('workspace-rag CLI', function () {
  this.timeout(120_000);
  const neo4j = neo4jTestConfig();
  const neo4jEnv = { NEO4J_URI: neo4j.uri, NEO4J_USERNAME: neo4j.username, NEO4J_PASSWORD: neo4j.password, NEO4J_DATABASE: neo4j.database };
  let embeddings: EmbeddingServer;
  let chat: ChatServer;
  let env: Record<string, string>;
  let folder: string;

  before(async () => {
    embeddings = await startEmbeddingServer({ apiKey: LEAK_CANARY, dimensions: TEST_DIMENSIONS });
    chat = await startChatServer({});
    folder = await copySample('cli');
    env = {
      ...neo4jEnv,
      AZURE_OPENAI_ENDPOINT: embeddings.url,
      AZURE_OPENAI_API_KEY: LEAK_CANARY,
      AZURE_OPENAI_EMBEDDING_DEPLOYMENT: 'text-embedding-3-small',
      AZURE_OPENAI_EMBEDDING_DIMENSIONS: String(TEST_DIMENSIONS),
      BITNET_ENDPOINT: chat.llamaEndpoint,
    };
  });

  after(async () => {
    await cli(['clear', '--folder', folder], env);
    await embeddings?.close();
    await chat?.close();
  });

  it('indexes, reports tokens and cost, and exits 0', async () => {
    const r = await cli(['index', folder], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Indexed 9 files/);
    assert.match(r.stdout, /estimated cost \$/);
    assert.match(r.stderr, /done files/); // progress on stderr, plain lines when not a TTY
  });

  it('streams an answer, then prints the sources as path:start-end', async () => {
    const r = await cli(['ask', 'How often does Pebble write snapshots to disk?', '--folder', folder], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[\d+\]/);
    assert.match(r.stdout, /Sources:\n(\[\d+\] [\w./-]+:\d+-\d+\n)+/);
    assert.match(r.stdout, /docs\/configuration\.md:\d+-\d+/);
  });

  it('gives machine output with --json', async () => {
    const status = await cli(['status', '--folder', folder, '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout);
    assert.equal(parsed.files, 9);
    assert.ok(parsed.chunks > 9);
    const ask = JSON.parse((await cli(['ask', 'How do I build pebblectl?', '--folder', folder, '--json'], env)).stdout);
    assert.equal(ask.mode, 'generated');
    assert.ok(ask.citations.length >= 1);
    assert.ok(ask.citations.every((c: { path: string; startLine: number; endLine: number }) => c.path && c.startLine <= c.endLine));
  });

  it('labels the keyword-only and retrieval-only modes', async () => {
    const r = await cli(['ask', 'How do I build pebblectl?', '--folder', folder], neo4jEnv);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Keyword-only mode/);
    assert.match(r.stdout, /Retrieval-only mode/);
    assert.match(r.stdout, /docs\/install\.md:\d+-\d+/);
  });

  it('names a bad variable and exits 2, without echoing secrets', async () => {
    const r = await cli(['status', '--folder', folder], { ...env, EMBED_CONCURRENCY: 'lots' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /EMBED_CONCURRENCY: expected a number, got "lots"/);
    assert.doesNotMatch(r.stderr + r.stdout, new RegExp(LEAK_CANARY));
    const missing = await cli(['status'], { ...env, AZURE_OPENAI_API_KEY: '' });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /AZURE_OPENAI_API_KEY/);
  });

  it('exits 3 with a clear message when Neo4j is unreachable, and 2 on bad usage', async () => {
    const down = await cli(['status', '--folder', folder], { ...env, NEO4J_URI: 'neo4j://127.0.0.1:1' });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /Neo4j is not reachable at neo4j:\/\/127\.0\.0\.1:1/);
    assert.doesNotMatch(down.stderr, new RegExp(neo4j.password));
    assert.equal((await cli(['frobnicate'], env)).code, 2);
    assert.equal((await cli(['ask'], env)).code, 2);
  });

  it('never lets file text or file names drive the terminal, while --json stays exact', async () => {
    const hostile = await copySample('cli-hostile');
    try {
      const escapes = 'Zanzibar rotation \x1b[2J\x1b]0;pwned\x07 \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \r[9] forged:1-2';
      await fs.writeFile(path.join(hostile, 'docs', 'zanzibar.md'), `# ${escapes}\n\n${escapes}\n`);
      await fs.writeFile(path.join(hostile, 'docs', 'zanzibar\n[7] fake.md'), `# Zanzibar rotation keys\n\nZanzibar rotation keys here.\n`);
      assert.equal((await cli(['index', hostile], neo4jEnv)).code, 0);
      const text = await cli(['ask', 'Zanzibar rotation', '--folder', hostile], neo4jEnv);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /zanzibar\.md/);
      assert.doesNotMatch(text.stdout + text.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no control character reaches the terminal');
      assert.match(text.stdout, /\\x1b\[2J/, 'the escape is shown, not run');
      assert.doesNotMatch(text.stdout, /^\[7\] fake\.md/m, 'a newline in a name cannot forge a line');
      const json = JSON.parse((await cli(['ask', 'Zanzibar rotation', '--folder', hostile, '--json'], neo4jEnv)).stdout);
      assert.ok(json.sources.some((src: { path: string }) => src.path === 'docs/zanzibar\n[7] fake.md'), '--json keeps the exact path');
    } finally {
      await cli(['clear', '--folder', hostile], neo4jEnv);
    }
  });

  it('exits 2 and touches nothing for a missing folder; a folder given through a symlink is the same workspace', async () => {
    const files = JSON.parse((await cli(['status', '--folder', folder, '--json'], env)).stdout).files;
    const missing = await cli(['index', path.join(folder, 'no-such-folder')], env);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /does not exist; its index was left as it is/);
    const link = `${folder}-link`;
    await fs.symlink(folder, link);
    try {
      const viaLink = JSON.parse((await cli(['status', '--folder', link, '--json'], env)).stdout);
      assert.equal(viaLink.files, files, 'the link names the same index');
      assert.deepEqual(viaLink.roots, [await fs.realpath(folder)]);
      const again = JSON.parse((await cli(['index', link, '--json'], env)).stdout);
      assert.equal(again.files.changed, 0, 'nothing to do through the link either');
    } finally {
      await fs.rm(link);
    }
  });

  it('exits 2 for an empty question and for an embedding size the index was not built with, naming the remedy', async () => {
    const empty = await cli(['ask', '   ', '--folder', folder], env);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /empty/);
    const resized = await cli(['ask', 'How do I build pebblectl?', '--folder', folder], { ...env, AZURE_OPENAI_EMBEDDING_DIMENSIONS: '64' });
    assert.equal(resized.code, 2, resized.stderr);
    assert.match(resized.stderr, new RegExp(`holds ${TEST_DIMENSIONS}-dimensional embeddings but 64 are configured.*workspace-rag clear --all.*AZURE_OPENAI_EMBEDDING_DIMENSIONS=${TEST_DIMENSIONS}`));
    const status = await cli(['status', '--folder', folder], { ...env, AZURE_OPENAI_EMBEDDING_DIMENSIONS: '64' });
    assert.equal(status.code, 0, 'status works during a mismatch');
  });

  it('refuses to answer for a folder that was never indexed', async () => {
    const r = await cli(['ask', 'anything?', '--folder', path.join(folder, 'docs')], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Nothing is indexed .* run `workspace-rag index`/);
  });
});

// Keyless: the Azure OpenAI resource has its keys disabled, and the CLI signs in through @azure/identity's
// DefaultAzureCredential, narrowed to its Azure CLI login (AZURE_TOKEN_CREDENTIALS) so no managed-identity probe leaves
// this machine. The `az` it runs is a fake on PATH whose tokens the local server's fake Entra issuer signed.
describe('workspace-rag CLI signing in with Microsoft Entra ID', function () {
  this.timeout(120_000);
  const RUN = randomUUID();
  const neo4j = neo4jTestConfig();
  const neo4jEnv = { NEO4J_URI: neo4j.uri, NEO4J_USERNAME: neo4j.username, NEO4J_PASSWORD: neo4j.password, NEO4J_DATABASE: neo4j.database };
  let entra: FakeEntra;
  let embeddings: EmbeddingServer;
  let folder: string;
  let tools: string;
  let env: Record<string, string>;
  const clis: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    entra = new FakeEntra();
    embeddings = await startEmbeddingServer({ apiKey: LEAK_CANARY, entra, disableLocalAuth: true, dimensions: TEST_DIMENSIONS });
    folder = await copySample('cli-entra');
    // Text of this run only: the sample's chunks may be in the content cache from other suites, and cached text asks
    // for no embedding (nor a token).
    for (let i = 0; i < 12; i++) await fs.writeFile(path.join(folder, 'docs', `entra-${i}.md`), `# Note ${i}\n\nEntra run ${RUN} note ${i}.\n`);
    tools = await fs.mkdtemp(path.join(os.tmpdir(), 'wrag-az-'));
    env = {
      ...neo4jEnv,
      AZURE_OPENAI_ENDPOINT: embeddings.url,
      AZURE_OPENAI_AUTH: 'entra',
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_OPENAI_EMBEDDING_DIMENSIONS: String(TEST_DIMENSIONS),
      AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      // Small requests one at a time, so each asks the sign-in for its token in turn.
      EMBED_MAX_BATCH_INPUTS: '8',
      EMBED_CONCURRENCY: '1',
    };
  });

  after(async () => {
    await cli(['clear', '--folder', folder], { ...neo4jEnv });
    await embeddings?.close();
    for (const c of clis) await c.close();
    await fs.rm(tools, { recursive: true, force: true });
  });

  /** A fake `az` in a folder of its own, first on the CLI's PATH. */
  const azureCli = async (name: string, opts: { lifetimeMs?: number; fail?: string }) => {
    const dir = path.join(tools, name);
    const az = await fakeAzureCli(entra, dir, opts);
    clis.push(az);
    return { az, path: `${dir}:${process.env.PATH ?? ''}` };
  };

  it('indexes with tokens from the Azure CLI login, asking it again as each token nears its expiry, and says so in status', async () => {
    // Two minutes left on every token: inside the engine's renewal margin, so every request asks again.
    const { az, path: PATH } = await azureCli('short-lived', { lifetimeMs: 2 * 60_000 });
    const r = await cli(['index', folder], { ...env, PATH });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Indexed 21 files/);
    const embeds = embeddings.requests.filter((q) => q.path.endsWith('/embeddings'));
    assert.ok(embeds.length > 1, `several embedding requests (${embeds.length})`);
    for (const q of embeds) {
      assert.equal(q.headers['api-key'], undefined);
      assert.match(q.headers.authorization ?? '', /^Bearer /);
    }
    assert.deepEqual(entra.checked.map((c) => c.verdict), embeds.map(() => 'valid'));
    assert.equal(az.calls.length, embeds.length, 'one sign-in per request, since each token expires within the margin');
    assert.deepEqual(embeds.map((q) => q.headers.authorization), az.tokens.map((t) => `Bearer ${t}`));
    for (const args of az.calls) {
      assert.deepEqual(args.slice(0, 2), ['account', 'get-access-token']);
      assert.equal(args[args.indexOf('--resource') + 1], 'https://cognitiveservices.azure.com');
      assert.equal(args[args.indexOf('--tenant') + 1], entra.tenantId);
    }
    for (const token of az.tokens) assert.ok(!(r.stdout + r.stderr).includes(token), 'no token is printed');

    const status = await cli(['status', '--folder', folder], { ...env, PATH });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`embeddings sign-in\\s+Microsoft Entra ID \\(tenant ${entra.tenantId}\\)`));
    const json = JSON.parse((await cli(['status', '--folder', folder, '--json'], { ...env, PATH })).stdout);
    assert.equal(json.auth.embeddings, `Microsoft Entra ID (tenant ${entra.tenantId})`);
  });

  it('asks the Azure CLI once for a run when its token lasts, and answers a question with it', async () => {
    const { az, path: PATH } = await azureCli('long-lived', { lifetimeMs: 60 * 60_000 });
    await fs.writeFile(path.join(folder, 'docs', 'rotation.md'), `# Key rotation\n\nPebble rotates its signing keys every 90 days (run ${RUN}).\n\n## Manual rotation\n\nRun pebblectl rotate.\n`);
    const before = embeddings.requests.length;
    const r = await cli(['index', folder], { ...env, PATH });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(embeddings.requests.length > before);
    assert.equal(az.calls.length, 1);
    const asked = await cli(['ask', 'How often does Pebble rotate its signing keys?', '--folder', folder, '--json'], { ...env, PATH });
    assert.equal(asked.code, 0, asked.stderr);
    const answer = JSON.parse(asked.stdout);
    const question = embeddings.requests.at(-1)!;
    assert.deepEqual((question.body as { input: string[] }).input.length, 1, 'the question was embedded');
    assert.equal(entra.checked.at(-1)?.verdict, 'valid');
    assert.equal(az.calls.length, 2, 'a new process signs in again');
    assert.ok(answer.sources.some((s: { path: string }) => s.path === 'docs/rotation.md'));
  });

  it('fails a run that cannot sign in with a message naming the sign-in and `az login`, never the key', async () => {
    const { path: PATH } = await azureCli('signed-out', { fail: "ERROR: Please run 'az login' to setup account." });
    await fs.writeFile(path.join(folder, 'docs', 'signed-out.md'), `# Signed out\n\nThis note of run ${RUN} needs an embedding.\n`);
    const r = await cli(['index', folder], { ...env, PATH });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const said = r.stdout + r.stderr;
    assert.match(said, /Could not sign in to Microsoft Entra ID for Azure OpenAI deployment 'text-embedding-3-small'/);
    assert.match(said, /az login/);
    assert.doesNotMatch(said, /rejected the API key|Check AZURE_OPENAI_API_KEY/);
  });

  it('names AZURE_OPENAI_AUTH=entra when a key is sent to a resource whose keys are disabled', async () => {
    const keyed = { ...env, AZURE_OPENAI_AUTH: 'key', AZURE_OPENAI_API_KEY: LEAK_CANARY };
    const other = await copySample('cli-keyed');
    // Text no index holds yet, so it must be embedded (the sample's own chunks are in the content cache).
    await fs.writeFile(path.join(other, 'docs', 'keyed.md'), `# Keyed\n\nA note for run ${RUN} that needs an embedding.\n`);
    try {
      const r = await cli(['index', other], keyed);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /Key based authentication is disabled for this resource/);
      assert.match(r.stderr, /set AZURE_OPENAI_AUTH=entra/);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(LEAK_CANARY));
    } finally {
      await cli(['clear', '--folder', other], neo4jEnv);
    }
  });
});
