// The CLI as a user runs it: a child process with environment variables, exit codes, streamed answers and sources.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { startChatServer, type ChatServer } from '../servers/chat-completions';
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
